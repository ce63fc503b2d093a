/**
 * Non-maximum suppression with the semantics of Ultralytics 8.1.4 `non_max_suppression` on top of
 * `torchvision.ops.nms` (CPU kernel):
 * - optional `classes` filter, then (if more than maxNms) keep the maxNms best scores;
 * - class-aware via offsets: boxes + classId * maxWh (7680), unless agnostic;
 * - candidates visited by score, descending, ties in candidate order (torchvision sorts stably);
 * - a later box is suppressed when IoU > iou (strictly), IoU in float32 on the OFFSET boxes,
 *   area = (x2 - x1) * (y2 - y1) with no +1;
 * - the first maxDet kept boxes are returned, in visiting order.
 * Float32 is emulated with Math.fround at each step, because at offsets of up to ~6e5 the float32
 * rounding of the offset boxes (1/16 px) can flip an IoU that sits near the threshold.
 */
import { LeyoloError } from '../errors.js';
import type { Candidates, Detection } from './candidates.js';

const f32 = Math.fround;

/** Options of {@link nms}; defaults are those of Ultralytics. */
export interface NmsOptions {
  /** IoU threshold in [0, 1]; a box with IoU > iou to a kept box is dropped. */
  iou: number;
  /** Maximum detections returned (default 300). */
  maxDet?: number;
  /** Class-agnostic NMS: boxes of different classes suppress each other (default false). */
  agnostic?: boolean;
  /** Keep only these class ids (default: all). */
  classes?: readonly number[];
  /** Maximum candidates entering NMS, the best by score (default 30000). */
  maxNms?: number;
  /** Per-class box offset in pixels (default 7680, Ultralytics max_wh). */
  maxWh?: number;
}

/** Sort order of candidates by score descending, ties by ascending candidate index (stable). */
export function sortByScoreDesc(scores: Float32Array, idx: Int32Array): Int32Array {
  const n = idx.length;
  if (n >= 1 << 20) {
    return Int32Array.from(Array.from(idx).sort((a, b) => scores[b] - scores[a] || a - b));
  }
  // Pack (descending score, position) into one float64 key: float32 bits mapped to a monotone
  // uint32, inverted for descending order, times 2^20, plus the position. Numeric typed-array sort
  // needs no comparator callback (several times faster for 30k items).
  // (+ 0 turns -0 into +0: they compare equal, so their bit patterns must not order them)
  const bits = new Uint32Array(new Float32Array(Array.from(idx, (i) => scores[i] + 0)).buffer);
  const keys = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const u = bits[k];
    const mono = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    keys[k] = (0xffffffff - mono) * 1048576 + k;
  }
  keys.sort();
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = idx[keys[k] % 1048576];
  return out;
}

function selectIndices(c: Candidates, classes: readonly number[] | undefined, maxNms: number): Int32Array {
  let idx: Int32Array;
  if (classes) {
    const keep = new Set(classes);
    const list: number[] = [];
    for (let i = 0; i < c.count; i++) if (keep.has(c.classIds[i])) list.push(i);
    idx = Int32Array.from(list);
  } else {
    idx = new Int32Array(c.count);
    for (let i = 0; i < c.count; i++) idx[i] = i;
  }
  const order = sortByScoreDesc(c.scores, idx);
  // Over maxNms: keep the best maxNms (torch's argsort here is unstable; ties at the cut are moot).
  return order.length > maxNms ? order.subarray(0, maxNms) : order;
}

/** Offset boxes (float32, like torchvision's input) and their areas, in visiting order. */
function offsetBoxes(c: Candidates, order: Int32Array, maxWh: number, agnostic: boolean) {
  const n = order.length;
  const ob = new Float32Array(4 * n);
  const area = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const off = agnostic ? 0 : f32(c.classIds[i] * maxWh);
    for (let r = 0; r < 4; r++) ob[4 * k + r] = c.boxes[4 * i + r] + off;
    area[k] = f32(ob[4 * k + 2] - ob[4 * k]) * f32(ob[4 * k + 3] - ob[4 * k + 1]);
  }
  return { ob, area };
}

/**
 * Buckets of positions that can overlap. Offset boxes of two different classes are at least maxWh
 * apart in x; when every box is narrower than that span (minus a float32 rounding margin), their
 * intersection is empty and IoU is 0, so only same-class pairs need testing — exact, and much faster.
 */
