import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expNonPos, log1pUnit } from './fastmath.js';

/** Deterministic float32 inputs spread over [-lim, 0]. */
function inputs(n: number, lim: number): Float32Array {
  let s = 7;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return -(s / 2 ** 32) * lim;
  });
}

test('expNonPos matches Math.exp to a few float64 ulps over the whole range', () => {
  let worst = 0;
  for (const lim of [1e-6, 1, 30, 745]) {
    for (const t of inputs(50_000, lim)) {
      const ref = Math.exp(t);
      if (ref < 1e-300) continue; // subnormal results: relative error is meaningless there
      worst = Math.max(worst, Math.abs(expNonPos(t) - ref) / ref);
    }
  }
  // measured 4e-16 (the table entries and the degree-6 Taylor tail are both below 1 ulp)
  assert.ok(worst < 2e-15, `max relative error ${worst}`);
  assert.equal(expNonPos(0), 1);
  assert.equal(expNonPos(-800), 0);
  assert.ok(Number.isNaN(expNonPos(NaN)));
});

test('log1pUnit matches Math.log1p on [0, 1], both branches', () => {
  let worst = 0;
  for (const lim of [1, 10, 100, 700]) {
    for (const t of inputs(50_000, lim)) {
      const e = Math.exp(t);
      const ref = Math.log1p(e);
      if (ref === 0) continue;
      worst = Math.max(worst, Math.abs(log1pUnit(e) - ref) / ref);
    }
  }
  // measured 4.4e-16; a wrong branch threshold or table index shows up as >= 1e-4
  assert.ok(worst < 2e-15, `max relative error ${worst}`);
  assert.equal(log1pUnit(0), 0);
  assert.ok(Math.abs(log1pUnit(1) - Math.LN2) < 1e-16);
});
