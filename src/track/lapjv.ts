/**
 * Linear assignment with the semantics the Ultralytics 8.1.4 trackers get from
 * `lap.lapjv(cost, extend_cost=True, cost_limit=L)` (lapx 0.5 layout). Browser-safe.
 *
 * The n x m cost matrix is embedded in a square problem of size N = n + m:
 *
 *     [ cost (n x m)    L/2 (n x n) ]
 *     [ L/2  (m x m)    0   (m x n) ]
 *
 * and solved exactly. A row left on an L/2 column is unmatched, so the optimum minimises the sum over
 * matched pairs of (cost - L): a pair with cost > L is never taken, cost == L is a tie.
 *
 * The square problem is solved with the shortest-augmenting-path algorithm of Crouse (2016) exactly
 * as scipy's `linear_sum_assignment` implements it (the reference `lap` was a scipy stub on this
 * matrix, see fixtures/track/manifest.json `lap_stub`), including its tie-breaking:
 * - rows are inserted in order 0..N-1, each by one Dijkstra-like search from that row;
 * - the unscanned columns are kept in a list that starts in REVERSE order (N-1..0) and loses a
 *   column by swapping in the last one, and the search scans that list in its current order;
 * - a column's tentative distance only improves on a strict `<`;
 * - among columns at the lowest distance the first scanned wins, except that a free column
 *   (which ends the search) beats an earlier assigned one.
 * The same choices are what make equal-cost ties resolve like the reference (see lapjv.test.ts).
 */
import { LeyoloError } from '../errors.js';

/** Assignment in `lap.lapjv` form: `x[i]` = column of row i or -1, `y[j]` = row of column j or -1. */
export interface LapResult {
  x: Int32Array;
  y: Int32Array;
}

/**
 * `lap.lapjv(cost, extend_cost=True, cost_limit=costLimit)` for a row-major `nRows x nCols` cost
 * matrix (float32 values are used as the float64 they convert to, like numpy). `costLimit` must be
 * finite (the trackers always pass their threshold).
 *
 * @example
 * // rows: 2 tracks, cols: 3 detections; pairs costing more than 0.8 are never matched
 * const { x, y } = lapjv(new Float64Array([0.1, 0.9, 1, 0.85, 0.3, 0.79]), 2, 3, 0.8);
 * // x = [0, 1], y = [0, 1, -1]
 */
export function lapjv(cost: ArrayLike<number>, nRows: number, nCols: number, costLimit: number): LapResult {
  const n = nRows + nCols;
  const half = costLimit / 2;
  // [n x n] extended matrix, filled as lapx does: L/2 everywhere, 0 bottom-right, cost top-left.
  const ext = new Float64Array(n * n).fill(half);
  // A NaN / infinite cost (a degenerate box) becomes L + 1: above the limit, so never matched,
  // where the reference would fail; finite costs are untouched.
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nCols; j++) {
      const c = cost[i * nCols + j];
      ext[i * n + j] = Number.isFinite(c) ? c : costLimit + 1;
    }
  }
  for (let i = nRows; i < n; i++) ext.fill(0, i * n + nCols, (i + 1) * n);
  const col4row = solveSquare(ext, n);
  const x = new Int32Array(nRows).fill(-1);
  const y = new Int32Array(nCols).fill(-1);
  for (let i = 0; i < nRows; i++) {
    const j = col4row[i];
    if (j < nCols) {
      x[i] = j;
      y[j] = i;
    }
  }
  return { x, y };
}

/** Work arrays of one solve, so the search below needs no allocation per row. */
interface Lsap {
  n: number;
  cost: Float64Array;
  u: Float64Array;
  v: Float64Array;
  dist: Float64Array;
  path: Int32Array;
  col4row: Int32Array;
  row4col: Int32Array;
  rowSeen: Uint8Array;
  colSeen: Uint8Array;
  remaining: Int32Array;
}

/**
 * Minimum-cost perfect matching of a square `n x n` matrix; returns the column of each row.
 * O(n^3). Entries must be finite.
 */
export function solveSquare(cost: Float64Array, n: number): Int32Array {
  const s: Lsap = {
    n,
    cost,
    u: new Float64Array(n),
    v: new Float64Array(n),
    dist: new Float64Array(n),
    path: new Int32Array(n).fill(-1),
    col4row: new Int32Array(n).fill(-1),
    row4col: new Int32Array(n).fill(-1),
    rowSeen: new Uint8Array(n),
    colSeen: new Uint8Array(n),
    remaining: new Int32Array(n),
  };
  for (let cur = 0; cur < n; cur++) {
    const { sink, minVal } = augmentingPath(s, cur);
    updateDuals(s, cur, minVal);
    // Flip the alternating path ending at `sink` (the new row takes its first column).
    let j = sink;
    for (;;) {
      const i = s.path[j];
      s.row4col[j] = i;
      const prev = s.col4row[i];
      s.col4row[i] = j;
      j = prev;
      if (i === cur) break;
    }
  }
  return s.col4row;
}

/** Dijkstra over reduced costs from row `start` until a free column is reached. */
function augmentingPath(s: Lsap, start: number): { sink: number; minVal: number } {
  const { n, cost, u, v, dist, path, row4col, remaining } = s;
  let numRemaining = n;
  for (let k = 0; k < n; k++) remaining[k] = n - k - 1;
  s.rowSeen.fill(0);
  s.colSeen.fill(0);
  dist.fill(Infinity);
  let minVal = 0;
  let i = start;
  for (;;) {
    let index = -1;
    let lowest = Infinity;
    s.rowSeen[i] = 1;
    const ui = u[i];
    const row = i * n;
    for (let k = 0; k < numRemaining; k++) {
      const j = remaining[k];
      const r = minVal + cost[row + j] - ui - v[j];
      if (r < dist[j]) {
        path[j] = i;
        dist[j] = r;
      }
      if (dist[j] < lowest || (dist[j] === lowest && row4col[j] === -1)) {
        lowest = dist[j];
        index = k;
      }
    }
    minVal = lowest;
    // Unreachable with finite costs: every column is reachable from every row.
    if (index < 0 || minVal === Infinity) throw new LeyoloError('INTERNAL', 'lapjv: non-finite cost matrix', 'this is a bug; report it');
    const j = remaining[index];
    s.colSeen[j] = 1;
    remaining[index] = remaining[--numRemaining];
    if (row4col[j] === -1) return { sink: j, minVal };
    i = row4col[j];
  }
}

/** Dual update after the search from row `cur` (keeps reduced costs non-negative). */
function updateDuals(s: Lsap, cur: number, minVal: number): void {
  const { n, u, v, dist, col4row, rowSeen, colSeen } = s;
  u[cur] += minVal;
  for (let i = 0; i < n; i++) {
    if (rowSeen[i] && i !== cur) u[i] += minVal - dist[col4row[i]];
  }
  for (let j = 0; j < n; j++) {
    if (colSeen[j]) v[j] -= minVal - dist[j];
  }
}
