/**
 * Activation calibration for static INT8: run the float32 graph, with every tensor to be quantized
 * exposed as an extra output, on calibration images letterboxed like `val` (square imgsz), and
 * collect per-tensor ranges (see {@link CalibrationMethod}):
 * - 'minmax': the global min and max over all images;
 * - 'percentile': per image, the (100 - p)th and pth percentiles (2048-bin histogram over that
 *   image's [min, max]), averaged over images: clips rare outliers that would waste uint8 levels;
 * - 'mse' (default): a second pass builds one 2048-bin histogram per tensor over its global
 *   [min, max] and range-search.ts picks the clip range with the least expected error, for
 *   pre-activations the error after the SiLU (LeYOLO's folded-BN convs output down to about -90
 *   where SiLU is flat);
 * - 'hybrid': 'mse' for pre-activations, 'percentile' for everything else.
 */
import { LeyoloError } from '../errors.js';
import { letterbox, toTensor } from '../image/letterbox.js';
import type { RgbImage } from '../image/types.js';
import { createSession, runSession } from '../node/session.js';
import { DT, consumerMap, decodeModel, encodeModel, graphOf } from './proto.js';
import type { NodeP } from './proto.js';
import { bestRange } from './range-search.js';
import type { Range } from './quantize.js';
import { opt } from '../hints.js';

/**
 * - 'minmax': global min and max;
 * - 'percentile': per-image percentiles, averaged;
 * - 'mse': error-minimising clip from a histogram (range-search.ts), SiLU inputs judged after the SiLU;
 * - 'hybrid': 'mse' for SiLU inputs (pre-activations), 'percentile' for the rest.
 * Measured on coco128 mAP50-95 (Nano, 64 coco-mini-train calibration images, the 16 most sensitive
 * tensors in float32): at 640 mse 42.13, hybrid 41.45 (fp32 42.30); at 320 mse 33.98, hybrid 33.86
 * (fp32 33.52). Per-image percentiles clip the post-SiLU outputs well below their pre-activation's
 * clip (model.1: 10.7 vs 19.9), and those outputs are the most sensitive tensors.
 */
export type CalibrationMethod = 'minmax' | 'percentile' | 'mse' | 'hybrid';

export interface CalibrationOptions {
  /** Default 'mse'. */
  method?: CalibrationMethod;
  /** Percentile for 'percentile' (default 99.99). */
  percentile?: number;
  /** Square letterbox size (the export's imgsz). */
  imgsz: number;
  threads?: number;
  /** Progress per pass: 'calibrate' (min/max, percentiles), then 'ranges' (the error-minimising search). */
  onProgress?: (stage: 'calibrate' | 'ranges', done: number, total: number) => void;
}

/** The model with `tensors` added as float graph outputs. */
export function withOutputs(bytes: Uint8Array, tensors: readonly string[]): Uint8Array {
  const model = decodeModel(bytes);
  const g = graphOf(model);
  const have = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const extra = tensors.filter((t) => !have.has(t)).map((name) => ({ name, type: { tensorType: { elemType: DT.float } } }));
  g.output = [...(g.output ?? []), ...extra];
  return encodeModel(model);
}

/** Lower and upper p-quantiles of `x` from a histogram over [min, max]. */
function quantiles(x: Float32Array, min: number, max: number, p: number): [number, number] {
  const bins = 2048;
  if (!(max > min)) return [min, max];
  const h = new Uint32Array(bins);
  const k = bins / (max - min);
  for (let i = 0; i < x.length; i++) h[Math.min(bins - 1, Math.floor((x[i] - min) * k))]++;
  const cut = x.length * (1 - p / 100);
  let acc = 0;
  let lo = 0;
  while (lo < bins - 1 && acc + h[lo] <= cut) acc += h[lo++];
  acc = 0;
  let hi = bins - 1;
  while (hi > 0 && acc + h[hi] <= cut) acc += h[hi--];
  return [min + lo / k, min + (hi + 1) / k];
}

