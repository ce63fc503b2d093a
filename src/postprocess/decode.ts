/**
 * Decoding of the raw Detect-head outputs of LeYOLO (Ultralytics v8 head).
 *
 * Per level the head gives [B, 64 + nc, H, W]: channels 0..63 are box-distribution logits
 * (side-major: channel = side * 16 + bin, sides l, t, r, b), then nc class logits.
 * The official decode (DFL softmax expectation -> dist2bbox xywh -> * stride, sigmoid on classes)
 * produces [B, 4 + nc, N], N = sum of H*W, level-major then row-major (y, x), anchor (x+.5, y+.5).
 *
 * Arithmetic follows torch's float32 steps (Math.fround after each op) so that the candidate
 * boxes match the official ones to the last bits where practical; the softmax itself is done in
 * float64 (torch sums float32 exps in another order, so those bits cannot match anyway).
 */
import type { Tensor } from '../tensor.js';
import { LeyoloError } from '../errors.js';
import { type Candidates, CandidateBuilder } from './candidates.js';

/** Bins per box side of the distribution focal loss head (Ultralytics reg_max). */
export const REG_MAX = 16;
const BOX_CH = 4 * REG_MAX;
const f32 = Math.fround;

/** float32 sigmoid (correctly rounded from float64; torch's may differ by 1 ulp). */
export function sigmoid32(x: number): number {
  return f32(1 / (1 + Math.exp(-x)));
}

interface Level {
  data: Float32Array;
  h: number;
  w: number;
  plane: number; // H*W
  stride: number;
  first: number; // index of this level's first anchor in 0..N-1
  itemSize: number; // (64+nc)*H*W floats per batch item
}

interface Levels {
  levels: Level[];
  batch: number;
  total: number; // N
}

function bad(message: string, hint: string): LeyoloError {
  return new LeyoloError('BAD_ARGUMENT', message, hint);
}

function describeLevels(heads: readonly Tensor[], strides: readonly number[], nc: number): Levels {
  if (heads.length === 0 || heads.length !== strides.length) {
    throw bad(`got ${heads.length} head outputs and ${strides.length} strides`, 'pass one stride per head level, e.g. [8, 16, 32]');
  }
  if (!Number.isInteger(nc) || nc < 1) throw bad(`nc must be a positive integer, got ${nc}`, 'pass the model class count');
  const levels: Level[] = [];
  let total = 0;
  const batch = heads[0].shape[0];
  heads.forEach((t, i) => {
    const [b, c, h, w] = t.shape;
    if (t.shape.length !== 4 || c !== BOX_CH + nc || b !== batch) {
      throw bad(`head ${i} has shape [${t.shape}], expected [${batch}, ${BOX_CH + nc}, H, W]`, 'pass raw Detect-head outputs [B, 64+nc, H, W] per level and the right nc');
    }
    if (t.data.length < b * c * h * w) throw bad(`head ${i} data is shorter than its shape`, 'check the tensor buffer');
    levels.push({ data: t.data, h, w, plane: h * w, stride: strides[i], first: total, itemSize: c * h * w });
    total += h * w;
  });
  return { levels, batch, total };
}

/**
 * DFL expectation of the 4 side distances (grid units) of anchor `p`, then dist2bbox (xywh) * stride.
 * `out` receives [cx, cy, w, h] in input-tensor pixels (float32).
 */
function decodeBox(lv: Level, base: number, p: number, out: Float32Array): void {
  const { data, plane } = lv;
  const d = out; // reuse as scratch for the 4 distances, overwritten below
  for (let s = 0; s < 4; s++) {
    const off = base + s * REG_MAX * plane + p;
    let m = -Infinity;
    for (let k = 0; k < REG_MAX; k++) m = Math.max(m, data[off + k * plane]);
    let sum = 0;
    let acc = 0;
    for (let k = 0; k < REG_MAX; k++) {
      const e = Math.exp(data[off + k * plane] - m);
      sum += e;
      acc += k * e;
    }
    d[s] = acc / sum; // stored as float32, like torch's conv output
  }
  const ax = (p % lv.w) + 0.5;
  const ay = Math.floor(p / lv.w) + 0.5;
  const x1 = f32(ax - d[0]);
  const y1 = f32(ay - d[1]);
  const x2 = f32(ax + d[2]);
  const y2 = f32(ay + d[3]);
  out[0] = f32(f32(x1 + x2) / 2) * lv.stride; // strides are powers of two: exact in float32
  out[1] = f32(f32(y1 + y2) / 2) * lv.stride;
  out[2] = f32(x2 - x1) * lv.stride;
  out[3] = f32(y2 - y1) * lv.stride;
}

