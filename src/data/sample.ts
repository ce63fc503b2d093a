import { decodeImage } from '../node/decode.js';
import { pyRound } from '../image/letterbox.js';
import { resizeBilinearCv } from '../image/resize.js';
import type { RgbImage } from '../image/types.js';
import { randomAffine } from './affine.js';
import type { PixelLabel } from './geometry.js';
import { augmentHsv } from './hsv.js';
import type { AugmentHyp } from './hyp.js';
import { mosaic4 } from './mosaic.js';
import type { LabeledImage } from './mosaic.js';
import type { Rng } from './rng.js';
import type { Dataset, LabelBox } from './types.js';

/** Decodes an image file to RGB (normally `decodeImage` from src/image/decode.ts). */
export type ImageLoader = (path: string) => Promise<RgbImage>;

/** Options of buildTrainSample. */
export interface TrainSampleOptions {
  imgsz: number;
  /** false during the trainer's close_mosaic epochs (see mosaicEnabled). */
  mosaic: boolean;
  hyp: AugmentHyp;
  /** Image decoder (default decodeImage); tests and the worker pool may pass their own. */
  load?: ImageLoader;
}

/** A training sample: imgsz x imgsz RGB and normalised [cx, cy, w, h] labels. */
export interface TrainSample {
  image: RgbImage;
  labels: LabelBox[];
}

/** Images that failed to decode since the last drain: path -> reason. */
const failedImages = new Map<string, string>();

/**
 * The images that failed to decode (and were replaced by blank samples) since the last call.
 *
 * @example
 * const batch = await buildTrainBatch(ds, [0, 1], opts, 7); const bad = drainSampleProblems();
 */
export function drainSampleProblems(): { file: string; reason: string }[] {
  const out = [...failedImages].map(([file, reason]) => ({ file, reason }));
  failedImages.clear();
  return out;
}

/**
 * Ultralytics load_image for training: long side resized to S with (min(ceil(w*r), S), min(ceil(h*r), S)),
 * bilinear; labels to pixel xyxy of the resized image (per-axis scale, exact).
 *
 * @example
 * const { image, labels } = await loadResized(ds, 0, 640, decodeImage);
 */
