import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paramShapes, resolveModel } from '../model/resolve.js';
import type { ResolvedModel } from '../model/resolve.js';
import { numel } from '../tensor.js';
import type { StateDict } from '../tensor.js';
import { foldConv } from './fold.js';
import { buildInferenceGraph, inferenceGraph } from './inference.js';
import { Graph, serializeModel } from './ir.js';
import { createSession, runSession } from '../node/session.js';
import { LeyoloError } from '../errors.js';

/** Deterministic pseudo-random numbers (LCG) so failures are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomWeights(m: ResolvedModel, seed = 1): StateDict {
  const r = rng(seed);
  const sd: StateDict = new Map();
  for (const [name, shape] of paramShapes(m)) {
    const data = new Float32Array(numel(shape));
    const isVar = name.endsWith('running_var');
    for (let i = 0; i < data.length; i++) data[i] = isVar ? 0.5 + r() : (r() - 0.5) * (name.endsWith('weight') && shape.length === 4 ? 0.6 : 0.2);
    // The DFL conv is a fixed arange(16) in every official model (requires_grad False).
    if (name.endsWith('dfl.conv.weight')) data.forEach((_, k) => (data[k] = k));
    sd.set(name, { shape, data });
  }
  return sd;
}

test('foldConv equals conv followed by BatchNorm (1x1, float64 reference)', () => {
  const m = resolveModel({ scale: 'nano' });
  const sd = randomWeights(m);
  const u = m.layers[1].convs[0]; // mn_conv 16 -> 16, 1x1, bias + BN
  const { weight, bias } = foldConv(u, sd, 1e-3);
  const x = Array.from({ length: 16 }, (_, i) => Math.sin(i));
  const g = (k: string): Float32Array => sd.get(k)?.data ?? new Float32Array();
  const [w, b, gam, bet, mu, vr] = [g(u.weight), g(u.bias ?? ''), g(`${u.bn}.weight`), g(`${u.bn}.bias`), g(`${u.bn}.running_mean`), g(`${u.bn}.running_var`)];
  for (let o = 0; o < 16; o++) {
    let conv = b[o];
    let fused = bias[o];
    for (let c = 0; c < 16; c++) { conv += w[o * 16 + c] * x[c]; fused += weight[o * 16 + c] * x[c]; }
    const ref = ((conv - mu[o]) / Math.sqrt(vr[o] + 1e-3)) * gam[o] + bet[o];
    // float32 rounding of the folded weights only: ~1e-7 relative on O(1) values.
    assert.ok(Math.abs(ref - fused) < 1e-5, `channel ${o}: ${ref} vs ${fused}`);
  }
});

test('IR serializes attributes, int64 constants and symbolic dims that ORT accepts', async () => {
  const g = new Graph('t');
  g.input('x', 'float32', ['n', 4]);
  const y = g.op('ReduceSum', ['x', g.constI64('axes', [1], [1])], { keepdims: { type: 'int', v: 0 } });
  g.output(y, 'float32', ['n']);
  const s = await createSession(serializeModel(g), { threads: 1 });
  const out = await runSession(s, { x: { shape: [2, 4], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) } });
  assert.deepEqual([...out[y].data], [10, 26]);
});

/** Independent JS decode of the three heads, to check the in-graph decode. */
function jsDecode(heads: { shape: number[]; data: Float32Array }[], strides: number[], nc: number): Float32Array {
  const n = heads.reduce((a, h) => a + h.shape[2] * h.shape[3], 0);
  const out = new Float32Array((4 + nc) * n);
  let a = 0;
  heads.forEach((h, l) => {
    const [, , H, W] = h.shape;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++, a++) {
      const at = (c: number): number => h.data[(c * H + y) * W + x];
      const d = [0, 1, 2, 3].map((side) => {
        const z = Array.from({ length: 16 }, (_, k) => at(side * 16 + k));
        const mx = Math.max(...z);
        const e = z.map((v) => Math.exp(v - mx));
        return e.reduce((s, v, k) => s + v * k, 0) / e.reduce((s, v) => s + v, 0);
      });
      const [cx, cy] = [x + 0.5 + (d[2] - d[0]) / 2, y + 0.5 + (d[3] - d[1]) / 2];
      [cx, cy, d[0] + d[2], d[1] + d[3]].forEach((v, r) => (out[r * n + a] = v * strides[l]));
      for (let c = 0; c < nc; c++) out[(4 + c) * n + a] = 1 / (1 + Math.exp(-at(64 + c)));
    }
  });
  return out;
}

