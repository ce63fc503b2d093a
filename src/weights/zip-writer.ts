/**
 * Zip writing for checkpoints: STORED entries only, CRC-32 in every header (no data descriptors),
 * and optionally every entry's data aligned like torch.save (64 bytes: the local header's extra
 * field is padded with an 'FB' block of 'Z's, exactly as PyTorch's writer does), so the file can be
 * memory-mapped by torch.load(mmap=True). Browser-safe: no Node built-ins.
 */
import { LeyoloError } from '../errors.js';
import { crc32 } from './zip.js';

/**
 * A growable little-endian byte buffer.
 *
 * @example
 * new ByteWriter().u32(0x04034b50).u16(20).bytes(); // Uint8Array(6)
 */
export class ByteWriter {
  private buf: Uint8Array;
  length = 0;
  constructor(capacity = 64) {
    this.buf = new Uint8Array(Math.max(1, capacity));
  }
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < this.length + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
  push(...xs: number[]): this {
    this.room(xs.length);
    for (const x of xs) this.buf[this.length++] = x;
    return this;
  }
  add(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  u32(n: number): this {
    return this.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  u16(n: number): this {
    return this.push(n & 0xff, (n >>> 8) & 0xff);
  }
  /** `n` repetitions of `b` (fast path for big repeated snippets). */
  repeat(b: Uint8Array, n: number): this {
    this.room(b.length * n);
    for (let i = 0; i < n; i++) this.add(b);
    return this;
  }
  /** A copy of the bytes written so far. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Options of {@link storedZip}. */
export interface ZipWriteOptions {
  /** Align every entry's data to this many bytes (torch.save: 64). Default 1: no padding. */
  align?: number;
}

const enc = new TextEncoder();
/** PyTorch's padding extra-field id ('FB' little-endian) and its filler byte 'Z'. */
const PAD_ID = 0x4246;
const PAD_BYTE = 0x5a;
/** Version 2.0 (needed to extract, and made by); flag bit 11: names are UTF-8. */
const VERSION = 20;
const UTF8 = 0x800;
const U32_MAX = 0xffffffff;

/** Extra-field bytes that put the data of a header starting at `at` on an `align` boundary. */
function padding(at: number, nameLength: number, align: number): number {
  if (align <= 1) return 0;
  let pad = (align - ((at + 30 + nameLength) % align)) % align;
  // An extra field needs at least its 4-byte header; PyTorch adds a whole `align` then.
  if (pad > 0 && pad < 4) pad += align;
  return pad;
}

/**
 * A zip of STORED entries (no zip64: at most 4 GiB and 65,535 entries), CRCs computed, in the given
 * order; `align` pads each local header so the entry's data starts on a multiple of it.
 *
 * @example
 * storedZip([['archive/data.pkl', pkl], ['archive/data/0', storage]], { align: 64 });
 */
export function storedZip(entries: Iterable<[string, Uint8Array]>, opts: ZipWriteOptions = {}): Uint8Array {
  const align = opts.align ?? 1;
  const list = [...entries].map(([name, data]) => ({ name: enc.encode(name), data, crc: crc32(data), at: 0, pad: 0 }));
  if (list.length > 0xffff) throw new LeyoloError('LIMIT_EXCEEDED', `zip: ${list.length} entries (at most 65535 without zip64)`, 'write fewer tensors');
  let size = 0;
  let central = 0;
  for (const e of list) {
    e.at = size;
    e.pad = padding(size, e.name.length, align);
    size += 30 + e.name.length + e.pad + e.data.length;
    central += 46 + e.name.length;
  }
  if (size + central + 22 > U32_MAX) throw new LeyoloError('LIMIT_EXCEEDED', `zip: ${size + central + 22} bytes (at most 4 GiB without zip64)`, 'write a smaller model');
  const out = new ByteWriter(size + central + 22);
  for (const e of list) {
    out.u32(0x04034b50).u16(VERSION).u16(UTF8).u16(0).u16(0).u16(0x21).u32(e.crc).u32(e.data.length).u32(e.data.length).u16(e.name.length).u16(e.pad).add(e.name);
    if (e.pad > 0) out.u16(PAD_ID).u16(e.pad - 4).add(new Uint8Array(e.pad - 4).fill(PAD_BYTE));
    out.add(e.data);
  }
  const cdAt = out.length;
  for (const e of list) {
    out.u32(0x02014b50).u16(VERSION).u16(VERSION).u16(UTF8).u16(0).u16(0).u16(0x21).u32(e.crc).u32(e.data.length).u32(e.data.length)
      .u16(e.name.length).u16(0).u16(0).u16(0).u16(0).u32(0).u32(e.at).add(e.name);
  }
  const cdSize = out.length - cdAt; // read before the EOCD is written
  out.u32(0x06054b50).u16(0).u16(0).u16(list.length).u16(list.length).u32(cdSize).u32(cdAt).u16(0);
  return out.bytes();
}
