/**
 * Association costs and assignment of Ultralytics 8.1.4 (`trackers/utils/matching.py`). Browser-safe.
 *
 * The official `iou_distance` casts both box lists to float32 (`np.ascontiguousarray(..., float32)`)
 * and computes `bbox_ioa(iou=True)` in float32, eps 1e-7; `fuse_score` stays in float32 too (the
 * scores are float32). Every step here rounds with Math.fround where numpy rounds, so costs are the
 * same float32 numbers and ties fall the same way.
 */
import { lapjv } from './lapjv.js';

const f32 = Math.fround;
const EPS = f32(1e-7);

/**
 * `1 - IoU` [na x nb] (row-major Float32Array) of xyxy boxes `a` [na * 4] and `b` [nb * 4], float32
 * arithmetic like numpy on float32 arrays.
 *
 * @example
 * iouDistance(new Float32Array([0, 0, 10, 10]), new Float32Array([0, 0, 10, 10, 5, 0, 15, 10])); // [0, 0.6666...]
 */
export function iouDistance(a: Float32Array, b: Float32Array): Float32Array {
  const na = a.length >> 2;
  const nb = b.length >> 2;
  const out = new Float32Array(na * nb);
  for (let i = 0; i < na; i++) {
    const ax1 = a[4 * i], ay1 = a[4 * i + 1], ax2 = a[4 * i + 2], ay2 = a[4 * i + 3];
    const areaA = f32(f32(ax2 - ax1) * f32(ay2 - ay1));
    for (let j = 0; j < nb; j++) {
      const bx1 = b[4 * j], by1 = b[4 * j + 1], bx2 = b[4 * j + 2], by2 = b[4 * j + 3];
      const iw = Math.max(f32(Math.min(ax2, bx2) - Math.max(ax1, bx1)), 0);
      const ih = Math.max(f32(Math.min(ay2, by2) - Math.max(ay1, by1)), 0);
      const inter = f32(iw * ih);
      const areaB = f32(f32(bx2 - bx1) * f32(by2 - by1));
      // numpy: area = area_b + area_a[:, None] - inter, then inter / (area + eps)
      const union = f32(f32(areaB + areaA) - inter);
      out[i * nb + j] = f32(1 - f32(inter / f32(union + EPS)));
    }
  }
  return out;
}

/**
 * `fuse_score`: `1 - (1 - cost) * score` per detection column, float32 (in place, and returned).
 *
 * @example
 * fuseScore(new Float32Array([0.2]), 1, new Float32Array([0.9])); // [1 - 0.8 * 0.9] = [0.28]
 */
export function fuseScore(cost: Float32Array, nRows: number, scores: ArrayLike<number>): Float32Array {
  const nCols = scores.length;
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nCols; j++) {
      const k = i * nCols + j;
      cost[k] = f32(1 - f32(f32(1 - cost[k]) * scores[j]));
    }
  }
  return cost;
}

/** Matched `[row, col]` pairs (rows ascending) and the unmatched rows / columns (ascending). */
export interface Matching {
  matches: [number, number][];
  unmatchedA: number[];
  unmatchedB: number[];
}

/**
 * `linear_assignment(cost, thresh)` with `lap.lapjv(extend_cost=True, cost_limit=thresh)`: an empty
 * matrix leaves everything unmatched.
 *
 * @example
 * linearAssignment(new Float32Array([0.1, 0.9]), 1, 2, 0.8); // { matches: [[0, 0]], unmatchedA: [], unmatchedB: [1] }
 */
export function linearAssignment(cost: ArrayLike<number>, nRows: number, nCols: number, thresh: number): Matching {
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  if (nRows === 0 || nCols === 0) return { matches: [], unmatchedA: range(nRows), unmatchedB: range(nCols) };
  const { x, y } = lapjv(cost, nRows, nCols, thresh);
  const matches: [number, number][] = [];
  const unmatchedA: number[] = [];
  const unmatchedB: number[] = [];
  x.forEach((c, r) => (c >= 0 ? matches.push([r, c]) : unmatchedA.push(r)));
  y.forEach((r, c) => r < 0 && unmatchedB.push(c));
  return { matches, unmatchedA, unmatchedB };
}