/**
 * Full decode, like the official model output: one Float32Array [(4 + nc) x N] per batch item
 * (rows 0-3 cx, cy, w, h in input-tensor pixels; rows 4.. sigmoid class scores).
 * Meant for parity checks and for callers that need every anchor; prediction should use
 * {@link candidatesFromHeads}, which touches only the anchors that pass the threshold.
 *
 * @example
 * const [dec] = decodeHeads([p3, p4, p5], [8, 16, 32], 80); // dec.length === 84 * N
 */
export function decodeHeads(heads: readonly Tensor[], strides: readonly number[], nc: number): Float32Array[] {
  const { levels, batch, total } = describeLevels(heads, strides, nc);
  const out: Float32Array[] = [];
  const box = new Float32Array(4);
  for (let b = 0; b < batch; b++) {
    const dec = new Float32Array((4 + nc) * total);
    for (const lv of levels) {
      const base = b * lv.itemSize;
      for (let p = 0; p < lv.plane; p++) {
        decodeBox(lv, base, p, box);
        for (let r = 0; r < 4; r++) dec[r * total + lv.first + p] = box[r];
      }
      for (let c = 0; c < nc; c++) {
        const src = base + (BOX_CH + c) * lv.plane;
        const dst = (4 + c) * total + lv.first;
        for (let p = 0; p < lv.plane; p++) dec[dst + p] = sigmoid32(lv.data[src + p]);
      }
    }
    out.push(dec);
  }
  return out;
}

/** A logit below which sigmoid32(logit) > conf is impossible (with margin for float32 rounding). */
function logitLowerBound(confF: number): number {
  if (confF <= 0) return -Infinity;
  if (confF >= 1) return Infinity;
  return Math.log(confF / (1 - confF)) - 1e-3 - 1e-6 / (confF * (1 - confF));
}

function checkConf(conf: number): number {
  if (!(conf >= 0 && conf <= 1)) throw bad(`conf must be in [0, 1], got ${conf}`, 'pass a confidence threshold such as 0.25');
  // torch compares a float32 tensor with a Python float in float32
  return f32(conf);
}

/** Per-anchor max class logit of one level (class-outer loop: contiguous reads). */
function classMax(lv: Level, base: number, nc: number, maxL: Float32Array): void {
  const { data, plane } = lv;
  maxL.set(data.subarray(base + BOX_CH * plane, base + (BOX_CH + 1) * plane));
  for (let c = 1; c < nc; c++) {
    const src = base + (BOX_CH + c) * plane;
    for (let p = 0; p < plane; p++) {
      const v = data[src + p];
      if (v > maxL[p]) maxL[p] = v;
    }
  }
}

/**
 * First class whose float32 score equals the best score (torch's max returns the first maximum,
 * and distinct logits can round to the same float32 sigmoid). Only logits close to the max, or
 * saturated ones (>= 16), can tie, so sigmoid is computed for those alone.
 */
function firstBestClass(lv: Level, base: number, p: number, nc: number, maxL: number, best: number): number {
  const lo = Math.min(maxL - 1, 16);
  for (let c = 0; c < nc; c++) {
    const l = lv.data[base + (BOX_CH + c) * lv.plane + p];
    if (l >= lo && sigmoid32(l) === best) return c;
  }
  return -1; // unreachable for finite logits
}

/** Options of the candidate extraction. */
export interface CandidateOptions {
  /** Keep scores strictly greater than this (Ultralytics conf). */
  conf: number;
  /** One candidate per (anchor, class) above conf (val) instead of the best class only (predict). */
  multiLabel?: boolean;
  /** Batch item to read, default 0. */
  batchIndex?: number;
}

/**
 * FAST path for prediction: candidates straight from raw head outputs, without decoding every
 * anchor. Anchors whose max class logit cannot pass `conf` are skipped (sigmoid is monotonic, so
 * logits are compared); DFL box decoding and sigmoid run only for the survivors. Gives exactly
 * `candidatesFromDecoded(decodeHeads(heads, strides, nc)[b], nc, N, conf, multiLabel)`.
 *
 * @example
 * const cand = candidatesFromHeads([p3, p4, p5], [8, 16, 32], 80, { conf: 0.25 });
 * const dets = nms(cand, { iou: 0.7 });
 */
