import type { RgbImage } from '../image/types.js';

/** A box in pixel xyxy (continuous coordinates: pixel i covers [i, i+1)) with its class. */
export interface PixelLabel {
  classId: number;
  box: [number, number, number, number];
}

/** Row-major 3x3 matrix. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

/**
 * a @ b for 3x3 matrices.
 *
 * @example
 * matMul(T, R); // T applied after R
 */
export function matMul(a: Mat3, b: Mat3): Mat3 {
  const o = new Array<number>(9).fill(0) as Mat3;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return o;
}

/**
 * Inverse of a 3x3 matrix (adjugate / determinant).
 *
 * @example
 * matInv([2, 0, 0, 0, 2, 0, 0, 0, 1]); // [0.5, 0, 0, 0, 0.5, 0, 0, 0, 1]
 */
export function matInv(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

/**
 * Apply m to the point (x, y) with the projective division.
 *
 * @example
 * applyMat([1, 0, 5, 0, 1, 7, 0, 0, 1], 1, 1); // [6, 8]
 */
export function applyMat(m: Mat3, x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

/**
 * Warp `src` into an outW x outH image with m (src -> dst pixel coordinates), bilinear, constant border 114.
 * Pixel centres are used (dst pixel u samples src at m^-1(u + 0.5) - 0.5), so a box transformed by m
 * through its continuous corners matches the warped content exactly. OpenCV's warpAffine maps integer
 * indices instead, a sub-pixel shift of (1 - 1/scale)/2 px relative to its boxes; we avoid it.
 *
 * @example
 * const out = warpImage(img, [0.5, 0, 0, 0, 0.5, 0, 0, 0, 1], 320, 320); // half size, top-left
 */
export function warpImage(src: RgbImage, m: Mat3, outW: number, outH: number, border = 114): RgbImage {
  const inv = matInv(m);
  const out = new Uint8Array(outW * outH * 3);
  const affine = Math.abs(inv[6]) < 1e-15 && Math.abs(inv[7]) < 1e-15;
  for (let v = 0; v < outH; v++) {
    if (affine) {
      warpRowAffine(src, inv, v, outW, border, out);
      continue;
    }
    for (let u = 0; u < outW; u++) {
      const [sx, sy] = applyMat(inv, u + 0.5, v + 0.5);
      sampleBilinear(src.data, src.width, src.height, sx - 0.5, sy - 0.5, border, out, (v * outW + u) * 3);
    }
  }
  return { width: outW, height: outH, data: out };
}

/** One output row of an affine warp; interior pixels take a branch-free path (the hot loop). */
function warpRowAffine(src: RgbImage, inv: Mat3, v: number, outW: number, border: number, out: Uint8Array): void {
  const { width: W, height: H, data } = src;
  const w = inv[8];
  let sx = (inv[0] * 0.5 + inv[1] * (v + 0.5) + inv[2]) / w - 0.5;
  let sy = (inv[3] * 0.5 + inv[4] * (v + 0.5) + inv[5]) / w - 0.5;
  const dx = inv[0] / w, dy = inv[3] / w, row = W * 3;
  for (let u = 0, o = v * outW * 3; u < outW; u++, o += 3, sx += dx, sy += dy) {
    const x0 = Math.floor(sx), y0 = Math.floor(sy);
    if (x0 < 0 || y0 < 0 || x0 + 1 >= W || y0 + 1 >= H) {
      sampleBilinear(data, W, H, sx, sy, border, out, o);
      continue;
    }
    const fx = sx - x0, fy = sy - y0;
    const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
    const p = (y0 * W + x0) * 3;
    out[o] = Math.round(data[p] * w00 + data[p + 3] * w01 + data[p + row] * w10 + data[p + row + 3] * w11);
    out[o + 1] = Math.round(data[p + 1] * w00 + data[p + 4] * w01 + data[p + row + 1] * w10 + data[p + row + 4] * w11);
    out[o + 2] = Math.round(data[p + 2] * w00 + data[p + 5] * w01 + data[p + row + 2] * w10 + data[p + row + 5] * w11);
  }
}

/** Bilinear sample at (sx, sy) in index coordinates; neighbours outside the image read `border`. */
function sampleBilinear(data: Uint8Array, W: number, H: number, sx: number, sy: number, border: number, out: Uint8Array, o: number): void {
  const x0 = Math.floor(sx), y0 = Math.floor(sy);
  if (x0 < -1 || y0 < -1 || x0 >= W || y0 >= H) {
    out[o] = out[o + 1] = out[o + 2] = border;
    return;
  }
  const fx = sx - x0, fy = sy - y0;
  const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
  const in0 = x0 >= 0, in1 = x0 + 1 < W, r0 = y0 >= 0, r1 = y0 + 1 < H;
  const p00 = (y0 * W + x0) * 3, p01 = p00 + 3, p10 = p00 + W * 3, p11 = p10 + 3;
  for (let c = 0; c < 3; c++) {
    const a = r0 && in0 ? data[p00 + c] : border;
    const b = r0 && in1 ? data[p01 + c] : border;
    const d = r1 && in0 ? data[p10 + c] : border;
    const e = r1 && in1 ? data[p11 + c] : border;
    out[o + c] = Math.round(a * w00 + b * w01 + d * w10 + e * w11);
  }
}

/**
 * Transform boxes by m through their 4 corners, take the enclosing box and clip it to the output
 * (Ultralytics RandomPerspective.apply_bboxes + clip).
 *
 * @example
 * transformBoxes([{ classId: 0, box: [0, 0, 10, 10] }], [2, 0, 0, 0, 2, 0, 0, 0, 1], 640, 640); // box [0, 0, 20, 20]
 */
export function transformBoxes(labels: readonly PixelLabel[], m: Mat3, outW: number, outH: number): PixelLabel[] {
  return labels.map(({ classId, box: [x0, y0, x1, y1] }) => {
    const pts = [applyMat(m, x0, y0), applyMat(m, x1, y0), applyMat(m, x0, y1), applyMat(m, x1, y1)];
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const clip = (x: number, hi: number): number => Math.min(Math.max(x, 0), hi);
    return { classId, box: [clip(Math.min(...xs), outW), clip(Math.min(...ys), outH), clip(Math.max(...xs), outW), clip(Math.max(...ys), outH)] };
  });
}

/**
 * Ultralytics `box_candidates`: keep a transformed box if it is wider and taller than wh_thr px, keeps more
 * than area_thr of its (scale-adjusted) original area, and its aspect ratio is under ar_thr.
 * `before` are the original boxes already multiplied by the affine scale.
 *
 * @example
 * boxCandidate([0, 0, 10, 10], [0, 0, 10, 1]); // false: 1 px tall
 */
export function boxCandidate(before: readonly number[], after: readonly number[], whThr = 2, arThr = 100, areaThr = 0.1): boolean {
  const eps = 1e-16;
  const w1 = before[2] - before[0], h1 = before[3] - before[1];
  const w2 = after[2] - after[0], h2 = after[3] - after[1];
  const ar = Math.max(w2 / (h2 + eps), h2 / (w2 + eps));
  return w2 > whThr && h2 > whThr && (w2 * h2) / (w1 * h1 + eps) > areaThr && ar < arThr;
}
