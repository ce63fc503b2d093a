import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apPerClass, computeAp, smooth } from './ap.js';
import { npArgsortQuick, npInterp, npLinspace, pairwiseSum, torchLinspaceF32 } from './numeric.js';

// Hand-computed references: a tolerance of 1e-12 absorbs float rounding of sums of ~100 terms.
const near = (a: number, b: number, what: string, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('computeAp: single perfect detection gives 0.995 (101-point trapezoid ends at precision 0)', () => {
  near(computeAp([1], [1]).ap, 0.995, 'AP');
});

/**
 * Hand example. Class 0: 2 labels, predictions conf .9/.8/.7.
 * IoU thresholds 0-4: TP, FP, TP -> recall .5 .5 1, precision 1 .5 2/3, envelope 1 1 2/3 2/3 0.
 *   Interp at 101 points: 1 for r < .5, 2/3 for .5 <= r < 1, 0 at r = 1.
 *   trapz = .49 + (1 + 2/3)/2*.01 + 49*.01*2/3 + (2/3)/2*.01 = 0.828333...
 * IoU thresholds 5-9: TP, FP, FP -> recall .5 .5 .5, precision 1 .5 1/3, envelope 1 1 .5 1/3 0.
 *   Interp: 1 for r < .5, then linear 1/3 -> 0 on [.5, 1]. trapz = .49 + (1 + 1/3)/2*.01 + .5*(1/3)/2 = 0.58.
 * Class 1: 1 label, no prediction -> AP 0, P 0, R 0.
 */
test('apPerClass on a hand-computed example (AP per threshold, P/R at max F1, class without predictions)', () => {
  const T = 10;
  const rows = [
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  ];
  const tp = Uint8Array.from(rows.flat());
  const r = apPerClass({ tp, nIou: T, conf: [0.9, 0.8, 0.7], predCls: [0, 0, 0], targetCls: [0, 0, 1] });
  assert.deepEqual(r.classes, [0, 1]);
  assert.deepEqual(r.nt, [2, 1]);
  const ap50 = 0.49 + (1 + 2 / 3) / 200 + (49 * 0.01 * 2) / 3 + 1 / 300;
  for (let t = 0; t < 5; t++) near(r.ap[0][t], ap50, `AP class 0 t${t}`);
  for (let t = 5; t < 10; t++) near(r.ap[0][t], 0.58, `AP class 0 t${t}`);
  assert.deepEqual(Array.from(r.ap[1]), new Array(10).fill(0));
  // F1 of class 0 is 0.8 (P 2/3, R 1) for every confidence <= 0.7, its maximum; smoothing keeps the
  // first index of that plateau.
  near(r.p[0], 2 / 3, 'P');
  near(r.r[0], 1, 'R');
  near(r.f1[0], 0.8, 'F1', 1e-9);
  assert.equal(r.bestIndex, 0);
  assert.deepEqual([r.tp[0], r.fp[0]], [2, 1]);
  assert.deepEqual([r.p[1], r.r[1]], [0, 0]);
  assert.equal(r.prCurve[1], null); // Ultralytics draws no PR line for a class without predictions
});

test('smooth: box filter of width 101 for f=0.1 over 1000 points, edges padded', () => {
  const y = new Float64Array(1000);
  y[500] = 101;
  const s = smooth(y, 0.1);
  assert.equal(s.length, 1000);
  near(s[500], 1, 'centre');
  near(s[450], 1, 'left edge of the window');
  assert.equal(s[449], 0);
  near(smooth(new Float64Array(1000).fill(0.3), 0.1)[0], 0.3, 'constant', 1e-15);
});

test('np.interp semantics: left/right values, exact hits and repeated xp take the last index', () => {
  const xp = [0, 0.5, 0.5, 1];
  const fp = [1, 1, 0.25, 0];
  const y = npInterp([-1, 0.25, 0.5, 0.75, 1, 2], xp, fp, 7, 9);
  assert.deepEqual(Array.from(y), [7, 1, 0.25, 0.125, 0, 9]);
});

test('linspace helpers reproduce numpy / torch float32 values', () => {
  const x = npLinspace(0, 1, 101);
  assert.equal(x[100], 1);
  assert.equal(x[7], 7 * 0.01);
  const iouv = torchLinspaceF32(0.5, 0.95, 10);
  assert.equal(iouv[0], 0.5);
  assert.equal(iouv[9], Math.fround(0.95));
  assert.ok(iouv.every((v) => v === Math.fround(v)));
  near(iouv[5], 0.75, 'iouv[5]', 1e-7); // float32 grid
});

test('pairwiseSum equals plain summation on exactly representable data and handles long runs', () => {
  const a = Array.from({ length: 1000 }, (_, i) => i);
  assert.equal(pairwiseSum(a), (999 * 1000) / 2);
  assert.equal(pairwiseSum([0.5, 0.25]), 0.75);
  assert.equal(pairwiseSum([]), 0);
});

test('npArgsortQuick sorts ascending; small runs (insertion sort) keep tie order; NaN last', () => {
  const v = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 101) / 10);
  const idx = npArgsortQuick(v);
  assert.equal(new Set(idx).size, v.length);
  for (let i = 1; i < idx.length; i++) assert.ok(v[idx[i - 1]] <= v[idx[i]]);
  assert.deepEqual(Array.from(npArgsortQuick([2, 1, 2, 1, NaN, 0])), [5, 1, 3, 0, 2, 4]);
});

test('npArgsortQuick reproduces numpy 1.24 tie order (reference printed by numpy 1.24.4 np.argsort)', () => {
  // values k/7 in float32, many ties; the orders below come from numpy 1.24.4 on an AVX-512 x86 CPU
  const k = [2, 2, 3, 4, 0, 0, 4, 4, 1, 1, 4, 2, 1, 4, 1, 2, 3, 2, 0, 0, 4, 3, 4, 2, 4, 1, 2, 3, 0, 1, 0, 2, 4, 0, 1, 2, 4, 1, 2, 1];
  const v = k.map((x) => Math.fround(x / 7));
  const asc = [19, 33, 4, 5, 30, 28, 18, 37, 34, 29, 25, 14, 39, 8, 12, 9, 26, 1, 35, 31, 23, 0, 11, 38, 15, 17, 27, 2, 21, 16, 22, 36, 3, 6, 7, 10, 24, 20, 32, 13];
  const desc = [13, 32, 20, 10, 7, 6, 22, 3, 24, 36, 21, 2, 27, 16, 23, 17, 38, 0, 31, 11, 35, 1, 15, 26, 29, 34, 37, 39, 14, 12, 9, 8, 25, 28, 18, 30, 33, 5, 4, 19];
  assert.deepEqual(Array.from(npArgsortQuick(v)), asc);
  assert.deepEqual(Array.from(npArgsortQuick(v.map((x) => -x))), desc);
});
