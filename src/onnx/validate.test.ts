/**
 * ONNX validation before onnxruntime: real exports pass; malformed, hostile and non-detector files
 * are refused with typed errors naming the problem (hand-built graphs from
 * tests/fuzz/gen/onnx-graphs.ts); the run-time shape checks catch what static shapes cannot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeyoloError } from '../errors.js';
import { controlFlowGraph, declaredTensorGraph, edit, foreignOpGraph, hugePadGraph, identityGraph, tinyDetector } from '../../tests/fuzz/gen/onnx-graphs.js';
import { checkDetectionRows, checkForward } from './detector-spec.js';
import { readModelInfo } from './model-info.js';
import { ALLOWED_OPS, inspectOnnxDetector } from './validate.js';
import { int64 } from './wire.js';

const shared = resolve(fileURLToPath(new URL('../../../shared/', import.meta.url)));
const refDir = resolve(shared, 'reference/onnx');
const noShared = !existsSync(refDir) && 'no ../shared';

/** Asserts `fn` throws a LeyoloError with `code` whose message matches `re`. */
function refuses(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LeyoloError, `not a LeyoloError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(e.hint.length > 0, 'has a hint');
    return true;
  });
}

test('the official exports pass and describe their detector', { skip: noShared }, () => {
  for (const [f, side] of [['leyolonano_320.onnx', 320], ['leyolonano_640.onnx', 640], ['leyolosmall_640.onnx', 640], ['leyolomedium_640.onnx', 640], ['leyololarge_768.onnx', 768]] as const) {
    const spec = inspectOnnxDetector(new Uint8Array(readFileSync(resolve(refDir, f))));
    assert.deepEqual({ kind: spec.kind, outputs: spec.outputs, nc: spec.nc, fixed: spec.fixed, strides: spec.strides }, { kind: 'decoded', outputs: ['output0'], nc: 80, fixed: [side, side], strides: [8, 16, 32] }, f);
    assert.equal(spec.names.length, 80);
  }
});

test('validation is cheap on leyolonano_640.onnx', { skip: noShared }, () => {
  const bytes = new Uint8Array(readFileSync(resolve(refDir, 'leyolonano_640.onnx')));
  inspectOnnxDetector(bytes); // warm-up (JIT)
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) inspectOnnxDetector(bytes);
  const ms = (performance.now() - t0) / 10;
  // Measured ~2.5 ms on the 2-core dev box (onnxruntime's session creation takes ~100x that);
  // 50 ms leaves room for a loaded machine and still fails if the walk ever decodes the weights.
  assert.ok(ms < 50, `${ms.toFixed(1)} ms`);
});

test('garbage, empty and truncated bytes are BAD_MODEL with a hint, never a raw parser error', { skip: noShared }, () => {
  refuses(() => inspectOnnxDetector(new Uint8Array(0)), 'BAD_MODEL', /empty/);
  refuses(() => inspectOnnxDetector(new TextEncoder().encode('hello, not a model')), 'BAD_MODEL', /not a valid ONNX model/);
  refuses(() => inspectOnnxDetector(Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255)), 'BAD_MODEL', /not a valid ONNX model/);
  const real = new Uint8Array(readFileSync(resolve(refDir, 'leyolonano_320.onnx')));
  for (const n of [1, 100, real.length >> 1, real.length - 1]) refuses(() => inspectOnnxDetector(real.subarray(0, n)), 'BAD_MODEL', /not a valid ONNX model/);
});

test('framing corruption is refused: unknown field, duplicate singular field, wrong wire type', () => {
  const ok = tinyDetector();
  const cat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
  refuses(() => readModelInfo(cat(ok, [0x98, 0x06, 1])), 'BAD_MODEL', /unknown field 99 in ModelProto/); // tag 99 << 3 | VARINT as a varint
  refuses(() => readModelInfo(cat(ok, [(7 << 3) | 2, 0])), 'BAD_MODEL', /field 7 of ModelProto appears twice/);
  refuses(() => readModelInfo(cat(ok, [(14 << 3) | 0, 1])), 'BAD_MODEL', /field 14 of ModelProto has wire type 0/);
});

test('an Identity graph (input -> output) is not a detector', () => {
  refuses(() => inspectOnnxDetector(identityGraph()), 'BAD_MODEL', /'output0' \[1, 3, 320, 320\] is not \[N, 4\+nc, anchors\]/);
});

test('control flow (Loop of 1e15 iterations, Scan, If) and ops off the allow-list are refused, naming the op', () => {
  for (const op of ['Loop', 'Scan', 'If'] as const) refuses(() => inspectOnnxDetector(controlFlowGraph(op)), 'BAD_MODEL', new RegExp(`\\(${op}\\) has a subgraph`));
  refuses(() => inspectOnnxDetector(foreignOpGraph('Tile')), 'BAD_MODEL', /op 'Tile'/);
  refuses(() => inspectOnnxDetector(foreignOpGraph('FusedConv', 'com.microsoft')), 'BAD_MODEL', /com\.microsoft/);
});

test('no two allowed ops differ by one character (one corrupted byte cannot swap an op for another allowed one)', () => {
  const ops = [...ALLOWED_OPS];
  for (const a of ops) for (const b of ops) {
    if (a < b && a.length === b.length) assert.ok([...a].filter((ch, i) => ch !== b[i]).length > 1, `${a} / ${b}`);
  }
});

test('input shape: rank, channels, float type, static side cap', () => {
  refuses(() => inspectOnnxDetector(tinyDetector({ channels: 4 })), 'BAD_MODEL', /4 channels/);
  refuses(() => inspectOnnxDetector(edit(tinyDetector(), (m) => { m.graph!.input![0].type!.tensorType!.shape!.dim!.pop(); })), 'BAD_MODEL', /is not \[N, 3, H, W\]/);
  refuses(() => inspectOnnxDetector(edit(tinyDetector(), (m) => { m.graph!.input![0].type!.tensorType!.elemType = 11; })), 'BAD_MODEL', /element type 11/);
  refuses(() => inspectOnnxDetector(tinyDetector({ size: 16384 })), 'LIMIT_EXCEEDED', /larger than 4096/);
});

test('outputs: anchors must match the static size; channels and metadata nc/names must agree', () => {
  assert.equal(inspectOnnxDetector(tinyDetector({ nc: 2 })).nc, 2);
  refuses(() => inspectOnnxDetector(tinyDetector({ anchors: 100 })), 'BAD_MODEL', /100 anchors.*gives 84/);
  // The tester's case: a smaller metadata nc than the graph's channels - 4.
  refuses(() => inspectOnnxDetector(tinyDetector({ nc: 3, metadata: { nc: '2' } })), 'BAD_MODEL', /nc=2 but the graph outputs 3 classes/);
  refuses(() => inspectOnnxDetector(tinyDetector({ nc: 2, metadata: { names: '["a", "b", "c"]' } })), 'BAD_MODEL', /3 class names for 2 classes/);
  refuses(() => inspectOnnxDetector(tinyDetector({ metadata: { names: 'garbage' } })), 'BAD_MODEL', /names is not a readable list/);
  refuses(() => inspectOnnxDetector(tinyDetector({ metadata: { stride: '1e9' } })), 'BAD_MODEL', /stride/);
  const symbolicChannels = (metadata?: Record<string, string>) => edit(tinyDetector({ size: 'dynamic', metadata }), (m) => { m.graph!.output![0].type!.tensorType!.shape!.dim![1] = { dimParam: 'c' }; });
  refuses(() => inspectOnnxDetector(symbolicChannels()), 'BAD_MODEL', /cannot tell the number of classes/);
  assert.equal(inspectOnnxDetector(symbolicChannels({ nc: '2' })).nc, 2);
});

test('metadata caps: a huge names value and too many names are LIMIT_EXCEEDED before parsing', () => {
  const many = JSON.stringify(Array.from({ length: 1e6 }, (_, i) => `class${i}`)); // ~12 MB
  refuses(() => inspectOnnxDetector(tinyDetector({ metadata: { names: many } })), 'LIMIT_EXCEEDED', /metadata value.*limit 1048576/);
  refuses(() => inspectOnnxDetector(tinyDetector({ nc: 2, metadata: { names: JSON.stringify(Array(20_000).fill('a')) } })), 'LIMIT_EXCEEDED', /20000 or more class names/);
  refuses(() => inspectOnnxDetector(tinyDetector({ metadata: { names: '{99999999: \'x\'}' } })), 'LIMIT_EXCEEDED', /class names/);
});

test('tensors: huge declarations, data that does not match, external data; wiring: unused initializers, dead nodes, order', () => {
  refuses(() => inspectOnnxDetector(declaredTensorGraph([65536, 65536], 4)), 'LIMIT_EXCEEDED', /declares 4294967296 elements/);
  refuses(() => inspectOnnxDetector(declaredTensorGraph([1000], 4)), 'BAD_MODEL', /declares 1000 elements .* holds 1/);
  refuses(() => inspectOnnxDetector(declaredTensorGraph([4], 0, { rawData: undefined, dataLocation: 1, externalData: [{ key: 'location', value: '/etc/passwd' }] })), 'BAD_MODEL', /external data/);
  refuses(() => inspectOnnxDetector(edit(tinyDetector(), (m) => { m.graph!.initializer!.push({ name: 'spare', dims: [1], dataType: 1, rawData: new Uint8Array(4) }); })), 'BAD_MODEL', /'spare' is never used/);
  refuses(() => inspectOnnxDetector(edit(tinyDetector(), (m) => { m.graph!.node!.push({ opType: 'Sigmoid', input: ['cat'], output: ['dangling'] }); })), 'BAD_MODEL', /computes nothing the graph uses/);
  refuses(() => inspectOnnxDetector(edit(tinyDetector(), (m) => { m.graph!.node![0].input![0] = 'nowhere'; })), 'BAD_MODEL', /reads 'nowhere', which nothing defines/);
  // A corrupted name that points at a tensor computed later breaks ONNX's topological order.
  refuses(() => inspectOnnxDetector(edit(tinyDetector(), (m) => { m.graph!.node!.reverse(); })), 'BAD_MODEL', /only computed after it/);
});

test('attributes and constants that size allocations are bounded', () => {
  refuses(() => inspectOnnxDetector(hugePadGraph(100_000)), 'LIMIT_EXCEEDED', /pads \[100000/);
  refuses(() => inspectOnnxDetector(edit(tinyDetector(), (m) => {
    const g = m.graph!;
    g.initializer!.push({ name: 'scales', dims: [4], dataType: 1, rawData: new Uint8Array(new Float32Array([1, 1, 1000, 1000]).buffer) });
    g.node!.find((n) => n.opType === 'Sigmoid')!.input = ['big'];
    g.node!.splice(g.node!.length - 1, 0, { opType: 'Resize', input: ['cat', '', 'scales'], output: ['big'] }); // before the Sigmoid
  })), 'LIMIT_EXCEEDED', /scales by \[1,1,1000,1000\]/);
});

test('int64 varints decode negatives (10-byte two\'s complement)', () => {
  assert.equal(int64(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0), -1);
  assert.equal(int64(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x10]), 0), 2 ** 32);
  assert.equal(int64(Uint8Array.from([0x96, 0x01]), 0), 150);
});

test('run-time checks: decoded/head shapes and NMS rows', () => {
  const spec = inspectOnnxDetector(tinyDetector({ size: 'dynamic', metadata: { nc: '2' } }));
  const f = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  checkForward(spec, { decoded: f([1, 6, 84]) }, [1, 3, 64, 64]);
  refuses(() => checkForward(spec, { decoded: f([1, 6, 80]) }, [1, 3, 64, 64]), 'BAD_MODEL', /came out as \[1, 6, 80\], expected \[1, 6, 84\]/);
  refuses(() => checkForward(spec, {}, [1, 3, 64, 64]), 'BAD_MODEL', /came out as \[\]/);
  const nms = { ...spec, kind: 'nms' as const, outputs: ['detections'] };
  checkDetectionRows(nms, [1, 7], Float32Array.from([0, 1, 2, 3, 4, 0.5, 1]), 1);
  refuses(() => checkDetectionRows(nms, [1, 7], Float32Array.from([3, 1, 2, 3, 4, 0.5, 1]), 1), 'BAD_MODEL', /row 0/);
  refuses(() => checkDetectionRows(nms, [1, 7], Float32Array.from([0, 1, 2, 3, 4, 0.5, 2]), 1), 'BAD_MODEL', /row 0/);
  refuses(() => checkDetectionRows(nms, [1, 6], new Float32Array(6), 1), 'BAD_MODEL', /detections/);
});
