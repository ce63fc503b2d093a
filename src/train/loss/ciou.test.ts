import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ciouBackward, ciouForward } from './ciou.js';

const box = (...v: number[]) => new Float64Array(v);

test('CIoU matches hand-computed values', () => {
  // same aspect ratio: v = 0; iou = 1/7 (eps 1e-7 in union / heights shifts it ~1e-8), c2 = 18, rho2 = 2
  const a = ciouForward(box(0, 0, 2, 2), 0, box(1, 1, 3, 3), 0);
  assert.ok(Math.abs(a.ciou - (1 / 7 - 2 / 18)) < 1e-7);
  // different aspect: iou = 4/12, c2 = 32, rho2 = 1, v = 4/pi^2 (atan(2/4) - atan(4/2))^2
  const v = (4 / Math.PI ** 2) * (Math.atan(0.5) - Math.atan(2)) ** 2;
  const alpha = v / (v - 1 / 3 + 1);
  const b = ciouForward(box(0, 0, 4, 2), 0, box(1, 0, 3, 4), 0);
  assert.ok(Math.abs(b.ciou - (1 / 3 - 1 / 32 - v * alpha)) < 1e-7);
  assert.ok(Math.abs(b.alpha - alpha) < 1e-7);
  // identical boxes: 1 up to the eps terms
  assert.ok(Math.abs(ciouForward(box(1, 2, 5, 4), 0, box(1, 2, 5, 4), 0).ciou - 1) < 1e-6);
  // symmetric in its arguments (the assigner calls it as (gt, pred), the loss as (pred, gt))
  const c1 = ciouForward(box(0.3, 0.1, 2.2, 3.5), 0, box(1, 0.5, 4, 2), 0).ciou;
  const c2 = ciouForward(box(1, 0.5, 4, 2), 0, box(0.3, 0.1, 2.2, 3.5), 0).ciou;
  assert.ok(Math.abs(c1 - c2) < 1e-12);
});

/** Central finite difference of CIoU(p, t) in coordinate k, alpha frozen at `alpha` (or live when undefined). */
function fd(p: Float64Array, t: Float64Array, k: number, h: number, alpha?: number): number {
  const f = (d: number) => {
    const q = p.slice();
    q[k] += d;
    if (alpha === undefined) return ciouForward(q, 0, t, 0).ciou;
    const g = new Float64Array(4);
    return ciouBackward(q, 0, t, 0, 1, g, 0, alpha).ciou;
  };
  return (f(h) - f(-h)) / (2 * h);
}

const PAIRS: [number[], number[]][] = [
  [[0.3, 0.1, 2.2, 3.5], [1, 0.5, 4, 2]], // partial overlap, different aspects
  [[0.2, 0.3, 5.1, 4.4], [1.1, 1.2, 2.3, 3.9]], // target inside pred
  [[3.3, 2.1, 4.2, 5.5], [0.1, 0.4, 2.1, 1.2]], // disjoint: inter clamped to 0
  [[10.5, 11.2, 30.7, 19.9], [12.3, 8.1, 29.4, 25.6]], // larger, grid-unit sized
];

test('CIoU gradient equals finite differences with alpha held constant (autograd semantics)', () => {
  for (const [pp, tt] of PAIRS) {
    const p = box(...pp), t = box(...tt), g = new Float64Array(4);
    const { alpha } = ciouBackward(p, 0, t, 0, 1, g, 0);
    for (let k = 0; k < 4; k++) {
      // h = 1e-6 on O(1..30) coordinates: truncation ~h^2 * f''' ~ 1e-12, rounding ~1e-16 / 1e-6 = 1e-10
      const want = fd(p, t, k, 1e-6, alpha);
      assert.ok(Math.abs(g[k] - want) < 1e-7 + 1e-6 * Math.abs(want), `pair ${pp} coord ${k}: ${g[k]} vs ${want}`);
    }
  }
});

test('treating alpha as a constant is what makes the gradient differ from the total derivative', () => {
  const p = box(0.3, 0.1, 2.2, 3.5), t = box(1, 0.5, 4, 2), g = new Float64Array(4);
  ciouBackward(p, 0, t, 0, 1, g, 0);
  let maxDiff = 0;
  for (let k = 0; k < 4; k++) maxDiff = Math.max(maxDiff, Math.abs(g[k] - fd(p, t, k, 1e-6)));
  assert.ok(maxDiff > 1e-4, `live-alpha derivative should differ, got ${maxDiff}`);
});

test('ties in min/max split the gradient like autograd (mean of the one-sided derivatives)', () => {
  const p = box(1, 0.5, 3, 2.5), t = box(1, 0, 4, 2.5); // x1 == X1 and y2 == Y2 exactly
  const g = new Float64Array(4);
  const { alpha } = ciouBackward(p, 0, t, 0, 1, g, 0);
  for (const k of [0, 3]) {
    const f = (d: number) => {
      const q = p.slice();
      q[k] += d;
      return ciouBackward(q, 0, t, 0, 1, new Float64Array(4), 0, alpha).ciou;
    };
    const h = 1e-7, f0 = f(0);
    const mean = ((f(h) - f0) / h + (f0 - f(-h)) / h) / 2;
    // one-sided differences: O(h) truncation error ~1e-7
    assert.ok(Math.abs(g[k] - mean) < 1e-5, `coord ${k}: ${g[k]} vs ${mean}`);
  }
});