export async function loadResized(ds: Dataset, index: number, S: number, load: ImageLoader = decodeImage): Promise<LabeledImage> {
  const item = ds.items[index];
  let img: RgbImage;
  try {
    img = await load(item.image);
  } catch (e) {
    // An image that passed the dataset check but no longer decodes (changed or damaged since): it
    // becomes a blank S x S background sample, and is reported (drainSampleProblems) instead of
    // stopping the run.
    failedImages.set(item.image, e instanceof Error ? e.message.split('\n')[0] : String(e));
    return { image: { width: S, height: S, data: new Uint8Array(S * S * 3).fill(114) }, labels: [] };
  }
  const r = S / Math.max(img.width, img.height);
  const w = r === 1 ? img.width : Math.min(Math.ceil(img.width * r), S);
  const h = r === 1 ? img.height : Math.min(Math.ceil(img.height * r), S);
  const image = r === 1 ? img : resizeBilinearCv(img, w, h);
  const labels = item.labels.map(({ classId, box: [cx, cy, bw, bh] }): PixelLabel => ({
    classId, box: [(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h],
  }));
  return { image, labels };
}

/**
 * Pad to S x S with 114, centred as Ultralytics LetterBox (left = round(dw - 0.1), top = round(dh - 0.1));
 * the image is already at most S on each side, so there is no resize. Labels shift by the pad.
 *
 * @example
 * const sq = padToSquare(await loadResized(ds, 0, 640, load), 640);
 */
export function padToSquare(p: LabeledImage, S: number): LabeledImage {
  const { width: w, height: h } = p.image;
  const left = pyRound((S - w) / 2 - 0.1), top = pyRound((S - h) / 2 - 0.1);
  const data = new Uint8Array(S * S * 3).fill(114);
  for (let y = 0; y < h; y++) data.set(p.image.data.subarray(y * w * 3, (y + 1) * w * 3), ((top + y) * S + left) * 3);
  const labels = p.labels.map((l): PixelLabel => ({ classId: l.classId, box: [l.box[0] + left, l.box[1] + top, l.box[2] + left, l.box[3] + top] }));
  return { image: { width: S, height: S, data }, labels };
}

/**
 * Mirror an image left-right (or top-bottom) in place; boxes map x -> W - x (y -> H - y).
 *
 * @example
 * flip(sample, 'horizontal');
 */
export function flip(p: LabeledImage, dir: 'horizontal' | 'vertical'): void {
  const { width: W, height: H, data } = p.image;
  if (dir === 'horizontal') {
    for (let y = 0; y < H; y++) {
      for (let a = y * W * 3, b = a + (W - 1) * 3; a < b; a += 3, b -= 3) {
        for (let c = 0; c < 3; c++) [data[a + c], data[b + c]] = [data[b + c], data[a + c]];
      }
    }
    p.labels = p.labels.map((l) => ({ classId: l.classId, box: [W - l.box[2], l.box[1], W - l.box[0], l.box[3]] }));
  } else {
    const row = new Uint8Array(W * 3);
    for (let a = 0, b = H - 1; a < b; a++, b--) {
      row.set(data.subarray(a * W * 3, (a + 1) * W * 3));
      data.copyWithin(a * W * 3, b * W * 3, (b + 1) * W * 3);
      data.set(row, b * W * 3);
    }
    p.labels = p.labels.map((l) => ({ classId: l.classId, box: [l.box[0], H - l.box[3], l.box[2], H - l.box[1]] }));
  }
}

/**
 * One augmented training sample, Ultralytics v8_transforms order: mosaic (p = hyp.mosaic, 4 images:
 * `index` + 3 random) then random affine with border -S/2, or letterbox then random affine with border
 * 0; then HSV, vertical flip (p = flipud), horizontal flip (p = fliplr). Mosaic partners are drawn
 * uniformly from the whole dataset (Ultralytics draws from its recent-image buffer).
 *
 * @example
 * const s = await buildTrainSample(ds, 7, { imgsz: 640, mosaic: true, hyp: DEFAULT_HYP }, new Rng(0));
 */
export async function buildTrainSample(ds: Dataset, index: number, opts: TrainSampleOptions, rng: Rng): Promise<TrainSample> {
  const { imgsz: S, hyp } = opts;
  const load = opts.load ?? decodeImage;
  let p: LabeledImage;
  if (opts.mosaic && rng.random() < hyp.mosaic) {
    const idx = [index, rng.int(ds.items.length), rng.int(ds.items.length), rng.int(ds.items.length)];
    const parts = await Promise.all(idx.map((i) => loadResized(ds, i, S, load)));
    const m = mosaic4(parts, S, rng);
    p = randomAffine(m.image, m.labels, hyp, -Math.floor(S / 2), rng);
  } else {
    const sq = padToSquare(await loadResized(ds, index, S, load), S);
    p = randomAffine(sq.image, sq.labels, hyp, 0, rng);
  }
  augmentHsv(p.image, hyp.hsv_h, hyp.hsv_s, hyp.hsv_v, rng);
  if (rng.random() < hyp.flipud) flip(p, 'vertical');
  if (rng.random() < hyp.fliplr) flip(p, 'horizontal');
  return { image: p.image, labels: toNormalized(p.labels, p.image.width, p.image.height) };
}

/** Pixel xyxy -> normalised [cx, cy, w, h]. */
export function toNormalized(labels: readonly PixelLabel[], W: number, H: number): LabelBox[] {
  return labels.map(({ classId, box: [x0, y0, x1, y1] }) => ({
    classId, box: [(x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H],
  }));
}
