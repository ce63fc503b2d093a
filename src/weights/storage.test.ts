import { test } from 'node:test';
import assert from 'node:assert/strict';
import { halfToFloatTable, readTensor, type TensorRef } from './storage.js';

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
