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

/** Offset of the first central-directory entry of a zip written by fflate (no comment). */
const centralAt = (z: Uint8Array): number => new DataView(z.buffer, z.byteOffset).getUint32(z.length - 22 + 16, true);

test('crc32 continues across parts', () => {
  const d = Uint8Array.from({ length: 1001 }, (_, i) => (i * 31) & 0xff);
  for (const cut of [0, 1, 3, 500, 1001]) assert.equal(crc32(d.subarray(cut), crc32(d.subarray(0, cut))), crc32(d), `cut ${cut}`);
});

test('duplicate entry names -> BAD_CHECKPOINT (the second would silently replace the first)', () => {
  const z = zipSync({ 'a/data.pkl': new Uint8Array(4), 'a/data.pkm': new Uint8Array(4) }, { level: 0 });
  const s = Buffer.from(z).toString('latin1').replaceAll('a/data.pkm', 'a/data.pkl');
  assert.throws(() => new ZipArchive(Uint8Array.from(Buffer.from(s, 'latin1'))), { code: 'BAD_CHECKPOINT', message: /duplicate/ });
});

test('a deflated entry declaring 4 GB is refused before allocating', () => {
  const z = zipSync({ 'a/data.pkl': new Uint8Array(1000) }, { level: 6 });
  new DataView(z.buffer).setUint32(centralAt(z) + 24, 0xfffffffe, true); // uncompressed size in the central directory
  assert.throws(() => new ZipArchive(z).read('a/data.pkl'), { code: 'LIMIT_EXCEEDED' });
});

test('a zip64 extra field shorter than its fields -> BAD_CHECKPOINT (never read past the block)', () => {
  // One entry whose central record says "size in zip64 extra" but whose extra block holds 4 bytes:
  // reading 8 would take the next record's bytes as the size.
  const name = new TextEncoder().encode('a');
  const cd = new Uint8Array(46 + 1 + 8);
  const v = new DataView(cd.buffer);
  v.setUint32(0, 0x02014b50, true);
  v.setUint32(24, 0xffffffff, true);
  v.setUint16(28, 1, true);
  v.setUint16(30, 8, true);
  cd.set(name, 46);
  v.setUint16(47, 1, true);
  v.setUint16(49, 4, true);
  const eocd = new Uint8Array(22);
  const e = new DataView(eocd.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, 1, true);
  e.setUint16(10, 1, true);
  e.setUint32(12, cd.length, true);
  e.setUint32(16, 0, true);
  assert.throws(() => new ZipArchive(new Uint8Array([...cd, ...eocd])), { code: 'BAD_CHECKPOINT', message: /zip64/ });
});

test('a zip64 directory claiming 2^33 entries -> LIMIT_EXCEEDED', () => {
  const z = zipSync({ 'a/data.pkl': new Uint8Array(4) }, { level: 0 });
  const eocd = z.length - 22;
  const rec = new Uint8Array(56 + 20);
  const v = new DataView(rec.buffer);
  v.setUint32(0, 0x06064b50, true);
  v.setUint32(28, 2, true); // entries on this disk, high word
  v.setUint32(36, 2, true); // total entries, high word: 2^33
  v.setUint32(40, new DataView(z.buffer).getUint32(eocd + 12, true), true);
  v.setUint32(48, centralAt(z), true);
  v.setUint32(56, 0x07064b50, true);
  v.setUint32(64, eocd, true); // the EOCD64 record sits where the EOCD was
  const out = new Uint8Array([...z.subarray(0, eocd), ...rec, ...z.subarray(eocd)]);
  assert.throws(() => new ZipArchive(out), { code: 'LIMIT_EXCEEDED' });
});
