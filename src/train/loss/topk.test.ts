import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeapTopK } from './topk.js';

/** The LCG the oracle program used: s = s * 1664525 + 1013904223 (mod 2^32), value = (s >> 16) % levels. */
function lcgValues(seed: number, levels: number, n: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push((s >>> 16) % levels);
  }
  return out;
}

function select(vals: number[], k: number): number[] {
  const t = new HeapTopK(k);
  vals.forEach((v, i) => t.offer(v, i));
  return Array.from(t.ids).sort((a, b) => a - b);
}

test('HeapTopK picks the same tied elements as libstdc++ std::partial_sort (torch.topk CPU path)', () => {
  // Expected index sets printed by a g++ 13 / libstdc++ program running std::partial_sort on
  // (value, index) pairs with PyTorch's topk comparator (x.first > y.first), n = 700, k = 10.
  // Few distinct levels force many ties, so only an exact heap emulation reproduces them.
  const cases: [number, number, number[]][] = [
    [1, 3, [1, 6, 11, 12, 15, 17, 18, 19, 24, 29]],
    [2, 2, [0, 2, 3, 4, 6, 7, 12, 13, 14, 18]],
    [3, 5, [1, 5, 11, 17, 19, 26, 27, 34, 37, 40]],
  ];
  for (const [seed, levels, want] of cases) assert.deepEqual(select(lcgValues(seed, levels, 700), 10), want);
});

test('HeapTopK with distinct values returns the k largest', () => {
  const vals = Array.from({ length: 300 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
  const want = vals.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 10).map((x) => x[1]).sort((a, b) => a - b);
  assert.deepEqual(select(vals, 10), want);
});
