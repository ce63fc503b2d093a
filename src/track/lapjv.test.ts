// lapjv (extend_cost=True, cost_limit=L) against brute force: on random matrices of the four kinds the
// reference was checked on (uniform, IoU-like, integer ties, float32 fused), the objective
// sum over matched pairs of (cost - L) must equal the exhaustive optimum, and x / y must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lapjv, solveSquare } from './lapjv.js';
import { linearAssignment } from './matching.js';

/** Seeded uniform [0, 1) (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** min over all partial matchings of sum (cost - L): exhaustive over rows. */
function bruteForce(c: ArrayLike<number>, n: number, m: number, L: number): number {
  const used = new Uint8Array(m);
  const go = (i: number): number => {
    if (i === n) return 0;
    let best = go(i + 1); // row i unmatched
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = 1;
      best = Math.min(best, c[i * m + j] - L + go(i + 1));
      used[j] = 0;
    }
    return best;
  };
  return go(0);
}

type Kind = 'uniform' | 'iou_like' | 'integer_ties' | 'float32_fused';

function matrix(kind: Kind, n: number, m: number, r: () => number): number[] {
  return Array.from({ length: n * m }, () => {
    if (kind === 'uniform') return r();
    if (kind === 'iou_like') return r() < 0.6 ? 1 : 1 - r(); // mostly disjoint boxes (cost 1)
    if (kind === 'integer_ties') return Math.floor(r() * 4) / 4; // many equal costs, some == L
    return Math.fround(1 - Math.fround(Math.fround(r()) * Math.fround(r())));
  });
}

test('lapjv: objective equals brute force on 2000 random matrices', () => {
  const r = rng(7);
  const kinds: Kind[] = ['uniform', 'iou_like', 'integer_ties', 'float32_fused'];
  let ties = 0;
  for (let k = 0; k < 2000; k++) {
    const kind = kinds[k % 4];
    const n = Math.floor(r() * 6), m = Math.floor(r() * 6);
    const L = kind === 'integer_ties' ? 0.5 : [0.8, 0.5, 0.7][k % 3];
    const c = matrix(kind, n, m, r);
    if (n === 0 || m === 0) continue;
    const { x, y } = lapjv(c, n, m, L);
    let obj = 0;
    for (let i = 0; i < n; i++) {
      if (x[i] < 0) continue;
      assert.equal(y[x[i]], i, `case ${k}: y[x[${i}]]`);
      obj += c[i * m + x[i]] - L;
    }
    for (let j = 0; j < m; j++) if (y[j] >= 0) assert.equal(x[y[j]], j, `case ${k}: x[y[${j}]]`);
    if (c.some((v) => v === L)) ties++;
    // sums of <= 5 terms in [-1, 1]: float64 rounding is far below 1e-12
    assert.ok(Math.abs(obj - bruteForce(c, n, m, L)) < 1e-12, `case ${k} (${kind}): ${obj} vs ${bruteForce(c, n, m, L)}`);
  }
  assert.ok(ties > 50, 'the integer kind must exercise cost == L ties');
});

test('lapjv: the reference hand case (manifest lap_stub.hand_case)', () => {
  const cost = [0.10000000149011612, 0.8999999761581421, 1.0, 0.8500000238418579, 0.30000001192092896, 0.7900000214576721];
  const { x, y } = lapjv(cost, 2, 3, 0.8);
  assert.deepEqual(Array.from(x), [0, 1]);
  assert.deepEqual(Array.from(y), [0, 1, -1]);
});

test('solveSquare: a constant matrix gives the identity (scipy tie rule: columns scanned in reverse)', () => {
  for (const n of [1, 2, 5, 9]) {
    assert.deepEqual(Array.from(solveSquare(new Float64Array(n * n).fill(3), n)), Array.from({ length: n }, (_, i) => i));
  }
});

test('lapjv: costs above the limit are never matched; NaN is treated as above it', () => {
  const { x, y } = lapjv([0.9, NaN, 0.95, 0.2], 2, 2, 0.8);
  assert.deepEqual(Array.from(x), [-1, 1]);
  assert.deepEqual(Array.from(y), [-1, 1]);
});

test('linearAssignment: empty matrices leave everything unmatched', () => {
  assert.deepEqual(linearAssignment(new Float32Array(0), 3, 0, 0.8), { matches: [], unmatchedA: [0, 1, 2], unmatchedB: [] });
  assert.deepEqual(linearAssignment(new Float32Array(0), 0, 2, 0.8), { matches: [], unmatchedA: [], unmatchedB: [0, 1] });
  assert.deepEqual(linearAssignment(new Float32Array([0.1, 0.9]), 1, 2, 0.8), { matches: [[0, 0]], unmatchedA: [], unmatchedB: [1] });
});

// Tie-breaking: equal-cost optima where the choice depends on the scan order. `x` is what scipy's
// linear_sum_assignment (1.17.1; the reference's `lap` stub used scipy 1.10.1, same algorithm) returns
// on the extended matrix; each case changes if the columns are scanned forward or if a free column
// stops being preferred on equal distance. Ties do not occur in the vtest fixtures, so these pin it.
const TIES: { n: number; m: number; L: number; cost: number[]; x: number[] }[] = [
  { n: 3, m: 2, L: 0.7, cost: [0.75, 0.5, 0.5, 0.5, 0.25, 0.25], x: [-1, 1, 0] },
  { n: 2, m: 3, L: 0.7, cost: [0.25, 0.25, 0.5, 0.5, 0.25, 0.25], x: [0, 1] },
  { n: 2, m: 4, L: 0.7, cost: [0, 0, 0.75, 0.25, 0.75, 0.25, 0.25, 0.5], x: [0, 1] },
  { n: 3, m: 2, L: 0.7, cost: [0.5, 0.5, 0.25, 0, 0.5, 0.25], x: [-1, 1, 0] },
  { n: 3, m: 4, L: 0.7, cost: [0.5, 0, 0.75, 0.5, 0.5, 0.25, 0, 0.75, 0.25, 0, 0.75, 0.25], x: [1, 2, 0] },
  { n: 2, m: 4, L: 0.7, cost: [0, 0.5, 0.25, 0.25, 0.75, 0, 0, 0.5], x: [0, 1] },
];

test('lapjv: ties resolve like scipy linear_sum_assignment on the extended matrix', () => {
  for (const c of TIES) assert.deepEqual(Array.from(lapjv(c.cost, c.n, c.m, c.L).x), c.x, JSON.stringify(c.cost));
});
