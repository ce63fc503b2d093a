/**
 * Val-time matching of Ultralytics 8.1.4 (`DetectionValidator._process_batch` ->
 * `BaseValidator.match_predictions`, its default non-scipy branch), and the torch float32
 * `box_iou` it runs on.
 */
import { npArgsortQuick, torchLinspaceF32 } from './numeric.js';

/** xyxy box in original-image pixels. */
export type BoxXyxy = readonly [number, number, number, number] | readonly number[];

/** Ultralytics `iouv = torch.linspace(0.5, 0.95, 10)` (float32 values). */
export const IOU_THRESHOLDS: Float64Array = torchLinspaceF32(0.5, 0.95, 10);

const EPS_F32 = Math.fround(1e-7);

/**
 * `box_iou(gt, det)` as torch computes it in float32: [L,D] row-major,
 * inter / (area1 + area2 - inter + 1e-7) with every operation rounded to float32.
 * With `float32 = false` the same formula runs in float64.
 *
 * @example
 * boxIou([[0, 0, 10, 10]], [[0, 0, 10, 5]])[0]; // ~0.5
 */
export function boxIou(a: readonly BoxXyxy[], b: readonly BoxXyxy[], float32 = true): Float64Array {
  const f = float32 ? Math.fround : (x: number): number => x;
  const eps = float32 ? EPS_F32 : 1e-7;
  const out = new Float64Array(a.length * b.length);
  const areaB = b.map((q) => f(f(f(q[2]) - f(q[0])) * f(f(q[3]) - f(q[1]))));
  a.forEach((p, i) => {
    const [ax1, ay1, ax2, ay2] = [f(p[0]), f(p[1]), f(p[2]), f(p[3])];
    const areaA = f(f(ax2 - ax1) * f(ay2 - ay1));
    b.forEach((q, j) => {
      const w = Math.max(0, f(Math.min(ax2, f(q[2])) - Math.max(ax1, f(q[0]))));
      const h = Math.max(0, f(Math.min(ay2, f(q[3])) - Math.max(ay1, f(q[1]))));
      const inter = f(w * h);
      out[i * b.length + j] = f(inter / f(f(f(areaA + areaB[j]) - inter) + eps));
    });
  });
  return out;
}

/** Stable "first occurrence" filter of numpy `np.unique(col, return_index=True)[1]`, in ascending key order. */
function uniqueFirst(rows: [number, number][], col: 0 | 1): [number, number][] {
  const first = new Map<number, [number, number]>();
  for (const r of rows) if (!first.has(r[col])) first.set(r[col], r);
  return [...first.entries()].sort((x, y) => x[0] - y[0]).map((e) => e[1]);
}

/**
 * `match_predictions` (non-scipy): for each IoU threshold, candidate (label, det) pairs with
 * IoU >= t and equal class, sorted by IoU (numpy quicksort reversed), one label per detection
 * (highest IoU), then one detection per label: the one with the LOWEST detection index among those
 * left (Ultralytics skips re-sorting by IoU here; detection index = score order after NMS).
 *
 * @param iou [L,D] row-major IoU of labels x detections.
 * @returns [D*T] row-major: detection d is correct at threshold t.
 */
export function matchPredictions(
  predCls: ArrayLike<number>,
  trueCls: ArrayLike<number>,
  iou: Float64Array,
  thresholds: Float64Array = IOU_THRESHOLDS,
): Uint8Array {
  const D = predCls.length;
  const L = trueCls.length;
  const T = thresholds.length;
  const correct = new Uint8Array(D * T);
  const masked = new Float64Array(L * D);
  for (let l = 0; l < L; l++) for (let d = 0; d < D; d++) masked[l * D + d] = trueCls[l] === predCls[d] ? iou[l * D + d] : 0;
  for (let t = 0; t < T; t++) {
    let pairs: [number, number][] = [];
    for (let l = 0; l < L; l++) for (let d = 0; d < D; d++) if (masked[l * D + d] >= thresholds[t]) pairs.push([l, d]); // np.nonzero: row-major
    if (pairs.length > 1) {
      const order = npArgsortQuick(pairs.map(([l, d]) => masked[l * D + d]));
      pairs = Array.from(order, (i) => pairs[i]).reverse();
      pairs = uniqueFirst(pairs, 1);
      pairs = uniqueFirst(pairs, 0);
    }
    for (const [, d] of pairs) correct[d * T + t] = 1;
  }
  return correct;
}