test('random-weight Nano: shapes, decode == JS decode, fixed == dynamic graph', async () => {
  const m = resolveModel({ scale: 'nano', nc: 3 });
  const sd = randomWeights(m, 7);
  const [H, W] = [64, 96];
  const r = rng(3);
  const images = { shape: [1, 3, H, W], data: Float32Array.from({ length: 3 * H * W }, () => r()) };
  const fixed = await createSession(buildInferenceGraph(m, sd, 1e-3, { height: H, width: W, decode: true }), { threads: 1 });
  const dyn = await createSession(buildInferenceGraph(m, sd, 1e-3, { batch: 'dynamic', height: 'dynamic', width: 'dynamic', decode: true }), { threads: 1 });
  const a = await runSession(fixed, { images });
  const b = await runSession(dyn, { images });
  assert.deepEqual(a.p3.shape, [1, 67, 8, 12]);
  assert.deepEqual(a.p5.shape, [1, 67, 2, 3]);
  assert.deepEqual(a.decoded.shape, [1, 7, 96 + 24 + 6]);
  assert.deepEqual(b.decoded.shape, a.decoded.shape);
  const ref = jsDecode([a.p3, a.p4, a.p5], m.strides, 3);
  // float32 graph vs float64 JS on the same heads: boxes are O(100) px, so 1e-3 is ~1e-5 relative.
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ref[i] - a.decoded.data[i]) < 1e-3, `decoded[${i}] ${ref[i]} vs ${a.decoded.data[i]}`);
  // Same ops and weights: fixed and dynamic graphs agree to float32 rounding.
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(a.decoded.data[i] - b.decoded.data[i]) < 1e-4);
  // Batch 2 through the dynamic graph: each item equals its single-image run (same tolerance).
  const two = new Float32Array(2 * images.data.length);
  two.set(images.data);
  two.set(images.data.map((v) => 1 - v), images.data.length);
  const c = await runSession(dyn, { images: { shape: [2, 3, H, W], data: two } });
  const d = await runSession(dyn, { images: { shape: [1, 3, H, W], data: two.subarray(images.data.length) } });
  assert.deepEqual(c.decoded.shape, [2, 7, 126]);
  const per = ref.length;
  for (let i = 0; i < per; i++) {
    assert.ok(Math.abs(c.decoded.data[i] - b.decoded.data[i]) < 1e-4, `batch item 0 [${i}]`);
    assert.ok(Math.abs(c.decoded.data[per + i] - d.decoded.data[i]) < 1e-4, `batch item 1 [${i}]`);
  }
});

test('Medium graph runs; dead layers are not executed; bad sizes and missing weights are errors', async () => {
  const m = resolveModel({ scale: 'medium' });
  const sd = randomWeights(m);
  const g = inferenceGraph(m, sd, 1e-3, { height: 64, width: 64 });
  assert.ok(!g.nodes.some((n) => n.name.startsWith('model.38.')));
  assert.ok(g.nodes.some((n) => n.name.startsWith('model.37.')));
  const s = await createSession(serializeModel(g), { threads: 1 });
  const out = await runSession(s, { images: { shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64).fill(0.5) } });
  assert.deepEqual(out.p5.shape, [1, 144, 2, 2]);
  assert.ok(out.p3.data.every(Number.isFinite));
  assert.throws(() => inferenceGraph(m, sd, 1e-3, { height: 100, width: 64 }), (e: unknown) => e instanceof LeyoloError && e.code === 'BAD_ARGUMENT');
  sd.delete('model.3.layers.1.c.weight');
  assert.throws(() => inferenceGraph(m, sd, 1e-3, { height: 64, width: 64 }), /model\.3\.layers\.1\.c\.weight/);
});
