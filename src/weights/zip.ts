/**
 * Minimal read-only zip reader for PyTorch checkpoints (`torch.save` since 1.6 writes a zip with
 * STORED entries, 64-byte aligned data and zip64 records). Entry data is returned as zero-copy
 * subarrays of the input for stored entries; deflated entries (other writers) go through fflate.
 * Nothing here touches Node built-ins, so it also runs in a browser.
 */
import { inflateSync } from 'fflate';
import { LeyoloError } from '../errors.js';
import { LIMITS, overLimit } from './limits.js';

/** One central-directory entry; `dataOffset` is resolved lazily from the local header. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

function bad(message: string): LeyoloError {
  return new LeyoloError('BAD_CHECKPOINT', message, 'the file is truncated or not a PyTorch zip checkpoint; download it again');
}

/** Reads an unsigned 64-bit little-endian integer that must fit in a JS number. */
function u64(view: DataView, at: number): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi >= 0x200000) throw bad('zip: 64-bit field out of range');
  return hi * 0x100000000 + lo;
}

let crcTables: Uint32Array[] | undefined;
/**
 * Standard CRC-32 (poly 0xEDB88320), slicing-by-4, used to detect corrupted entries. `prev` continues
 * a CRC over data split in parts: crc32(b, crc32(a)) === crc32(a + b).
 *
 * @example
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 */
export function crc32(data: Uint8Array, prev = 0): number {
  if (!crcTables) {
    const t0 = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t0[n] = c >>> 0;
    }
    crcTables = [t0];
    for (let j = 1; j < 4; j++) crcTables.push(Uint32Array.from(t0, (_, n) => (crcTables![j - 1][n] >>> 8) ^ t0[crcTables![j - 1][n] & 0xff]));
  }
  const [t0, t1, t2, t3] = crcTables;
  let c = ~prev;
  let i = 0;
  // Four bytes per step: table t_k advances the CRC of a byte followed by k zero bytes.
  for (const end = data.length - 3; i < end; i += 4) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    c = t3[c & 0xff] ^ t2[(c >>> 8) & 0xff] ^ t1[(c >>> 16) & 0xff] ^ t0[c >>> 24];
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Locates the central directory: [offset, size, count], following zip64 records when present. */
function findCentralDirectory(bytes: Uint8Array, view: DataView): [number, number, number] {
  const minPos = Math.max(0, bytes.length - 22 - 0xffff);
  let eocd = -1;
  for (let p = bytes.length - 22; p >= minPos; p--) {
    if (view.getUint32(p, true) === SIG_EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw bad('not a zip archive (no end-of-central-directory record)');
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  const loc = eocd - 20;
  if (loc >= 0 && view.getUint32(loc, true) === SIG_LOC64) {
    const at = u64(view, loc + 8);
    if (at + 56 > bytes.length || view.getUint32(at, true) !== SIG_EOCD64) throw bad('zip: bad zip64 record');
    count = u64(view, at + 32);
    size = u64(view, at + 40);
    offset = u64(view, at + 48);
  }
  if (offset + size > bytes.length) throw bad('zip: central directory beyond end of file');
  return [offset, size, count];
}

/** Applies a zip64 extended-information extra field to the fields that overflowed 32 bits. */
function applyZip64(view: DataView, extra: number, extraEnd: number, e: ZipEntry): void {
  for (let p = extra; p + 4 <= extraEnd; ) {
    const id = view.getUint16(p, true);
    const len = view.getUint16(p + 2, true);
    if (id === 0x0001) {
      // Each 8-byte field must lie inside this extra block (a bad length must not read past it).
      const end = Math.min(p + 4 + len, extraEnd);
      let q = p + 4;
      const next = (): number => {
        if (q + 8 > end) throw bad('zip: truncated zip64 extra field');
        return (q += 8), u64(view, q - 8);
      };
      if (e.size === U32_MAX) e.size = next();
      if (e.compressedSize === U32_MAX) e.compressedSize = next();
      if (e.localHeaderOffset === U32_MAX) e.localHeaderOffset = next();
    }
    p += 4 + len;
  }
}

/**
 * A parsed zip archive over an in-memory buffer.
 *
 * @example
 * const zip = new ZipArchive(bytes);
 * const pkl = zip.read(zip.names().find((n) => n.endsWith('data.pkl'))!);
 */
export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;
  /** Bytes inflated so far (deflated entries), bounded by LIMITS.inflatedBytes. */
  private inflated = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 22) throw bad('not a zip archive (file too short)');
    const [offset, size, count] = findCentralDirectory(bytes, this.view);
    if (count > LIMITS.zipEntries) throw overLimit(`zip: ${count} entries, over the limit of ${LIMITS.zipEntries}`);
    const dec = new TextDecoder();
    let p = offset;
    const end = offset + size;
    for (let i = 0; i < count; i++) {
      if (p + 46 > end || this.view.getUint32(p, true) !== SIG_CENTRAL) throw bad('zip: corrupt central directory');
      const nameLen = this.view.getUint16(p + 28, true);
      const extraLen = this.view.getUint16(p + 30, true);
      const commentLen = this.view.getUint16(p + 32, true);
      if (p + 46 + nameLen + extraLen > end) throw bad('zip: corrupt central directory');
      const e: ZipEntry = {
        name: dec.decode(bytes.subarray(p + 46, p + 46 + nameLen)),
        method: this.view.getUint16(p + 10, true),
        crc32: this.view.getUint32(p + 16, true),
        compressedSize: this.view.getUint32(p + 20, true),
        size: this.view.getUint32(p + 24, true),
        localHeaderOffset: this.view.getUint32(p + 42, true),
      };
      applyZip64(this.view, p + 46 + nameLen, p + 46 + nameLen + extraLen, e);
      // Two entries of one name would let the second silently replace the first.
      if (this.entries.has(e.name)) throw bad(`zip: duplicate entry '${e.name}'`);
      this.entries.set(e.name, e);
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  /** Entry names in central-directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The uncompressed bytes of an entry (a zero-copy view for stored entries).
   * `verify` checks the CRC-32 (about 3 ms per MB); corrupt data -> BAD_CHECKPOINT.
   */
  read(name: string, verify = true): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw bad(`zip: missing entry '${name}'`);
    const h = e.localHeaderOffset;
    if (h + 30 > this.bytes.length || this.view.getUint32(h, true) !== SIG_LOCAL) throw bad(`zip: bad local header for '${name}'`);
    const start = h + 30 + this.view.getUint16(h + 26, true) + this.view.getUint16(h + 28, true);
    if (start + e.compressedSize > this.bytes.length) throw bad(`zip: entry '${name}' extends beyond end of file`);
    const raw = this.bytes.subarray(start, start + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) out = raw;
    else if (e.method === 8) {
      // The declared size is allocated up front: bound it before trusting it.
      if (e.size > LIMITS.inflatedBytes - this.inflated) throw overLimit(`zip: entry '${name}' inflates to ${e.size} bytes, over the ${LIMITS.inflatedBytes}-byte limit`);
      this.inflated += e.size;
      try {
        out = inflateSync(raw, { out: new Uint8Array(e.size) });
      } catch (err) {
        throw new LeyoloError('BAD_CHECKPOINT', `zip: cannot inflate entry '${name}'`, bad('').hint, { cause: err });
      }
    } else throw bad(`zip: entry '${name}' uses unsupported compression method ${e.method}`);
    if (out.length !== e.size) throw bad(`zip: entry '${name}' has wrong size`);
    if (verify && crc32(out) !== e.crc32) throw bad(`zip: CRC mismatch in entry '${name}' (corrupt file)`);
    return out;
  }
}
