/**
 * Validation: run a detector over a dataset and compute both metric families, the Ultralytics
 * ones (what `yolo val` prints) and pycocotools-exact COCO AP.
 */
import type { Detector, Detection } from '../detector.js';
import type { Dataset } from '../data/types.js';
import { toCocoGt } from '../data/dataset.js';
import { cocoEval, cocoSummary, DetStats, ConfusionMatrix, type CocoDet, type CocoGt, type CocoSummary, type DetResult } from '../metrics/index.js';
import type { RgbImage } from '../image/types.js';
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
 * GT xyxy in original pixels the way Ultralytics' validator gets them: the label is denormalised with
 * the val-resized size (ceil(w0 * S / max), ceil(h0 * S / max)), then mapped back by `scale_boxes` with
 * the HEIGHT ratio as the gain for both axes, and clipped (float32, as torch does). Using the true
 * width instead moves coco128 mAP50-95 by ~4e-4.
 */
function labelXyxy(img: RgbImage, imgsz: number, b: readonly number[]): [number, number, number, number] {
  const { width: w0, height: h0 } = img;
  const r = imgsz / Math.max(w0, h0);
  const [rw, rh] = r === 1 ? [w0, h0] : [Math.min(Math.ceil(w0 * r), imgsz), Math.min(Math.ceil(h0 * r), imgsz)];
  const gain = f32(rh / h0);
  const [cx, cy, w, h] = b.map(f32);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const x = (v: number) => clip(f32(f32(v * rw) / gain), w0);
  const y = (v: number) => clip(f32(f32(v * rh) / gain), h0);
  return [x(f32(cx - f32(w / 2))), y(f32(cy - f32(h / 2))), x(f32(cx + f32(w / 2))), y(f32(cy + f32(h / 2)))];
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
export async function validate<In>(model: Detector<In>, ds: Dataset, opts: ValidateOptions = {}, hooks: ValidateHooks = {}): Promise<ValidateResult> {
  const batch = opts.rect ? 1 : Math.max(1, opts.batch ?? 1);
  const detOpts = { conf: opts.conf ?? 0.001, iou: opts.iou ?? 0.7, maxDet: opts.maxDet ?? 300, multiLabel: true };
  const catIds = ds.categoryIds ?? (isCoco80(ds.names) ? COCO80_TO_91 : ds.names.map((_, i) => i));
  const stats = new DetStats();
  const confusion = new ConfusionMatrix(ds.names.length);
  const cocoResults: CocoDet[] = [];
  const sizes = new Map<string, { w: number; h: number }>();
  const t0 = { ...model.times };
  const { decodeImage } = await import('../image/decode.js');
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
      const gt = item.labels.map((l) => ({ classId: l.classId, box: labelXyxy(img, model.meta.imgsz, l.box) }));
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
