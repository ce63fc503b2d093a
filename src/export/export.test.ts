/**
 * Unit tests of the export transforms on small hand-built graphs: fp16 bit conversion, uint8
 * activation parameters, and that the QDQ layout is what ONNX Runtime's CPU optimizer fuses
 * (QLinearConv etc. appear in the optimized model) while computing close to float32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph, attr, serializeModel } from '../onnx/ir.js';
import { f16BitsToF32, f32ToF16Bits } from './f16.js';
import { toHalf } from './half.js';
import { decodeModel, graphOf } from './proto.js';
import { siluInputs, withOutputs } from './calibrate.js';
import { quantizableTensors, quantizeQdq, u8Params, type Range } from './quantize.js';
import { bestRange } from './range-search.js';
import { sensitivity } from './sensitivity.js';

test('f32ToF16Bits rounds to nearest even and handles the edges', () => {
  assert.equal(f32ToF16Bits(1), 0x3c00);
  assert.equal(f32ToF16Bits(-2), 0xc000);
  assert.equal(f32ToF16Bits(65504), 0x7bff);
  assert.equal(f32ToF16Bits(65520), 0x7c00); // halfway to the next (inexistent) value: rounds up to Infinity
  assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // tie -> even mantissa
  assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie -> even (up)
  assert.equal(f32ToF16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(f32ToF16Bits(2 ** -26), 0x0000); // below half of it: zero
  assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN))));
  for (const v of [0.1, -3.14159, 1e-5, 300.7]) {
    // binary16 has an 11-bit significand: relative error <= 2^-11 for normal numbers.
    assert.ok(Math.abs(f16BitsToF32(f32ToF16Bits(v)) - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, String(v));
  }
});

test('u8Params keeps 0 exact and covers the range', () => {
  assert.deepEqual(u8Params({ min: 0, max: 1 }), { scale: Math.fround(1 / 255), zeroPoint: 0 });
  const p = u8Params({ min: -0.3, max: 5 });
  assert.equal(p.zeroPoint, Math.round(0.3 / p.scale));
  assert.ok(Math.abs((255 - p.zeroPoint) * p.scale - 5) < p.scale);
  assert.deepEqual(u8Params({ min: 2, max: 3 }), { scale: Math.fround(3 / 255), zeroPoint: 0 }); // widened to include 0
});

/**
 * conv(3x3) -> SiLU -> depthwise conv -> SiLU -> (+ residual) -> head conv 1x1 feeding a "decode"
 * node; `head` = 6 gives the decoded layout [1, 4 + nc, N] (nc = 2, N = 256) that sensitivity reads.
 */
function tinyGraph(head = 4): Uint8Array {
  const g = new Graph('tiny');
  g.input('images', 'float32', [1, 3, 16, 16]);
  const conv = (x: string, name: string, cOut: number, cIn: number, k: number, group: number, act: boolean) => {
    const w = g.constF(`${name}.w`, [cOut, cIn / group, k, k], Array.from({ length: (cOut * cIn * k * k) / group }, (_, i) => Math.sin(i * 1.7 + cOut) * 0.5));
    const b = g.constF(`${name}.b`, [cOut], Array.from({ length: cOut }, (_, i) => 0.1 * (i % 3) - 0.1));
    const y = g.op('Conv', [x, w, b], { kernel_shape: attr.ints([k, k]), pads: attr.ints([k >> 1, k >> 1, k >> 1, k >> 1]), group: attr.int(group), strides: attr.ints([1, 1]), dilations: attr.ints([1, 1]) }, `${name}.conv`);
    return act ? g.op('Mul', [y, g.op('Sigmoid', [y], {}, `${name}.sig`)], {}, `${name}.silu`) : y;
  };
  const a = conv('images', 'c0', 8, 3, 3, 1, true);
  const d = conv(a, 'c1', 8, 8, 3, 8, true);
  const r = g.op('Add', [a, d], {}, 'res');
  const h = conv(r, 'head', head, 8, 1, 1, false);
  g.output(g.op('Sigmoid', [h], {}, 'decoded'), 'float32', [1, head, 16, 16]);
  return serializeModel(g, {});
}

