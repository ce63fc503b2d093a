import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeyoloError } from '../errors.js';
import type { StateDict } from '../tensor.js';
import { checkpointFromSafetensors, checkpointToSafetensors, readSafetensors, writeSafetensors } from './safetensors.js';

function sample(): StateDict {
  return new Map([
    ['model.0.c.weight', { shape: [2, 1, 1, 3], data: Float32Array.from([1, -2.5, 3e-8, -0, Infinity, 7]) }],
    ['model.0.c.bias', { shape: [2], data: Float32Array.from([0.1, 0.2]) }],
    ['scalar', { shape: [], data: Float32Array.from([42]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

test('safetensors round trip keeps names, order, shapes, bits and metadata', () => {
  const bytes = writeSafetensors(sample(), { names: '["grape"]', nc: '1' });
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLen) % 8, 0, 'data must start 8-byte aligned');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  assert.deepEqual(header['model.0.c.bias'], { dtype: 'F32', shape: [2], data_offsets: [24, 32] });
  const { tensors, metadata } = readSafetensors(bytes);
  assert.deepEqual(metadata, { names: '["grape"]', nc: '1' });
  assert.deepEqual([...tensors.keys()], [...sample().keys()]);
  for (const [k, t] of sample()) {
    assert.deepEqual(tensors.get(k)?.shape, t.shape);
    assert.deepEqual(tensors.get(k)?.data, t.data); // deepEqual on Float32Array compares every element (and -0)
  }
});

test('F16 tensors written by other tools are upcast exactly', () => {
  const header = new TextEncoder().encode(JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }));
  const bytes = new Uint8Array(8 + header.length + 4);
  new DataView(bytes.buffer).setUint32(0, header.length, true);
  bytes.set(header, 8);
  bytes.set([0x00, 0x3c, 0x00, 0xb8], 8 + header.length); // 1.0, -0.5
  assert.deepEqual(Array.from(readSafetensors(bytes).tensors.get('h')?.data ?? []), [1, -0.5]);
});

test('corrupt safetensors -> BAD_CHECKPOINT', () => {
  const good = writeSafetensors(sample(), {});
  const bad = (b: Uint8Array): void => assert.throws(() => readSafetensors(b), { code: 'BAD_CHECKPOINT' });
  bad(good.subarray(0, 5)); // shorter than the length prefix
  bad(good.subarray(0, good.length - 4)); // data truncated: offsets beyond the end
  const hugeLen = good.slice();
  new DataView(hugeLen.buffer).setUint32(0, 1e9, true);
  bad(hugeLen);
  const brokenJson = good.slice();
  brokenJson[8] = 0x5b; // '{' -> '['  : header no longer parses / not an object
  bad(brokenJson);
  const wrongShape = writeSafetensors(new Map([['x', { shape: [2], data: Float32Array.from([1, 2]) }]]), {});
  const text = new TextDecoder().decode(wrongShape).replace('"shape":[2]', '"shape":[3]');
  bad(new TextEncoder().encode(text));
});

/** A safetensors file from a header object and a data section. */
function file(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LeyoloError && e.code === c && (!re || re.test(e.message));

test('overlapping, reversed and out-of-range data_offsets -> BAD_CHECKPOINT', () => {
  const t = (a: number, b: number) => ({ dtype: 'F32', shape: [2], data_offsets: [a, b] });
  assert.throws(() => readSafetensors(file({ x: t(0, 8), y: t(4, 12) }, new Uint8Array(12))), code('BAD_CHECKPOINT', /overlap/));
  assert.throws(() => readSafetensors(file({ x: t(0, 8), y: t(0, 8) }, new Uint8Array(8))), code('BAD_CHECKPOINT', /overlap/));
  assert.throws(() => readSafetensors(file({ x: t(8, 0) }, new Uint8Array(8))), code('BAD_CHECKPOINT'));
  assert.throws(() => readSafetensors(file({ x: t(0, 1e15) }, new Uint8Array(8))), code('BAD_CHECKPOINT'));
  assert.throws(() => readSafetensors(file({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8, 9] } }, new Uint8Array(8))), code('BAD_CHECKPOINT'));
  assert.equal(readSafetensors(file({ x: t(0, 8), y: t(8, 16) }, new Uint8Array(16))).tensors.size, 2); // control
});

test('limits: header size, tensor count, elements, rank', () => {
  assert.throws(() => readSafetensors(file(`{${' '.repeat(17 << 20)}}`)), code('LIMIT_EXCEEDED'));
  const many = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`t${i}`, { dtype: 'F32', shape: [0], data_offsets: [0, 0] }]));
  assert.throws(() => readSafetensors(file(many)), code('LIMIT_EXCEEDED'));
  // numel 2^90: beyond 2^53, where `b - a === numel * 4` could even hold in floating point.
  assert.throws(() => readSafetensors(file({ x: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 2 ** 92] } })), code('LIMIT_EXCEEDED'));
  assert.throws(() => readSafetensors(file({ x: { dtype: 'F32', shape: Array(9).fill(1), data_offsets: [0, 4] } }, new Uint8Array(4))), code('LIMIT_EXCEEDED'));
  assert.throws(() => readSafetensors(file({ x: { dtype: 'F32', shape: [2 ** 53 + 2], data_offsets: [0, 4] } }, new Uint8Array(4))), code('BAD_CHECKPOINT'));
});

