import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { ZipArchive, crc32 } from './zip.js';

test('crc32 matches the standard check value and fflate for every tail length', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926); // CRC-32/ISO-HDLC check value
  for (let n = 0; n < 12; n++) {
    const d = Uint8Array.from({ length: n * 37 + (n % 4) }, (_, i) => (i * 7919 + 13) & 0xff);
    const z = zipSync({ a: d }, { level: 0 });
    assert.equal(crc32(d), new DataView(z.buffer).getUint32(14, true), `length ${d.length}`); // local header CRC
  }
});

test('reads stored and deflated entries', () => {
  const files = { 'archive/data.pkl': new Uint8Array([0x80, 2, 0x4e, 0x2e]), 'archive/data/0': new Uint8Array(1000).fill(7) };
  for (const level of [0, 6] as const) {
    const zip = new ZipArchive(zipSync(files, { level }));
    assert.deepEqual(zip.names(), Object.keys(files));
    for (const [k, v] of Object.entries(files)) assert.deepEqual(zip.read(k), v);
  }
});

test('bad archives -> BAD_CHECKPOINT', () => {
  const good = zipSync({ 'a/data.pkl': new Uint8Array(64).fill(1) }, { level: 0 });
  assert.throws(() => new ZipArchive(new Uint8Array(100)), { code: 'BAD_CHECKPOINT' });
  assert.throws(() => new ZipArchive(good.subarray(0, good.length - 3)), { code: 'BAD_CHECKPOINT' });
  assert.throws(() => new ZipArchive(good).read('nope'), { code: 'BAD_CHECKPOINT' });
  const corrupt = good.slice();
  corrupt[40] ^= 1; // inside the entry data
  assert.throws(() => new ZipArchive(corrupt).read('a/data.pkl'), /CRC/);
});