async function runOnce(bytes: Uint8Array, x: Float32Array, optimizedPath?: string): Promise<Float32Array> {
  // 'extended' holds the QDQ fusions; 'all' would add NCHWc layout nodes (and a warning) to the saved file.
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: optimizedPath ? 'extended' : 'all', ...(optimizedPath ? { optimizedModelFilePath: optimizedPath } : {}) });
  const r = await s.run({ images: new ort.Tensor('float32', x, [1, 3, 16, 16]) });
  await s.release();
  return r.decoded.data as Float32Array;
}

const input = Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => Math.round(127.5 + 127.5 * Math.sin(i * 0.37)) / 255);

/** Ranges from the float32 run itself (what calibration computes on this one image). */
async function exactRanges(fp32: Uint8Array, tensors: string[]): Promise<Map<string, Range>> {
  const s = await ort.InferenceSession.create(withOutputs(fp32, tensors));
  const res = await s.run({ images: new ort.Tensor('float32', input, [1, 3, 16, 16]) }, tensors);
  await s.release();
  return new Map(tensors.map((t) => {
    const d = res[t].data as Float32Array;
    return [t, { min: Math.min(...d), max: Math.max(...d) }];
  }));
}

/** Op types of the model ORT runs after its 'extended' (QDQ fusion) optimizations. */
async function fusedOps(bytes: Uint8Array): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-qdq-'));
  try {
    await runOnce(bytes, input, join(dir, 'opt.onnx'));
    return (graphOf(decodeModel(new Uint8Array(readFileSync(join(dir, 'opt.onnx'))))).node ?? []).map((n) => n.opType ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('QDQ quantization is fused by ORT into QLinear kernels and stays close to float32', async () => {
  const fp32 = tinyGraph();
  const tensors = quantizableTensors(fp32);
  assert.ok(!tensors.includes('head.conv'), 'the head conv feeding the decode stays float32');
  // Ranges from the float32 run itself (what calibration computes on this one image).
  const ranges = await exactRanges(fp32, tensors);
  const q = quantizeQdq(fp32, ranges);
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-qdq-'));
  try {
    const ref = await runOnce(fp32, input);
    const out = await runOnce(q, input, join(dir, 'opt.onnx'));
    const ops = (graphOf(decodeModel(new Uint8Array(readFileSync(join(dir, 'opt.onnx'))))).node ?? []).map((n) => n.opType);
    assert.equal(ops.filter((o) => o === 'QLinearConv').length, 2, `fused ops: ${ops.join(',')}`);
    assert.ok(ops.includes('QLinearAdd') && ops.includes('QLinearMul') && ops.includes('QLinearSigmoid'));
    let m = 0;
    for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i] - out[i]));
    // Sigmoid outputs in [0, 1]; 8-bit activations through 3 layers: a few 1/255 steps of error.
    assert.ok(m < 0.03, `int8 vs fp32 max abs diff ${m}`);
    assert.ok(m > 0, 'the quantized graph must differ from float32 (else nothing was quantized)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('toHalf keeps the float32 interface and stays within fp16 precision', async () => {
  const fp32 = tinyGraph();
  const half = toHalf(fp32);
  const g = graphOf(decodeModel(half));
  assert.equal(g.input?.[0].type?.tensorType?.elemType, 1);
  assert.equal(g.output?.[0].type?.tensorType?.elemType, 1);
  assert.ok((g.initializer ?? []).every((t) => t.dataType === 10), 'every float weight is stored as float16');
  const ref = await runOnce(fp32, input);
  const out = await runOnce(half, input);
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i] - out[i]));
  // fp16 rounding (2^-11 relative) of weights and activations through 3 layers, outputs in [0, 1].
  assert.ok(m < 5e-3 && m > 0, `fp16 vs fp32 max abs diff ${m}`);
});

