/**
 * A PNG whose header declares `w` x `h` RGB pixels but whose data holds only a few bytes: the header of
 * a decompression bomb, for tests of the pixel limit (shared by the fuzz generators and unit tests).
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/weights/zip.js';

/** PNG chunk: length, type, data, CRC over type + data. */
function chunk(type: string, data: Uint8Array): Buffer {
  const c = Buffer.alloc(12 + data.length);
  c.writeUInt32BE(data.length, 0);
  c.write(type, 4);
  c.set(data, 8);
  c.writeUInt32BE(crc32(c.subarray(4, 8 + data.length)), 8 + data.length);
  return c;
}

/**
 * The bomb's bytes.
 *
 * @example
 * writeFileSync('bomb.png', pngBomb(30000, 30000)); // 30000x30000 declared, ~100 bytes on disk
 */
export function pngBomb(w: number, h: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(256))), chunk('IEND', Buffer.alloc(0))]);
}
