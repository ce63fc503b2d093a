import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '../tensor.js';
import { LeyoloError } from '../errors.js';
import { candidatesFromDecoded, candidatesFromHeads, decodeHeads, REG_MAX } from './decode.js';

/**
 * A [B, 64 + nc, H, W] head where anchor (b, y, x) has one dominant bin per side (logit 60 vs 0:
 * the other bins weigh e^-60, far below float32 resolution) and the given class logits.
 */
function head(b: number, nc: number, h: number, w: number, fill: (bi: number, p: number) => { bins: number[]; cls: number[] }): Tensor {
  const C = 4 * REG_MAX + nc;
  const data = new Float32Array(b * C * h * w);
  for (let bi = 0; bi < b; bi++) {
    for (let p = 0; p < h * w; p++) {
      const { bins, cls } = fill(bi, p);
      const at = (ch: number) => bi * C * h * w + ch * h * w + p;
      bins.forEach((k, side) => (data[at(side * REG_MAX + k)] = 60));
      cls.forEach((l, c) => (data[at(4 * REG_MAX + c)] = l));
    }
  }
  return { shape: [b, C, h, w], data };
}

test('decodeHeads: DFL expectation, dist2bbox xywh, stride, sigmoid, anchor order', () => {
  // anchor p=1 of a 1x2 grid is (1.5, 0.5); distances l,t,r,b = 1,2,3,4 -> x1 .5, y1 -1.5, x2 4.5, y2 4.5
  const t = head(1, 2, 1, 2, (_, p) => ({ bins: p === 1 ? [1, 2, 3, 4] : [0, 0, 0, 0], cls: [0, p === 1 ? 2 : -2] }));
  const [d] = decodeHeads([t], [8], 2);
  const N = 2;
  const col = (n: number) => [0, 1, 2, 3, 4, 5].map((r) => d[r * N + n]);
  const sig = (x: number) => Math.fround(1 / (1 + Math.exp(-x)));
  assert.deepEqual(col(1), [2.5 * 8, 1.5 * 8, 4 * 8, 6 * 8, 0.5, sig(2)]);
  assert.deepEqual(col(0), [0.5 * 8, 0.5 * 8, 0, 0, 0.5, sig(-2)]);
});

test('decodeHeads: uniform bins give the mean distance 7.5 on every side', () => {
  const t: Tensor = { shape: [1, 4 * REG_MAX + 1, 1, 1], data: new Float32Array(4 * REG_MAX + 1) };
  const [d] = decodeHeads([t, t], [16, 32], 1); // two 1x1 levels: N = 2, level-major; rows cx, cy, w, h
  assert.deepEqual(Array.from(d.subarray(0, 8)), [8, 16, 8, 16, 15 * 16, 15 * 32, 15 * 16, 15 * 32]);
});

test('candidatesFromHeads: strict conf, best class, multi-label order, batch index', () => {
  // class logits 0 -> score exactly 0.5
  const t = head(2, 3, 2, 2, (bi, p) => ({ bins: [1, 1, 1, 1], cls: bi === 1 && p === 3 ? [3, 0, 3] : [0, -9, -9] }));
  assert.equal(candidatesFromHeads([t], [8], 3, { conf: 0.5 }).count, 0, 'score 0.5 is not > 0.5');
  assert.equal(candidatesFromHeads([t], [8], 3, { conf: 0.4999 }).count, 4);
  const one = candidatesFromHeads([t], [8], 3, { conf: 0.6, batchIndex: 1 });
  assert.deepEqual([one.count, one.classIds[0], one.anchorIds[0]], [1, 0, 3], 'tie on the max -> first class');
  assert.deepEqual(Array.from(one.boxes), [4, 4, 20, 20], 'anchor (1.5, 1.5), distances 1 -> 0.5..2.5 grid units, x stride 8');
  const multi = candidatesFromHeads([t], [8], 3, { conf: 0.4, multiLabel: true, batchIndex: 1 });
  assert.deepEqual(Array.from(multi.classIds), [0, 0, 0, 0, 1, 2]);
  assert.deepEqual(Array.from(multi.anchorIds), [0, 1, 2, 3, 3, 3]);
});

test('fast head path equals decodeHeads + candidatesFromDecoded on random logits', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const nc = 5;
  const mk = (h: number, w: number): Tensor => {
    const data = Float32Array.from({ length: (4 * REG_MAX + nc) * h * w }, () => (rnd() - 0.5) * 12);
    return { shape: [1, 4 * REG_MAX + nc, h, w], data };
  };
  const heads = [mk(8, 6), mk(4, 3), mk(2, 2)];
  const [dec] = decodeHeads(heads, [8, 16, 32], nc);
  const N = 48 + 12 + 4;
  for (const [conf, multiLabel] of [[0.25, false], [0.001, true], [0.9, true], [0, false]] as const) {
    const a = candidatesFromHeads(heads, [8, 16, 32], nc, { conf, multiLabel });
    const b = candidatesFromDecoded(dec, nc, N, conf, multiLabel);
    assert.ok(a.count > 0 || conf === 0.9);
    assert.deepEqual(a, b, `conf ${conf} multi ${multiLabel}`);
  }
});

test('candidatesFromDecoded: xywh -> xyxy, first class on ties, batch offset', () => {
  // [2, 4 + 2, N = 1]: item 1 has box (10, 20, 4, 6) and tied scores 0.7, 0.7
  const dec = new Float32Array([0, 0, 0, 0, 0.1, 0.1, 10, 20, 4, 6, 0.7, 0.7]);
  const c = candidatesFromDecoded(dec, 2, 1, 0.5, false, 1);
  assert.deepEqual([c.count, c.classIds[0], ...c.boxes], [1, 0, 8, 17, 12, 23]);
  assert.equal(candidatesFromDecoded(dec, 2, 1, 0.5, true, 1).count, 2);
  assert.equal(candidatesFromDecoded(dec, 2, 1, 0.5, false, 0).count, 0);
});

test('bad inputs raise LeyoloError', () => {
  const t = head(1, 2, 1, 1, () => ({ bins: [0, 0, 0, 0], cls: [0, 0] }));
  assert.throws(() => decodeHeads([t], [8], 3), LeyoloError, 'wrong nc');
  assert.throws(() => decodeHeads([t], [8, 16], 2), LeyoloError, 'stride count');
  assert.throws(() => candidatesFromHeads([t], [8], 2, { conf: 2 }), LeyoloError, 'conf > 1');
  assert.throws(() => candidatesFromHeads([t], [8], 2, { conf: 0.5, batchIndex: 1 }), LeyoloError, 'batch');
  assert.throws(() => candidatesFromDecoded(new Float32Array(5), 2, 1, 0.5, false), LeyoloError, 'short buffer');
});