/** Histogram helper: `bins` counts over [min, max] from a density function of the bin centre. */
function hist(min: number, max: number, bins: number, density: (x: number) => number) {
  const counts = Float64Array.from({ length: bins }, (_, i) => density(min + ((i + 0.5) * (max - min)) / bins));
  return { min, max, counts };
}

test('bestRange: keeps a uniform range, clips rare outliers, and clips where SiLU is flat', () => {
  const uniform = bestRange(hist(-1, 1, 256, () => 1), 'identity');
  // Uniform data: any clipping costs more than the step it saves.
  assert.ok(uniform.min <= -0.9 && uniform.max >= 0.9, JSON.stringify(uniform));
  // 2e7 values in [-1, 1] and one at 100: spanning 100 would make the step 50x coarser for all of
  // them (2e7 * 0.4^2 / 12 = 2.6e5), clipping costs that one value 99^2 = 1e4.
  const outlier = bestRange(hist(-1, 100, 1010, (x) => (x < 1 ? 1e6 : x > 99.9 ? 1 : 0)), 'identity');
  assert.ok(outlier.max < 10 && outlier.min <= -0.9, JSON.stringify(outlier));
  // A pre-activation spread over [-90, 10] (LeYOLO's model.1): after SiLU everything below ~-8 is
  // ~0 (silu(-8) = -0.003), so the SiLU objective clips the negative side hard; identity cannot.
  const pre = hist(-90, 10, 1000, () => 1);
  const s = bestRange(pre, 'silu');
  const id = bestRange(pre, 'identity');
  assert.ok(s.min > -15 && s.min < -3 && s.max >= 9.5, `silu ${JSON.stringify(s)}`);
  assert.ok(id.min < -50, `identity ${JSON.stringify(id)}`);
});

test('siluInputs finds the pre-activations that only feed x * sigmoid(x)', () => {
  const silu = siluInputs(tinyGraph());
  assert.deepEqual([...silu].sort(), ['c0.conv', 'c1.conv']); // head.conv feeds a plain Sigmoid (the "decode")
});

test('keepFloat leaves a tensor in float32 and its consumer conv unfused', async () => {
  const fp32 = tinyGraph();
  const ranges = await exactRanges(fp32, quantizableTensors(fp32));
  const mixed = quantizeQdq(fp32, ranges, { keepFloat: ['c0.silu'] });
  const nodes = graphOf(decodeModel(mixed)).node ?? [];
  assert.ok(!nodes.some((n) => n.opType === 'QuantizeLinear' && n.input?.[0] === 'c0.silu'), 'no Q on the kept tensor');
  // c0 (images -> c0.conv, both quantized) still fuses; c1 reads the float c0.silu: float conv.
  assert.equal((await fusedOps(mixed)).filter((o) => o === 'QLinearConv').length, 1);
});

test('sensitivity ranks a badly quantized tensor first', async () => {
  const fp32 = tinyGraph(6);
  const tensors = quantizableTensors(fp32).filter((t) => t !== 'images');
  const ranges = await exactRanges(fp32, tensors);
  // c1.conv's true range is a few units: [-1000, 1000] gives it an 8-unit step, far worse than the rest.
  ranges.set('c1.conv', { min: -1000, max: 1000 });
  const err = await sensitivity(fp32, tensors, ranges, [input], 16, 1);
  const ranked = [...err].sort((a, b) => b[1] - a[1]);
  assert.equal(ranked[0][0], 'c1.conv', JSON.stringify(ranked));
  assert.ok(ranked.every(([, e]) => e >= 0 && Number.isFinite(e)));
  assert.ok(ranked[0][1] > 10 * ranked[1][1], JSON.stringify(ranked));
});
