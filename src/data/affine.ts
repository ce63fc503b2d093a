import type { RgbImage } from '../image/types.js';
import { boxCandidate, matMul, transformBoxes, warpImage } from './geometry.js';
import type { Mat3, PixelLabel } from './geometry.js';
import type { AugmentHyp } from './hyp.js';
import type { Rng } from './rng.js';

/** The random parts of an affine, drawn in Ultralytics RandomPerspective's order. */
export interface AffineParams {
  px: number; py: number; angle: number; scale: number; shearX: number; shearY: number; tx: number; ty: number;
}

/**
 * Draw affine parameters: perspective, rotation (degrees), scale, shear (degrees), translation
 * (fraction of the output size, around its centre).
 *
 * @example
 * const p = drawAffine(DEFAULT_HYP, rng);
 */
export function drawAffine(hyp: AugmentHyp, rng: Rng): AffineParams {
  const px = rng.uniform(-hyp.perspective, hyp.perspective), py = rng.uniform(-hyp.perspective, hyp.perspective);
  const angle = rng.uniform(-hyp.degrees, hyp.degrees);
  const scale = rng.uniform(1 - hyp.scale, 1 + hyp.scale);
  const shearX = rng.uniform(-hyp.shear, hyp.shear), shearY = rng.uniform(-hyp.shear, hyp.shear);
  const tx = rng.uniform(0.5 - hyp.translate, 0.5 + hyp.translate), ty = rng.uniform(0.5 - hyp.translate, 0.5 + hyp.translate);
  return { px, py, angle, scale, shearX, shearY, tx, ty };
}

/**
 * M = T @ S @ R @ P @ C as Ultralytics: C centres the input, P perspective, R rotation+scale about the
 * origin (cv2.getRotationMatrix2D convention), S shear, T moves to tx*outW, ty*outH.
 *
 * @example
 * const m = affineMatrix(p, 1280, 1280, 640, 640);
 */
export function affineMatrix(p: AffineParams, inW: number, inH: number, outW: number, outH: number): Mat3 {
  const C: Mat3 = [1, 0, -inW / 2, 0, 1, -inH / 2, 0, 0, 1];
  const P: Mat3 = [1, 0, 0, 0, 1, 0, p.px, p.py, 1];
  const a = (p.angle * Math.PI) / 180;
  const cos = Math.cos(a) * p.scale, sin = Math.sin(a) * p.scale;
  const R: Mat3 = [cos, sin, 0, -sin, cos, 0, 0, 0, 1];
  const S: Mat3 = [1, Math.tan((p.shearX * Math.PI) / 180), 0, Math.tan((p.shearY * Math.PI) / 180), 1, 0, 0, 0, 1];
  const T: Mat3 = [1, 0, p.tx * outW, 0, 1, p.ty * outH, 0, 0, 1];
  return matMul(T, matMul(S, matMul(R, matMul(P, C))));
}

/**
 * Ultralytics RandomPerspective: warp to (in + 2*border) pixels (border = -imgsz/2 after mosaic, so a
 * 2S canvas comes back as S), transform and clip boxes, then drop boxes failing `box_candidates`
 * (wh_thr 2, ar_thr 100, area_thr 0.1).
 *
 * @example
 * const out = randomAffine(canvas, labels, DEFAULT_HYP, -320, rng); // 1280 -> 640
 */
export function randomAffine(img: RgbImage, labels: readonly PixelLabel[], hyp: AugmentHyp, border: number, rng: Rng, params?: AffineParams): { image: RgbImage; labels: PixelLabel[] } {
  const outW = img.width + 2 * border, outH = img.height + 2 * border;
  const p = params ?? drawAffine(hyp, rng);
  const m = affineMatrix(p, img.width, img.height, outW, outH);
  const image = warpImage(img, m, outW, outH);
  const moved = transformBoxes(labels, m, outW, outH);
  const kept = moved.filter((l, i) => {
    const b = labels[i].box;
    return boxCandidate([b[0] * p.scale, b[1] * p.scale, b[2] * p.scale, b[3] * p.scale], l.box);
  });
  return { image, labels: kept };
}