function minMax(x: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Calibrated ranges of `tensors` over the images.
 *
 * @example
 * const ranges = await calibrate(fp32Bytes, quantizableTensors(fp32Bytes), images, { imgsz: 640 });
 */
export async function calibrate(bytes: Uint8Array, tensors: readonly string[], images: readonly (() => Promise<RgbImage>)[], o: CalibrationOptions): Promise<Map<string, Range>> {
  if (images.length === 0) throw new LeyoloError('BAD_ARGUMENT', 'no calibration images', `pass ${opt('int8.images')}: a few dozen representative images (e.g. a COCO subset)`);
  const method = o.method ?? 'mse';
  if (method === 'minmax' || method === 'percentile') return calibratePass(bytes, tensors, images, o, method === 'percentile').then((r) => r[method]);
  // 'mse' needs only the global min/max from the first pass (the per-image histograms cost ~40%).
  const first = await calibratePass(bytes, tensors, images, o, method === 'hybrid');
  const searched = await msePass(bytes, method === 'mse' ? tensors : tensors.filter((t) => siluInputs(bytes).has(t)), images, o, first.minmax);
  return method === 'mse' ? searched : new Map(tensors.map((t) => [t, searched.get(t) ?? first.percentile.get(t)!]));
}

const BINS = 2048;

/**
 * Tensors whose only use is a SiLU: consumed by a Sigmoid and by the Mul of x * sigmoid(x). Their
 * range is chosen for the error after the SiLU (see range-search.ts).
 */
export function siluInputs(bytes: Uint8Array): Set<string> {
  const nodes = graphOf(decodeModel(bytes)).node ?? [];
  const consumers = consumerMap(nodes);
  const out = new Set<string>();
  for (const s of nodes) {
    if (s.opType !== 'Sigmoid') continue;
    const x = s.input![0];
    const isSiluMul = (n: NodeP) => n.opType === 'Mul' && n.input!.includes(x) && n.input!.includes(s.output![0]);
    const uses = consumers.get(x) ?? [];
    if (uses.some((c) => isSiluMul(c.node)) && uses.every((c) => c.node === s || isSiluMul(c.node))) out.add(x);
  }
  return out;
}

async function msePass(bytes: Uint8Array, tensors: readonly string[], images: readonly (() => Promise<RgbImage>)[], o: CalibrationOptions, mm: Map<string, Range>): Promise<Map<string, Range>> {
  const hist = new Map(tensors.map((t) => [t, new Float64Array(BINS)]));
  await eachImage(bytes, tensors, images, o, 'ranges', (t, x) => {
    const { min, max } = mm.get(t)!;
    if (!(max > min)) return;
    const h = hist.get(t)!;
    const k = BINS / (max - min);
    for (let i = 0; i < x.length; i++) h[Math.max(0, Math.min(BINS - 1, Math.floor((x[i] - min) * k)))]++;
  });
  const silu = siluInputs(bytes);
  const out = new Map<string, Range>();
  for (const t of tensors) out.set(t, bestRange({ ...mm.get(t)!, counts: hist.get(t)! }, silu.has(t) ? 'silu' : 'identity'));
  return out;
}

/**
 * The first `n` images letterboxed like calibration ([1, 3, imgsz, imgsz] data each).
 *
 * @example
 * const xs = await letterboxedInputs(images, 640, 2);
 */
export async function letterboxedInputs(images: readonly (() => Promise<RgbImage>)[], imgsz: number, n: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const load of images.slice(0, n)) out.push(toTensor(letterbox(await load(), { size: imgsz, mode: 'val', stride: 32 }).image));
  return out;
}

/** Run the float32 graph with `tensors` exposed on every image; `cb` sees each tensor's data. */
async function eachImage(
  bytes: Uint8Array, tensors: readonly string[], images: readonly (() => Promise<RgbImage>)[], o: CalibrationOptions, stage: 'calibrate' | 'ranges', cb: (t: string, x: Float32Array) => void,
): Promise<void> {
  const session = await createSession(withOutputs(bytes, tensors), { threads: o.threads });
  try {
    for (let i = 0; i < images.length; i++) {
      const lb = letterbox(await images[i](), { size: o.imgsz, mode: 'val', stride: 32 });
      const { width: W, height: H } = lb.image;
      const res = await runSession(session, { [session.inputNames[0]]: { shape: [1, 3, H, W], data: toTensor(lb.image) } }, [...tensors]);
      for (const t of tensors) cb(t, res[t].data);
      o.onProgress?.(stage, i + 1, images.length);
    }
  } finally {
    await session.release();
  }
}

/** One pass: global min/max and (when `withPercentiles`) the per-image percentile ranges averaged over images. */
async function calibratePass(bytes: Uint8Array, tensors: readonly string[], images: readonly (() => Promise<RgbImage>)[], o: CalibrationOptions, withPercentiles: boolean): Promise<{ minmax: Map<string, Range>; percentile: Map<string, Range> }> {
  const p = o.percentile ?? 99.99;
  const minmax = new Map<string, Range>();
  const sum = new Map<string, Range>();
  await eachImage(bytes, tensors, images, o, 'calibrate', (t, x) => {
    const [lo, hi] = minMax(x);
    const r = minmax.get(t) ?? { min: lo, max: hi };
    minmax.set(t, { min: Math.min(r.min, lo), max: Math.max(r.max, hi) });
    if (!withPercentiles) return;
    const [plo, phi] = quantiles(x, lo, hi, p);
    const s = sum.get(t) ?? { min: 0, max: 0 };
    sum.set(t, { min: s.min + plo, max: s.max + phi });
  });
  const percentile = new Map([...sum].map(([t, r]) => [t, { min: r.min / images.length, max: r.max / images.length }]));
  return { minmax, percentile };
}
