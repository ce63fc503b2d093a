/**
 * Ultralytics 8.1.4 `ap_per_class` / `compute_ap` / `smooth` semantics (utils/metrics.py), written
 * from the published algorithm: 101-point interpolated AP (trapezoid over the precision envelope),
 * P/R/F1 curves on 1000 confidence points, P and R at the max of the smoothed mean F1 curve.
 */
import { pyRound } from '../image/letterbox.js';
import { npArgsortQuick, npInterp, npLinspace, npTrapz } from './numeric.js';

/** 1000 confidence points 0..1 (x axis of the P/R/F1 curves), np.linspace(0, 1, 1000). */
export const CURVE_X: Float64Array = npLinspace(0, 1, 1000);
const X101: Float64Array = npLinspace(0, 1, 101);

/**
 * AP of one recall/precision curve: sentinels (0,1) and (1,0), precision envelope (running max from
 * the right), np.interp at 101 recall points, np.trapz.
 *
 * @example
 * computeAp([0.5, 1], [1, 1]).ap; // 1 (perfect ranking)
 */
export function computeAp(recall: ArrayLike<number>, precision: ArrayLike<number>): { ap: number; mpre: Float64Array; mrec: Float64Array } {
  const n = recall.length;
  const mrec = new Float64Array(n + 2);
  const mpre = new Float64Array(n + 2);
  mrec[n + 1] = 1;
  mpre[0] = 1;
  for (let i = 0; i < n; i++) {
    mrec[i + 1] = recall[i];
    mpre[i + 1] = precision[i];
  }
  for (let i = n; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
  const ap = npTrapz(npInterp(X101, mrec, mpre), X101);
  return { ap, mpre, mrec };
}

/**
 * Ultralytics `smooth(y, f)`: box filter of odd width round(len*f*2)//2 + 1, edges padded with the
 * end values, 'valid' convolution (same length as y).
 */
export function smooth(y: ArrayLike<number>, f = 0.05): Float64Array {
  const nf = Math.floor(pyRound(y.length * f * 2) / 2) + 1;
  const half = Math.floor(nf / 2);
  const n = y.length;
  const yp = new Float64Array(n + 2 * half);
  for (let i = 0; i < yp.length; i++) yp[i] = y[Math.min(n - 1, Math.max(0, i - half))];
  const w = 1 / nf;
  const out = new Float64Array(yp.length - nf + 1);
  for (let k = 0; k < out.length; k++) {
    let s = 0;
    for (let j = 0; j < nf; j++) s += yp[k + j] * w;
    out[k] = s;
  }
  return out;
}

/** Inputs of ap_per_class: one row per prediction, over the whole dataset. */
export interface ApInputs {
  /** [N*T] row-major: prediction i is a true positive at IoU threshold t. */
  tp: Uint8Array;
  /** Number of IoU thresholds T (10). */
  nIou: number;
  conf: ArrayLike<number>;
  predCls: ArrayLike<number>;
  /** Class of every GT label (counts per class). */
  targetCls: ArrayLike<number>;
}

export interface ApPerClass {
  /** Classes present in the labels, ascending (Ultralytics `ap_class_index`). */
  classes: number[];
  /** Labels per class (same order as classes). */
  nt: number[];
  /** Per class, at the max-F1 confidence. */
  tp: number[];
  fp: number[];
  p: number[];
  r: number[];
  f1: number[];
  /** [nc][T] AP per class and IoU threshold. */
  ap: Float64Array[];
  /** Per class curves on CURVE_X (1000 points). */
  pCurve: Float64Array[];
  rCurve: Float64Array[];
  f1Curve: Float64Array[];
  /** Precision envelope at IoU 0.5 interpolated on CURVE_X (recall axis); null when the class had no predictions. */
  prCurve: (Float64Array | null)[];
  /** Index into CURVE_X of the max of the smoothed mean F1 curve. */
  bestIndex: number;
  x: Float64Array;
}

/** Curves and AP of one class from its predictions (already sorted by confidence, highest first). */
function classCurves(inp: ApInputs, rows: number[], nl: number, conf: Float64Array) {
  const T = inp.nIou;
  const n = rows.length;
  const negConf = Float64Array.from(rows, (i) => -conf[i]);
  const recall = Array.from({ length: T }, () => new Float64Array(n));
  const precision = Array.from({ length: T }, () => new Float64Array(n));
  for (let t = 0; t < T; t++) {
    let tpc = 0;
    let fpc = 0;
    rows.forEach((row, j) => {
      if (inp.tp[row * T + t]) tpc++;
      else fpc++;
      recall[t][j] = tpc / (nl + 1e-16);
      precision[t][j] = tpc / (tpc + fpc);
    });
  }
  const negX = CURVE_X.map((v) => -v);
  const rCurve = npInterp(negX, negConf, recall[0], 0); // xp must increase: use -conf
  const pCurve = npInterp(negX, negConf, precision[0], 1);
  const ap = new Float64Array(T);
  let prCurve: Float64Array | null = null;
  for (let t = 0; t < T; t++) {
    const r = computeAp(recall[t], precision[t]);
    ap[t] = r.ap;
    if (t === 0) prCurve = npInterp(CURVE_X, r.mrec, r.mpre);
  }
  return { rCurve, pCurve, ap, prCurve };
}

/**
 * Ultralytics `ap_per_class`: predictions sorted by confidence (numpy quicksort, same tie order),
 * per class AP at every IoU threshold, P/R/F1 curves, and P/R/F1 at the confidence that maximises
 * smooth(mean F1, 0.1).
 *
 * @example
 * const r = apPerClass({ tp, nIou: 10, conf, predCls, targetCls });
 * r.ap[0][0]; // AP50 of r.classes[0]
 */
export function apPerClass(inp: ApInputs): ApPerClass {
  const T = inp.nIou;
  const conf = Float64Array.from(inp.conf);
  const order = npArgsortQuick(conf.map((c) => -c));
  const counts = new Map<number, number>();
  for (let i = 0; i < inp.targetCls.length; i++) counts.set(inp.targetCls[i], (counts.get(inp.targetCls[i]) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const nt = classes.map((c) => counts.get(c) as number);
  const rowsByClass = new Map<number, number[]>(classes.map((c) => [c, []]));
  for (const i of order) rowsByClass.get(inp.predCls[i])?.push(i);
  const zeros = (): Float64Array => new Float64Array(CURVE_X.length);
  const out = { ap: [] as Float64Array[], pCurve: [] as Float64Array[], rCurve: [] as Float64Array[], prCurve: [] as (Float64Array | null)[] };
  classes.forEach((c, ci) => {
    const rows = rowsByClass.get(c) as number[];
    if (rows.length === 0 || nt[ci] === 0) {
      out.ap.push(new Float64Array(T));
      out.pCurve.push(zeros());
      out.rCurve.push(zeros());
      out.prCurve.push(null);
      return;
    }
    const cc = classCurves(inp, rows, nt[ci], conf);
    out.ap.push(cc.ap);
    out.pCurve.push(cc.pCurve);
    out.rCurve.push(cc.rCurve);
    out.prCurve.push(cc.prCurve);
  });
  const f1Curve = out.pCurve.map((p, ci) => p.map((pv, j) => (2 * pv * out.rCurve[ci][j]) / (pv + out.rCurve[ci][j] + 1e-16)));
  const bestIndex = argmax(smooth(columnMean(f1Curve, CURVE_X.length), 0.1));
  const p = out.pCurve.map((c) => c[bestIndex]);
  const r = out.rCurve.map((c) => c[bestIndex]);
  const f1 = f1Curve.map((c) => c[bestIndex]);
  const tp = r.map((rv, i) => roundHalfEven(rv * nt[i]));
  const fp = tp.map((tv, i) => roundHalfEven(tv / (p[i] + 1e-16) - tv));
  return { classes, nt, tp, fp, p, r, f1, ap: out.ap, pCurve: out.pCurve, rCurve: out.rCurve, f1Curve, prCurve: out.prCurve, bestIndex, x: CURVE_X };
}

/** Mean over classes at every curve point (np.mean(axis=0); zeros when there are no classes). */
function columnMean(rows: Float64Array[], n: number): Float64Array {
  const out = new Float64Array(n);
  if (rows.length === 0) return out.fill(NaN);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (const r of rows) s += r[j];
    out[j] = s / rows.length;
  }
  return out;
}

/** First index of the maximum (np.argmax; NaN wins as in numpy). */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) {
    if (Number.isNaN(a[best])) return best;
    if (a[i] > a[best] || Number.isNaN(a[i])) best = i;
  }
  return best;
}

/** np.round (half to even). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