function buckets(c: Candidates, order: Int32Array, maxWh: number, agnostic: boolean): { lists: Int32Array[]; bucketOf: Int32Array } {
  const n = order.length;
  let minX = Infinity;
  let maxX = -Infinity;
  let maxCls = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    minX = Math.min(minX, c.boxes[4 * i]);
    maxX = Math.max(maxX, c.boxes[4 * i + 2]);
    maxCls = Math.max(maxCls, Math.abs(c.classIds[i]));
  }
  const margin = 1 + 4 * 2 ** -23 * (maxCls * maxWh + Math.abs(minX) + Math.abs(maxX));
  const separate = !agnostic && n > 0 && maxX - minX + margin < maxWh;
  const bucketOf = new Int32Array(n);
  const ids = new Map<number, number[]>();
  for (let k = 0; k < n; k++) {
    const key = separate ? c.classIds[order[k]] : 0;
    let list = ids.get(key);
    if (!list) ids.set(key, (list = []));
    bucketOf[k] = list.length;
    list.push(k);
  }
  const lists: Int32Array[] = new Array<Int32Array>(n);
  for (const list of ids.values()) {
    const arr = Int32Array.from(list);
    for (const k of list) lists[k] = arr;
  }
  return { lists, bucketOf };
}

/** torchvision's IoU in float32 between offset boxes at positions a and b. */
function iou32(ob: Float32Array, area: Float32Array, a: number, b: number): number {
  const w = f32(Math.min(ob[4 * a + 2], ob[4 * b + 2]) - Math.max(ob[4 * a], ob[4 * b]));
  if (!(w > 0)) return 0; // empty intersection: IoU 0 (or 0/0 = NaN), never > threshold
  const h = f32(Math.min(ob[4 * a + 3], ob[4 * b + 3]) - Math.max(ob[4 * a + 1], ob[4 * b + 1]));
  if (!(h > 0)) return 0;
  const inter = f32(w * h);
  return f32(inter / f32(f32(area[a] + area[b]) - inter));
}

function checkOptions(o: NmsOptions): Required<Omit<NmsOptions, 'classes'>> {
  const r = { iou: o.iou, maxDet: o.maxDet ?? 300, agnostic: o.agnostic ?? false, maxNms: o.maxNms ?? 30000, maxWh: o.maxWh ?? 7680 };
  if (!(r.iou >= 0 && r.iou <= 1)) throw new LeyoloError('BAD_ARGUMENT', `iou must be in [0, 1], got ${r.iou}`, 'pass an IoU threshold such as 0.7');
  for (const k of ['maxDet', 'maxNms'] as const) {
    if (!(Number.isInteger(r[k]) && r[k] >= 0)) throw new LeyoloError('BAD_ARGUMENT', `${k} must be a non-negative integer, got ${r[k]}`, `pass e.g. ${k}: 300`);
  }
  return r;
}

/**
 * Class-aware NMS over candidates; returns detections in the candidates' pixel space (input-tensor
 * pixels for the candidate builders of decode.ts), ordered by score as torchvision keeps them.
 *
 * @example
 * const dets = nms(candidatesFromDecoded(out, 80, 8400, 0.25, false), { iou: 0.7 });
 * // dets[0] = { box: [x1, y1, x2, y2], score: 0.87, classId: 0 }
 */
export function nms(c: Candidates, opts: NmsOptions): Detection[] {
  const o = checkOptions(opts);
  const order = selectIndices(c, opts.classes, o.maxNms);
  const n = order.length;
  const { ob, area } = offsetBoxes(c, order, o.maxWh, o.agnostic);
  const { lists, bucketOf } = buckets(c, order, o.maxWh, o.agnostic);
  const suppressed = new Uint8Array(n);
  const out: Detection[] = [];
  for (let k = 0; k < n && out.length < o.maxDet; k++) {
    if (suppressed[k]) continue;
    const i = order[k];
    const b = c.boxes;
    out.push({ box: [b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]], score: c.scores[i], classId: c.classIds[i] });
    const list = lists[k];
    for (let q = bucketOf[k] + 1; q < list.length; q++) {
      const j = list[q];
      if (!suppressed[j] && iou32(ob, area, k, j) > o.iou) suppressed[j] = 1;
    }
  }
  return out;
}
