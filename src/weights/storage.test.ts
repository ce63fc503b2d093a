import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeyoloError } from '../errors.js';
import { PickleGlobal, PickleObject, type PickleValue } from './pickle.js';
import { halfToFloatTable, readTensor, tensorRef, type TensorRef } from './storage.js';

test('half -> float table is exact for all 65536 bit patterns', () => {
  const t = halfToFloatTable();
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    // Reference from the IEEE 754 binary16 definition, in float64 (every half is exact in float32).
    let want: number;
    if (exp === 0x1f) want = mant ? NaN : sign * Infinity;
    else if (exp === 0) want = sign * mant * 2 ** -24;
    else want = sign * (1 + mant / 1024) * 2 ** (exp - 15);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(t[h]), `0x${h.toString(16)}`);
    else assert.ok(Object.is(t[h], want), `0x${h.toString(16)}: ${t[h]} != ${want}`);
  }
});

/** Little-endian float32 storage bytes holding 0, 1, 2, ... n-1. */
function f32Storage(n: number): Uint8Array {
  return new Uint8Array(Float32Array.from({ length: n }, (_, i) => i).buffer);
}

test('readTensor honours offset and strides (transposed view)', () => {
  // Storage holds a contiguous [3, 2] matrix after 1 element of offset; the tensor is its transpose [2, 3].
  const ref: TensorRef = { dtype: 'f32', key: '0', offset: 1, shape: [2, 3], strides: [1, 2] };
  assert.deepEqual(Array.from(readTensor(ref, f32Storage(7))), [1, 3, 5, 2, 4, 6]);
  // Contiguous slice with an offset.
  const slice: TensorRef = { dtype: 'f32', key: '0', offset: 2, shape: [2, 2], strides: [2, 1] };
  assert.deepEqual(Array.from(readTensor(slice, f32Storage(6))), [2, 3, 4, 5]);
  // Broadcast (stride 0) and a scalar.
  const bc: TensorRef = { dtype: 'f32', key: '0', offset: 3, shape: [2, 2], strides: [0, 1] };
  assert.deepEqual(Array.from(readTensor(bc, f32Storage(5))), [3, 4, 3, 4]);
  assert.deepEqual(Array.from(readTensor({ dtype: 'f32', key: '0', offset: 4, shape: [], strides: [] }, f32Storage(5))), [4]);
});

test('readTensor decodes fp16 and big-endian storages', () => {
  const le = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00]); // 1.0, -2.0, smallest subnormal
  const ref: TensorRef = { dtype: 'f16', key: '0', offset: 0, shape: [3], strides: [1] };
  assert.deepEqual(Array.from(readTensor(ref, le)), [1, -2, 2 ** -24]);
  const be = new Uint8Array([0x3c, 0x00, 0xc0, 0x00, 0x00, 0x01]);
  assert.deepEqual(Array.from(readTensor(ref, be, false)), [1, -2, 2 ** -24]);
});

test('readTensor refuses views past the end of the storage', () => {
  const ref: TensorRef = { dtype: 'f32', key: '0', offset: 1, shape: [2, 3], strides: [1, 2] };
  assert.throws(() => readTensor(ref, f32Storage(6)), { code: 'BAD_CHECKPOINT' });
});

/** A `_rebuild_tensor_v2` record over HalfStorage '0' with the given offset, size and stride. */
function record(offset: PickleValue, size: PickleValue, stride: PickleValue): PickleObject {
  const pid = new PickleObject('$persistent_id', [['storage', new PickleGlobal('torch', 'HalfStorage'), '0', 'cpu', 432]]);
  return new PickleObject('torch._utils._rebuild_tensor_v2', [pid, offset, size, stride, false, new Map()]);
}
const code = (c: string) => (e: unknown) => e instanceof LeyoloError && e.code === c;

test('tensorRef refuses offsets, sizes and strides that are not non-negative safe integers', () => {
  assert.deepEqual(tensorRef(record(0, [16, 27], [27, 1]))?.shape, [16, 27]);
  for (const offset of [-1, NaN, 1.5, 2 ** 53, Infinity, 2n ** 70n, '0', null]) {
    assert.throws(() => tensorRef(record(offset, [16, 27], [27, 1])), code('BAD_CHECKPOINT'), `offset ${String(offset)}`);
  }
  for (const size of [[16, -27], [16, 1.5], [NaN], [2 ** 60], [2n ** 70n], 432]) {
    assert.throws(() => tensorRef(record(0, size as PickleValue, [27, 1])), code('BAD_CHECKPOINT'), `size ${String(size)}`);
  }
  for (const stride of [[27, -1], [27, 0.5], [27]]) assert.throws(() => tensorRef(record(0, [16, 27], stride)), code('BAD_CHECKPOINT'));
  assert.throws(() => tensorRef(record(0, Array(9).fill(1), Array(9).fill(1))), code('LIMIT_EXCEEDED'));
});

test('a parameter wraps exactly one tensor record (no recursion through wrapper chains)', () => {
  const param = (inner: PickleValue): PickleObject => new PickleObject('torch._utils._rebuild_parameter', [inner, false, new Map()]);
  assert.equal(tensorRef(param(record(0, [2], [1])))?.key, '0');
  assert.throws(() => tensorRef(param(param(record(0, [2], [1])))), code('BAD_CHECKPOINT'));
});

test('readTensor checks element counts against limits and the storage before allocating', () => {
  const view = (shape: number[], strides: number[], offset = 0): TensorRef => ({ dtype: 'f32', key: '0', offset, shape, strides });
  // Stride-0 expansions: 2^29 elements of a 5-element storage (2 GB as float32), and a smaller one.
  assert.throws(() => readTensor(view([2 ** 29], [0]), f32Storage(5)), code('LIMIT_EXCEEDED'));
  assert.throws(() => readTensor(view([2 ** 20], [0]), f32Storage(5)), code('BAD_CHECKPOINT'));
  // 1e12 elements: refused from the shape alone.
  assert.throws(() => readTensor(view([1e6, 1e6], [1e6, 1]), f32Storage(5)), code('LIMIT_EXCEEDED'));
  // Strides that jump past the end, with products beyond 2^53.
  assert.throws(() => readTensor(view([2, 2], [2 ** 52, 1]), f32Storage(8)), code('BAD_CHECKPOINT'));
  // A size-1 dimension may carry any stride (PyTorch does that); it adds nothing to the extent.
  assert.deepEqual(Array.from(readTensor(view([1, 3], [2 ** 40, 1], 1), f32Storage(4))), [1, 2, 3]);
  // Empty tensors read nothing.
  assert.equal(readTensor(view([0, 2 ** 40], [1, 1], 99), f32Storage(1)).length, 0);
});