test('dtypes are looked up as own keys only; metadata must be an object of strings without __proto__', () => {
  for (const dtype of ['toString', '__proto__', 'constructor', 'I64', 'f32']) {
    assert.throws(() => readSafetensors(file({ x: { dtype, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))), code('BAD_CHECKPOINT'), dtype);
  }
  assert.throws(() => readSafetensors(file('{"__metadata__": {"__proto__": "x"}}')), code('BAD_CHECKPOINT'));
  assert.throws(() => readSafetensors(file({ __metadata__: [1] })), code('BAD_CHECKPOINT'));
  assert.throws(() => readSafetensors(file(`{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`)), code('BAD_CHECKPOINT'));
});

/** A minimal leyolo checkpoint (one BatchNorm) whose metadata `edit` may change. */
function checkpoint(edit: (md: Record<string, string>) => void = () => undefined): Uint8Array {
  const md: Record<string, string> = {
    format: 'pt', leyolo: '1', names: '["a","b"]', nc: '2', stride: '[8,16,32]', yaml: '{"nc":2}', bn: '{"bn":[0.001,0.03]}', meta: '{"epoch":3}',
  };
  edit(md);
  return writeSafetensors(new Map([['bn.running_var', { shape: [2], data: Float32Array.from([1, 2]) }]]), md);
}

test('checkpoint metadata is validated: nc, names, stride, eps, nesting', () => {
  assert.equal(checkpointFromSafetensors(checkpoint()).nc, 2); // control
  const refused = (c: string, edit: (md: Record<string, string>) => void): void => assert.throws(() => checkpointFromSafetensors(checkpoint(edit)), code(c));
  refused('LIMIT_EXCEEDED', (md) => void (md.nc = '1e9'));
  refused('BAD_CHECKPOINT', (md) => void (md.nc = '3'));
  refused('BAD_CHECKPOINT', (md) => void (md.nc = '1.5'));
  refused('LIMIT_EXCEEDED', (md) => void (md.names = JSON.stringify(Array(20_000).fill('a'))));
  refused('BAD_CHECKPOINT', (md) => void (md.stride = '[8, 1e999]'));
  refused('BAD_CHECKPOINT', (md) => void (md.bn = '{"bn":[-1,0.03]}'));
  refused('BAD_CHECKPOINT', (md) => void (md.bn = '{"bn":[0.001,2]}'));
  refused('LIMIT_EXCEEDED', (md) => void (md.yaml = `{"backbone": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`));
  refused('LIMIT_EXCEEDED', (md) => void (md.meta = `{"trainArgs": ${'['.repeat(300)}${']'.repeat(300)}}`));
});

test('checkpoint data must be finite with non-negative running variances', () => {
  const bad = (data: number[]): Uint8Array => {
    const st = checkpoint();
    const len = new DataView(st.buffer).getUint32(0, true);
    new Float32Array(st.buffer, 8 + len, 2).set(data);
    return st;
  };
  assert.throws(() => checkpointFromSafetensors(bad([1, NaN])), code('BAD_CHECKPOINT', /NaN/));
  assert.throws(() => checkpointFromSafetensors(bad([1, -2])), code('BAD_CHECKPOINT', /variance/));
});

test('checkpoints carry a CRC: any changed byte is refused, files without one still load', () => {
  const ck = checkpointFromSafetensors(checkpoint());
  const st = checkpointToSafetensors(ck);
  assert.deepEqual(checkpointFromSafetensors(st), ck);
  const flipped = st.slice();
  flipped[st.length - 1] ^= 1; // last byte of the data
  assert.throws(() => checkpointFromSafetensors(flipped), code('BAD_CHECKPOINT', /CRC/));
  const renamed = Buffer.from(st).toString('latin1').replace('"bn.running_var"', '"bn.running_vaR"');
  assert.throws(() => checkpointFromSafetensors(Uint8Array.from(Buffer.from(renamed, 'latin1'))), code('BAD_CHECKPOINT', /CRC/));
});

test('only the known meta fields, of their documented types, are kept', () => {
  const ck = checkpointFromSafetensors(checkpoint((md) => void (md.meta = '{"__proto__": {"x": 1}, "epoch": "3", "date": "d", "junk": 1}')));
  assert.deepEqual(ck.meta, { date: 'd' });
  assert.equal(Object.getPrototypeOf(ck.meta), Object.prototype);
});
