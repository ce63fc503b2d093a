import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unzipSync } from 'fflate';
import { ZipArchive } from './zip.js';
import { storedZip } from './zip-writer.js';

const entries = (): [string, Uint8Array][] => [
  ['m/data.pkl', new Uint8Array([0x80, 2, 0x4e, 0x2e])],
  ['m/data/0', new Uint8Array(37).fill(7)],
  ['m/data/1', new Uint8Array(0)],
  ['m/dätä', new Uint8Array([1, 2, 3])],
];

/** Offset of each entry's data, from its local header (30 bytes + name + extra). */
function dataOffsets(z: Uint8Array): number[] {
  const zip = new ZipArchive(z);
  const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
  return zip.names().map((n) => {
    const h = zip.entries.get(n)!.localHeaderOffset;
    return h + 30 + v.getUint16(h + 26, true) + v.getUint16(h + 28, true);
  });
}

test('align 64: every entry starts on a 64-byte boundary, padded with an FB extra field as torch.save does', () => {
  const z = storedZip(entries(), { align: 64 });
  for (const at of dataOffsets(z)) assert.equal(at % 64, 0);
  const v = new DataView(z.buffer);
  // First local header: name 'm/data.pkl' (10 bytes), extra = 64 - 40 = 24 bytes: 'FB', 20, 'ZZ..'.
  assert.equal(v.getUint16(28, true), 24);
  assert.equal(v.getUint16(40, true), 0x4246);
  assert.equal(v.getUint16(42, true), 20);
  assert.equal(Buffer.from(z.subarray(44, 64)).toString(), 'Z'.repeat(20));
  // Our reader (CRC-checked) and fflate both read it back.
  const zip = new ZipArchive(z);
  const theirs = unzipSync(z);
  for (const [name, data] of entries()) {
    assert.deepEqual(zip.read(name), data);
    assert.deepEqual(theirs[name], data);
  }
});

test('the end record: the central directory ends exactly where it starts (readers such as Python zipfile rely on it)', () => {
  for (const align of [1, 64]) {
    const z = storedZip(entries(), { align });
    const v = new DataView(z.buffer, z.byteOffset, z.byteLength);
    const eocd = z.length - 22;
    assert.equal(v.getUint32(eocd, true), 0x06054b50);
    const [size, offset] = [v.getUint32(eocd + 12, true), v.getUint32(eocd + 16, true)];
    assert.equal(offset + size, eocd);
    assert.equal(v.getUint32(offset, true), 0x02014b50);
    assert.equal(v.getUint16(eocd + 10, true), entries().length);
  }
});

test('align 1 (default): no extra fields, still a valid zip', () => {
  const z = storedZip(entries());
  // header 30 + name, then the data, back to back.
  assert.deepEqual(dataOffsets(z), [40, 82, 157, 195]);
  assert.deepEqual(Object.keys(unzipSync(z)), entries().map(([n]) => n));
});
