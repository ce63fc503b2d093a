/**
 * Detection confusion matrix with Ultralytics' semantics (utils/metrics.py ConfusionMatrix,
 * task 'detect'): (nc+1) x (nc+1), rows = predicted class, columns = true class, index nc =
 * background. Class-agnostic IoU matching at iou > 0.45 of detections with conf > 0.25.
 */
import type { DetLabel, DetPrediction } from './detstats.js';
import { boxIou } from './match.js';
import { npArgsortQuick } from './numeric.js';

export interface ConfusionMatrixOptions {
  /** Detections with score > conf take part (default 0.25; Ultralytics maps a val conf of 0.001 to 0.25). */
  conf?: number;
  /** Matches need IoU > iou (default 0.45). */
  iou?: number;
  /** torch float32 IoU arithmetic (default true). */
  float32?: boolean;
}

/** Sorts [gt, det, iou] rows by IoU descending (numpy quicksort reversed) and keeps the first row per key column. */
function dedupe(rows: [number, number, number][], col: 0 | 1): [number, number, number][] {
  const order = Array.from(npArgsortQuick(rows.map((r) => r[2]))).reverse();
  const first = new Map<number, [number, number, number]>();
  for (const i of order) if (!first.has(rows[i][col])) first.set(rows[i][col], rows[i]);
  return [...first.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

/**
 * @example
 * const cm = new ConfusionMatrix(80);
 * cm.add(preds, labels); // once per image
 * cm.normalized(); // column-normalised, as the Ultralytics plot
 */
export class ConfusionMatrix {
  readonly nc: number;
  readonly conf: number;
  readonly iou: number;
  /** [(nc+1)*(nc+1)] row-major counts: matrix[pred * (nc+1) + true]. */
  readonly matrix: Float64Array;
  private readonly float32: boolean;

  constructor(nc: number, opts: ConfusionMatrixOptions = {}) {
    this.nc = nc;
    const c = opts.conf;
    this.conf = c === undefined || c === 0.001 ? 0.25 : c;
    this.iou = opts.iou ?? 0.45;
    this.float32 = opts.float32 ?? true;
    this.matrix = new Float64Array((nc + 1) * (nc + 1));
  }

  private bump(pred: number, truth: number): void {
    this.matrix[pred * (this.nc + 1) + truth] += 1;
  }

  /**
   * Adds one image. With no labels every kept detection counts as background FP; with no
   * detections every label is a missed (background) prediction.
   */
  add(pred: readonly DetPrediction[], gt: readonly DetLabel[]): void {
    const dets = pred.filter((p) => p.score > this.conf);
    const nc = this.nc;
    if (gt.length === 0) {
      for (const d of dets) this.bump(d.classId, nc);
      return;
    }
    const iou = boxIou(
      gt.map((g) => g.box),
      dets.map((d) => d.box),
      this.float32,
    );
    let matches: [number, number, number][] = [];
    for (let i = 0; i < gt.length; i++) {
      for (let j = 0; j < dets.length; j++) if (iou[i * dets.length + j] > this.iou) matches.push([i, j, iou[i * dets.length + j]]);
    }
    if (matches.length > 1) matches = dedupe(dedupe(matches, 1), 0);
    gt.forEach((g, i) => {
      const hits = matches.filter((m) => m[0] === i);
      if (hits.length === 1) this.bump(dets[hits[0][1]].classId, g.classId);
      else this.bump(nc, g.classId); // missed
    });
    // Ultralytics counts unmatched detections only when at least one match exists in the image
    if (matches.length > 0) {
      dets.forEach((d, j) => {
        if (!matches.some((m) => m[1] === j)) this.bump(d.classId, nc);
      });
    }
  }

  /** Column-normalised matrix (each true class sums to 1; matrix / (column sum + 1e-9)). */
  normalized(): Float64Array {
    const n = this.nc + 1;
    const out = new Float64Array(n * n);
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += this.matrix[r * n + c];
      for (let r = 0; r < n; r++) out[r * n + c] = this.matrix[r * n + c] / (s + 1e-9);
    }
    return out;
  }

  /** Per class true positives (diagonal) and false positives (row sum - diagonal), background excluded. */
  tpFp(): { tp: Float64Array; fp: Float64Array } {
    const n = this.nc + 1;
    const tp = new Float64Array(this.nc);
    const fp = new Float64Array(this.nc);
    for (let i = 0; i < this.nc; i++) {
      let row = 0;
      for (let j = 0; j < n; j++) row += this.matrix[i * n + j];
      tp[i] = this.matrix[i * n + i];
      fp[i] = row - tp[i];
    }
    return { tp, fp };
  }
}