export function candidatesFromHeads(
  heads: readonly Tensor[],
  strides: readonly number[],
  nc: number,
  opts: CandidateOptions,
): Candidates {
  const { levels, batch } = describeLevels(heads, strides, nc);
  const b = opts.batchIndex ?? 0;
  if (!(Number.isInteger(b) && b >= 0 && b < batch)) throw bad(`batchIndex ${b} out of range 0..${batch - 1}`, 'pick an existing batch item');
  const confF = checkConf(opts.conf);
  const lo = logitLowerBound(confF);
  const multi = (opts.multiLabel ?? false) && nc > 1; // Ultralytics: multi_label &= nc > 1
  const out = new CandidateBuilder();
  const box = new Float32Array(4);
  const maxL = new Float32Array(Math.max(...levels.map((l) => l.plane)));
  for (const lv of levels) {
    const base = b * lv.itemSize;
    classMax(lv, base, nc, maxL);
    for (let p = 0; p < lv.plane; p++) {
      if (!(maxL[p] > lo)) continue;
      const best = sigmoid32(maxL[p]);
      if (!(best > confF)) continue;
      decodeBox(lv, base, p, box);
      const n = lv.first + p;
      if (!multi) {
        pushXywh(out, box, best, firstBestClass(lv, base, p, nc, maxL[p], best), n);
        continue;
      }
      for (let c = 0; c < nc; c++) {
        const l = lv.data[base + (BOX_CH + c) * lv.plane + p];
        if (!(l > lo)) continue;
        const s = sigmoid32(l);
        if (s > confF) pushXywh(out, box, s, c, n);
      }
    }
  }
  return out.finish();
}

/** xywh -> xyxy in float32 (w / 2 is exact), then append. */
function pushXywh(out: CandidateBuilder, xywh: ArrayLike<number>, score: number, cls: number, n: number): void {
  const hw = xywh[2] / 2;
  const hh = xywh[3] / 2;
  out.push(f32(xywh[0] - hw), f32(xywh[1] - hh), f32(xywh[0] + hw), f32(xywh[1] + hh), score, cls, n);
}

/**
 * Candidates from an already decoded output [(4 + nc) x N] (e.g. the official ONNX export's
 * [B, 4 + nc, N], batch item `batchIndex`), as Ultralytics non_max_suppression selects them:
 * anchors whose max class score > conf; best class only, or every class > conf with multiLabel
 * (order: anchor, then class, like torch.where).
 *
 * @example
 * const cand = candidatesFromDecoded(onnxOut.data, 80, 8400, 0.001, true);
 */
export function candidatesFromDecoded(
  decoded: Float32Array,
  nc: number,
  N: number,
  conf: number,
  multiLabel: boolean,
  batchIndex = 0,
): Candidates {
  const rows = 4 + nc;
  const base = batchIndex * rows * N;
  if (!(nc >= 1 && N >= 0 && decoded.length >= base + rows * N)) {
    throw bad(`decoded buffer of ${decoded.length} floats is too short for [${batchIndex + 1}, ${rows}, ${N}]`, 'pass the model output [B, 4+nc, N] with the right nc and N');
  }
  const confF = checkConf(conf);
  const multi = multiLabel && nc > 1;
  const maxS = decoded.slice(base + 4 * N, base + 5 * N);
  const arg = new Int32Array(N);
  for (let c = 1; c < nc; c++) {
    const row = base + (4 + c) * N;
    for (let n = 0; n < N; n++) {
      if (decoded[row + n] > maxS[n]) {
        maxS[n] = decoded[row + n];
        arg[n] = c; // strict '>' keeps the first maximum, like torch
      }
    }
  }
  const out = new CandidateBuilder();
  const box = new Float32Array(4);
  for (let n = 0; n < N; n++) {
    if (!(maxS[n] > confF)) continue;
    for (let r = 0; r < 4; r++) box[r] = decoded[base + r * N + n];
    if (!multi) {
      pushXywh(out, box, maxS[n], arg[n], n);
      continue;
    }
    for (let c = 0; c < nc; c++) {
      const s = decoded[base + (4 + c) * N + n];
      if (s > confF) pushXywh(out, box, s, c, n);
    }
  }
  return out.finish();
}
