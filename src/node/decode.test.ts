import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { decodeImage, fromRaw, hasAdobeMarker } from './decode.js';

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/** Minimal PNG writer (filter 0) so the test controls bit depth and colour type exactly. */
function png(w: number, h: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16, samples: number[]): Buffer {
  const ch = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const bps = bitDepth / 8;
  const rowLen = w * ch * bps + 1;
  const raw = Buffer.alloc(h * rowLen);
  samples.forEach((v, i) => {
    const y = Math.floor(i / (w * ch));
    const o = y * rowLen + 1 + (i - y * w * ch) * bps;
    if (bps === 2) raw.writeUInt16BE(v, o);
    else raw[o] = v;
  });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

test('grey PNG -> three equal channels', async () => {
  const img = await decodeImage(png(3, 1, 0, 8, [0, 77, 255]));
  assert.deepEqual([img.width, img.height, ...img.data], [3, 1, 0, 0, 0, 77, 77, 77, 255, 255, 255]);
});

test('RGBA and grey+alpha PNG -> alpha dropped, not composited (cv2 IMREAD_COLOR)', async () => {
  const rgba = await decodeImage(png(2, 1, 6, 8, [10, 20, 30, 0, 40, 50, 60, 128]));
  assert.deepEqual([...rgba.data], [10, 20, 30, 40, 50, 60]);
  const ga = await decodeImage(png(2, 1, 4, 8, [10, 0, 200, 128]));
  assert.deepEqual([...ga.data], [10, 10, 10, 200, 200, 200]);
});

test('16-bit PNG -> high byte (value >> 8), RGB and grey', async () => {
  const s = [0x0000, 0x1234, 0xffff, 0x80ff, 0x00ff, 0x0100];
  const rgb = await decodeImage(png(2, 1, 2, 16, s));
  assert.deepEqual([...rgb.data], s.map((v) => v >> 8));
  const grey = await decodeImage(png(2, 1, 0, 16, [0xabff, 0x0180]));
  assert.deepEqual([...grey.data], [0xab, 0xab, 0xab, 0x01, 0x01, 0x01]);
});

test('EXIF orientation 6 is applied (image rotated 90 degrees clockwise)', async () => {
  const w = 16;
  const h = 8;
  const px = Buffer.alloc(w * h * 3);
  // Left half dark, right half bright: survives JPEG compression clearly.
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.fill(x < w / 2 ? 20 : 230, (y * w + x) * 3, (y * w + x) * 3 + 3);
  const raw = { raw: { width: w, height: h, channels: 3 as const } };
  const upright = await decodeImage(await sharp(px, raw).jpeg({ quality: 95 }).withMetadata({ orientation: 1 }).toBuffer());
  const rotated = await decodeImage(await sharp(px, raw).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer());
  assert.deepEqual([upright.width, upright.height, rotated.width, rotated.height], [16, 8, 8, 16]);
  // Orientation 6: displayed(x', y') = stored(x = y', y = h - 1 - x'). Same JPEG data, so exact.
  for (let yr = 0; yr < 16; yr++)
    for (let xr = 0; xr < 8; xr++) {
      const i = (yr * 8 + xr) * 3;
      const j = ((h - 1 - xr) * w + yr) * 3;
      assert.deepEqual([...rotated.data.subarray(i, i + 3)], [...upright.data.subarray(j, j + 3)]);
    }
  assert.ok(rotated.data[0] < 60 && rotated.data[(15 * 8) * 3] > 180); // top dark, bottom bright
});

test('CMYK JPEG decodes through the OpenCV CMYK->BGR formula', async () => {
  const white = Buffer.alloc(8 * 8 * 3, 255);
  const jpg = await sharp(white, { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
  assert.equal(hasAdobeMarker(jpg), true); // libjpeg writes an Adobe APP14 segment for CMYK
  const img = await decodeImage(jpg);
  assert.equal(img.data.length, 8 * 8 * 3);
  // White is C=M=Y=K=0; through cv2's formula R = k - ((255 - c) * k >> 8) with stored (inverted) values it stays white.
  for (const v of img.data) assert.ok(v >= 250, `white stays white, got ${v}`);
});

test('hasAdobeMarker finds APP14 "Adobe" before the scan only', () => {
  const app14 = [0xff, 0xee, 0x00, 0x0e, ...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, 2];
  assert.equal(hasAdobeMarker(Uint8Array.from([0xff, 0xd8, ...app14, 0xff, 0xda])), true);
  assert.equal(hasAdobeMarker(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 2, ...app14])), false);
});

test('corrupt, empty and missing inputs -> LeyoloError with a hint', async () => {
  await assert.rejects(decodeImage(Buffer.from('definitely not an image')), (e: unknown) => {
    assert.equal((e as { code: string }).code, 'BAD_IMAGE');
    assert.ok((e as { hint: string }).hint.length > 0);
    return true;
  });
  await assert.rejects(decodeImage(new Uint8Array(0)), { code: 'BAD_IMAGE' });
  const bad = png(2, 2, 2, 8, new Array<number>(12).fill(1));
  await assert.rejects(decodeImage(bad.subarray(0, 40)), { code: 'BAD_IMAGE' }); // PNG cut inside IDAT
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-img-'));
  await assert.rejects(decodeImage(join(dir, 'nope.jpg')), { code: 'FILE_NOT_FOUND' });
  writeFileSync(join(dir, 'x.png'), png(1, 1, 0, 8, [9]));
  assert.deepEqual([...(await decodeImage(join(dir, 'x.png'))).data], [9, 9, 9]);
});

test('fromRaw: RGB shared, RGBA/grey converted, wrong sizes rejected', () => {
  const rgb = new Uint8Array([1, 2, 3]);
  assert.equal(fromRaw(rgb, 1, 1, 3).data, rgb);
  assert.deepEqual([...fromRaw(new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]), 2, 1, 4).data], [1, 2, 3, 5, 6, 7]);
  assert.deepEqual([...fromRaw(new Uint8Array([7, 8]), 1, 2, 1).data], [7, 7, 7, 8, 8, 8]);
  assert.throws(() => fromRaw(rgb, 2, 1, 3), { code: 'BAD_ARGUMENT' });
  assert.throws(() => fromRaw(rgb, 0, 1, 3), { code: 'BAD_ARGUMENT' });
});
