import type { RgbImage } from '../image/types.js';
import type { PixelLabel } from './geometry.js';
import type { Rng } from './rng.js';

/** An image with its labels in that image's pixel xyxy. */
export interface LabeledImage {
  image: RgbImage;
  labels: PixelLabel[];
}

/** Copy src rows [sy0, sy0+h) x cols [sx0, sx0+w) to dst at (dx0, dy0). */
function blit(src: RgbImage, dst: RgbImage, sx0: number, sy0: number, dx0: number, dy0: number, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    const s = ((sy0 + y) * src.width + sx0) * 3;
    dst.data.set(src.data.subarray(s, s + w * 3), ((dy0 + y) * dst.width + dx0) * 3);
  }
}

/**
 * Where tile i (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) of a w x h image goes on the
 * 2S canvas around the centre (xc, yc): the canvas rectangle [a] and the image rectangle [b] it shows
 * (Ultralytics Mosaic._mosaic4 geometry: each tile touches the centre and is cut at the canvas edge).
 *
 * @example
 * tileRects(0, 640, 480, 700, 600, 640); // { a: [60, 120, 700, 600], b: [0, 0, 640, 480] }
 */
export function tileRects(i: number, w: number, h: number, xc: number, yc: number, S: number): { a: number[]; b: number[] } {
  const S2 = 2 * S;
  let a: number[];
  if (i === 0) a = [Math.max(xc - w, 0), Math.max(yc - h, 0), xc, yc];
  else if (i === 1) a = [xc, Math.max(yc - h, 0), Math.min(xc + w, S2), yc];
  else if (i === 2) a = [Math.max(xc - w, 0), yc, xc, Math.min(S2, yc + h)];
  else a = [xc, yc, Math.min(xc + w, S2), Math.min(S2, yc + h)];
  const aw = a[2] - a[0], ah = a[3] - a[1];
  // Tiles left of the centre show the image's right part, tiles above show its bottom part.
  const bx0 = i === 0 || i === 2 ? w - aw : 0;
  const by0 = i === 0 || i === 1 ? h - ah : 0;
  return { a, b: [bx0, by0, bx0 + aw, by0 + ah] };
}

/**
 * 4-image mosaic on a 2S x 2S canvas filled with 114, centre drawn uniformly in [S/2, 3S/2) and
 * truncated to an integer. Labels are shifted with their tile, clipped to the canvas and zero-area
 * boxes dropped (as Ultralytics). The caller then runs randomAffine with border -S/2 to get S x S.
 *
 * @example
 * const { image, labels } = mosaic4([a, b, c, d], 640, rng); // image 1280x1280
 */
export function mosaic4(parts: readonly LabeledImage[], S: number, rng: Rng): LabeledImage {
  const yc = Math.trunc(rng.uniform(S / 2, (3 * S) / 2));
  const xc = Math.trunc(rng.uniform(S / 2, (3 * S) / 2));
  const canvas: RgbImage = { width: 2 * S, height: 2 * S, data: new Uint8Array(4 * S * S * 3).fill(114) };
  const labels: PixelLabel[] = [];
  parts.forEach((p, i) => {
    const { a, b } = tileRects(i, p.image.width, p.image.height, xc, yc, S);
    blit(p.image, canvas, b[0], b[1], a[0], a[1], a[2] - a[0], a[3] - a[1]);
    const padw = a[0] - b[0], padh = a[1] - b[1];
    for (const l of p.labels) {
      const clip = (v: number): number => Math.min(Math.max(v, 0), 2 * S);
      const box: PixelLabel['box'] = [clip(l.box[0] + padw), clip(l.box[1] + padh), clip(l.box[2] + padw), clip(l.box[3] + padh)];
      if (box[2] > box[0] && box[3] > box[1]) labels.push({ classId: l.classId, box });
    }
  });
  return { image: canvas, labels };
}
