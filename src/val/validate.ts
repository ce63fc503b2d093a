/**
 * Validation: run a detector over a dataset and compute both metric families, the Ultralytics
 * ones (what `yolo val` prints) and pycocotools-exact COCO AP.
 */
import type { DetectorLike, Detection } from '../detector.js';
import type { Dataset } from '../data/types.js';
import { toCocoGt } from '../data/dataset.js';
import { cocoEval, cocoSummary, DetStats, ConfusionMatrix, type CocoDet, type CocoGt, type CocoSummary, type DetResult } from '../metrics/index.js';
import type { RgbImage } from '../image/types.js';
import { pyRound, rectValShape } from '../image/letterbox.js';
import { COCO80_TO_91, isCoco80 } from './coco-ids.js';

/** Options of {@link validate}; defaults are Ultralytics' val defaults. */
export interface ValidateOptions {
  conf?: number;
  iou?: number;
  maxDet?: number;
  /** Images per forward pass (default 1). */
  batch?: number;
  /** Per-image rectangles (Ultralytics rect batching at batch 1) instead of squares. */
  rect?: boolean;
}

/** Awaited hooks, e.g. for a progress bar. */
export interface ValidateHooks {
  onBatch?: (done: number, total: number) => void | Promise<void>;
}

/** Everything `leyolo val` reports. */
export interface ValidateResult {
  ultralytics: DetResult;
  coco: CocoSummary & { stats: number[] };
  confusion: ConfusionMatrix;
  /** Predictions in COCO results format (bbox 3 decimals, score 5 decimals, as Ultralytics writes them). */
  cocoResults: CocoDet[];
  /** ms per image. */
  speed: { preprocess: number; inference: number; postprocess: number };
  images: number;
  /** Images that passed the dataset check but failed to decode: reported, left out of every metric. */
  skipped: { file: string; reason: string }[];
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

const f32 = Math.fround;

/**
 * A YOLO label [cx, cy, w, h] (normalised) as the xyxy box in original pixels that Ultralytics 8.1.4's
 * validator matches against, step by step in float32 as numpy 1.24 / torch compute it:
 * load_image resizes to (rw, rh) = (min(ceil(w0 * r), S), min(ceil(h0 * r), S)), r = S / max(w0, h0);
 * LetterBox denormalises with (rw, rh) and shifts by the HALF padding dw / 2, dh / 2 (41 px of padding:
 * 20.5), while ratio_pad keeps the integer left/top = round(dw / 2 - 0.1) (20); Format renormalises by
 * the input [H, W]; _prepare_batch multiplies back by [W, H] and scale_boxes subtracts left/top, divides
 * by the HEIGHT ratio rh / h0 and clips. So on every image with odd padding the GT sits 0.5 / gain px
 * right of (or below) the label: leaving that out moved mAP50-95 by up to 1e-3 (coco-mini-train@640).
 * `input` is the letterboxed [H, W]: [S, S] for val, the rect-batch shape for rect val.
 *
 * @example
 * valLabelXyxy({ width: 640, height: 427 }, 640, [0.5, 0.5, 0.2, 0.2]); // [256, 171.3, 384, 256.7]: the label's y 170.8..256.2 + 0.5
 */
export function valLabelXyxy(
  size: { readonly width: number; readonly height: number },
  imgsz: number,
  b: readonly number[],
  input: readonly [number, number] = [imgsz, imgsz],
): [number, number, number, number] {
  const { width: w0, height: h0 } = size;
  const r0 = imgsz / Math.max(w0, h0);
  const [rw, rh] = r0 === 1 ? [w0, h0] : [Math.min(Math.ceil(w0 * r0), imgsz), Math.min(Math.ceil(h0 * r0), imgsz)];
  const [H, W] = input;
  // LetterBox(scaleup=False): r = 1 for val's shapes (one side already S, rect shapes are larger).
  const r = Math.min(H / rh, W / rw, 1);
  const dw = (W - pyRound(rw * r)) / 2;
  const dh = (H - pyRound(rh * r)) / 2;
  const [left, top] = [pyRound(dw - 0.1), pyRound(dh - 0.1)];
  const gain = f32(rh / h0);
  // One axis: centre c, size s (normalised) -> [lo, hi] in original pixels.
  const axis = (c: number, s: number, loaded: number, pad: number, shift: number, n: number, hi0: number): [number, number] => {
    const half = f32(s / 2);
    const lo = f32(f32(f32(f32(c - half) * loaded) * f32(r)) + pad); // LetterBox: xyxy, denormalise, scale, pad
    const hi = f32(f32(f32(f32(c + half) * loaded) * f32(r)) + pad);
    const inv = f32(1 / n);
    const cn = f32(f32(f32(lo + hi) / 2) * inv); // Format: xywh, normalise by the input size
    const sn = f32(f32(hi - lo) * inv);
    const back = (v: number): number => Math.min(Math.max(f32(f32(f32(v * n) - shift) / gain), 0), hi0); // _prepare_batch
    return [back(f32(cn - f32(sn / 2))), back(f32(cn + f32(sn / 2)))];
  };
  const [cx, cy, w, h] = b.map(f32);
  const [x1, x2] = axis(cx, w, rw, dw, left, W, w0);
  const [y1, y2] = axis(cy, h, rh, dh, top, H, h0);
  return [x1, y1, x2, y2];
}

/** One COCO results entry per detection (Ultralytics `pred_to_json` rounding). */
function toCocoDets(imageId: number, dets: readonly Detection[], catIds: readonly number[]): CocoDet[] {
  return dets.map((d) => {
    const [x1, y1, x2, y2] = d.box;
    return { image_id: imageId, category_id: catIds[d.classId], bbox: [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)], score: round(d.score, 5) };
  });
}

