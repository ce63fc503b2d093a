import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateDict } from '../tensor.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

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