/**
 * Validate `model` on `ds`. The next batch is decoded while the current one runs through the network.
 *
 * @example
 * const ds = await loadDataset('coco128.yaml', { split: 'val' });
 * const res = await validate(await load({ weights: 'LeYOLONano.pt', imgsz: 640 }), ds);
 * res.ultralytics.mAP5095; res.coco.AP;
 */
export async function validate<In>(model: DetectorLike<In>, ds: Dataset, opts: ValidateOptions = {}, hooks: ValidateHooks = {}): Promise<ValidateResult> {
  const batch = opts.rect ? 1 : Math.max(1, opts.batch ?? 1);
  const detOpts = { conf: opts.conf ?? 0.001, iou: opts.iou ?? 0.7, maxDet: opts.maxDet ?? 300, multiLabel: true };
  const catIds = ds.categoryIds ?? (isCoco80(ds.names) ? COCO80_TO_91 : ds.names.map((_, i) => i));
  const stats = new DetStats();
  const S = model.meta.imgsz;
  const stride = model.meta.strides.reduce((a, b) => Math.max(a, b), 1); // the 'val-rect' letterbox stride (pipeline.ts)
  const confusion = new ConfusionMatrix(ds.names.length);
  const cocoResults: CocoDet[] = [];
  const sizes = new Map<string, { w: number; h: number }>();
  const t0 = { ...model.times };
  const { decodeImage } = await import('../node/decode.js');
  // Settled loads: the prefetched batch may fail while the current one runs; it is handled in turn.
  const load = (i: number) => Promise.all(ds.items.slice(i, i + batch).map((it) => decodeImage(it.image).then((img) => ({ img }), (e: unknown) => ({ e }))));
  const skipped: ValidateResult['skipped'] = [];
  const done = new Set<string>();
  let next = load(0);
  for (let i = 0; i < ds.items.length; i += batch) {
    const tDecode = performance.now();
    const loaded = await next;
    model.times.preprocess += performance.now() - tDecode;
    next = load(i + batch);
    // [global index, image] of the batch's images that decoded.
    const ok: [number, RgbImage][] = [];
    loaded.forEach((r, k) => {
      if ('img' in r) ok.push([i + k, r.img]);
      else skipped.push({ file: ds.items[i + k].image, reason: r.e instanceof Error ? r.e.message : String(r.e) });
    });
    const images = ok.map(([, img]) => img);
    const out = images.length > 0 ? await model.detectImages(images, detOpts, opts.rect ? 'val-rect' : 'val') : [];
    ok.forEach(([idx, img], k) => {
      const item = ds.items[idx];
      done.add(item.image);
      sizes.set(item.image, { w: img.width, h: img.height });
      const gt = item.labels.map((l) => ({ classId: l.classId, box: valLabelXyxy(img, S, l.box, opts.rect ? rectValShape(img.width, img.height, S, stride) : [S, S]) }));
      stats.add(out[k], gt);
      confusion.add(out[k], gt);
      cocoResults.push(...toCocoDets(item.cocoImageId ?? idx + 1, out[k], catIds));
    });
    await hooks.onBatch?.(Math.min(i + batch, ds.items.length), ds.items.length);
  }
  await next;
  const gt = groundTruth(ds, done, sizes, catIds);
  const coco = cocoEval(gt, cocoResults);
  const n = Math.max(1, done.size);
  const t = model.times;
  return {
    ultralytics: stats.compute(ds.names.length, ds.names),
    coco: { ...cocoSummary(coco.stats), stats: coco.stats },
    confusion,
    cocoResults,
    speed: { preprocess: (t.preprocess - t0.preprocess) / n, inference: (t.inference - t0.inference) / n, postprocess: (t.postprocess - t0.postprocess) / n },
    images: done.size,
    skipped,
  };
}

/** COCO ground truth of the images that were evaluated (a skipped image's objects are not misses). */
function groundTruth(ds: Dataset, done: ReadonlySet<string>, sizes: Map<string, { w: number; h: number }>, catIds: readonly number[]): CocoGt {
  const items = ds.items.filter((it) => done.has(it.image));
  if (!ds.coco) return toCocoGt({ ...ds, items }, sizes, { categoryIds: catIds });
  if (items.length === ds.items.length) return ds.coco;
  const ids = new Set(items.map((it) => it.cocoImageId));
  return { ...ds.coco, images: ds.coco.images.filter((im) => ids.has(im.id)), annotations: ds.coco.annotations.filter((a) => ids.has(a.image_id)) };
}
