/**
 * Builders for hand-made torch.save files (fuzz cases and unit tests): a pickle writer for the inert
 * values our reader produces (so a real checkpoint can be read, edited as a tree and written back),
 * raw opcode snippets for structures no tree can hold (100k-deep nesting), and a stored-zip writer.
 * torch.save layout: `<prefix>data.pkl`, `<prefix>data/<key>` storages, `<prefix>byteorder`, `<prefix>version`.
 */
import { ZipArchive, crc32 } from '../../../src/weights/zip.js';
import { PickleGlobal, PickleObject, unpickle, type PickleValue } from '../../../src/weights/pickle.js';

/** Opcode bytes pushed as they are: must push exactly one value. */
export class Raw {
  constructor(readonly bytes: Uint8Array) {}
}

/** A value the writer accepts: inert pickle values, with Raw snippets anywhere. */
export type DumpValue = PickleValue | Raw;

/** Growable byte buffer. */
export class Bytes {
  private buf: Uint8Array;
  length = 0;
  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
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
  /** `n` repetitions of `b` (fast path for big hostile snippets). */
  repeat(b: Uint8Array, n: number): this {
    this.room(b.length * n);
    for (let i = 0; i < n; i++) this.add(b);
    return this;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const enc = new TextEncoder();

/** Bytes and byte arrays concatenated (no per-byte JS arrays: hostile snippets are megabytes). */
export function cat(xs: readonly (number | Uint8Array)[]): Uint8Array {
  let n = 0;
  for (const x of xs) n += typeof x === 'number' ? 1 : x.length;
  const out = new Uint8Array(n);
  let p = 0;
  for (const x of xs) {
    if (typeof x === 'number') out[p++] = x;
    else out.set(x, (p += x.length) - x.length);
  }
  return out;
}

/** Opcode helpers (protocol 2 plus BINBYTES), all little pieces of a pickle. */
export const op = {
  proto: (): number[] => [0x80, 2],
  stop: (): number[] => [0x2e],
  global: (module: string, name: string): Uint8Array => enc.encode(`c${module}\n${name}\n`),
  str: (s: string): Uint8Array => {
    const u = enc.encode(s);
    const b = new Uint8Array(5 + u.length);
    b[0] = 0x58;
    new DataView(b.buffer).setUint32(1, u.length, true);
    b.set(u, 5);
    return b;
  },
  int: (n: number): Uint8Array => {
    if (Number.isInteger(n) && n >= 0 && n < 256) return new Uint8Array([0x4b, n]);
    if (Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return new Bytes().push(0x4a).u32(n >>> 0).bytes();
    if (Number.isSafeInteger(n)) return op.long(BigInt(n));
    const b = new Uint8Array(9);
    b[0] = 0x47;
    new DataView(b.buffer).setFloat64(1, n, false);
    return b;
  },
  long: (v: bigint): Uint8Array => {
    const out: number[] = [];
    let x = v;
    // Two's complement, little-endian, minimal length with a correct sign bit.
    for (;;) {
      out.push(Number(x & 0xffn));
      x >>= 8n;
      if ((x === 0n && (out[out.length - 1] & 0x80) === 0) || (x === -1n && (out[out.length - 1] & 0x80) !== 0)) break;
    }
    return new Uint8Array([0x8a, out.length, ...out]);
  },
  float: (n: number): Uint8Array => {
    const b = new Uint8Array(9);
    b[0] = 0x47;
    new DataView(b.buffer).setFloat64(1, n, false);
    return b;
  },
  put: (i: number): Uint8Array => new Uint8Array([0x72, i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24]),
  get: (i: number): Uint8Array => new Uint8Array([0x6a, i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24]),
};

/** Writes inert values back as a protocol-2 pickle; shared containers stay shared (memo). */
class Pickler {
  readonly out: Bytes;
  private readonly memo = new Map<object, number>();
  constructor() {
    this.out = new Bytes(1 << 20);
    this.out.push(...op.proto());
  }
  private put(v: object): void {
    const i = this.memo.size;
    this.memo.set(v, i);
    this.out.add(op.put(i));
  }
  private items(xs: Iterable<DumpValue>, close: number): void {
    this.out.push(0x28);
    for (const x of xs) this.dump(x);
    this.out.push(close);
  }
  private record(v: PickleObject): void {
    if (v.$class === '$persistent_id') {
      this.dump(v.args[0] ?? null);
      this.out.push(0x51);
      return;
    }
    if (v.callee) this.dump(v.callee);
    else {
      const dot = v.$class.lastIndexOf('.');
      this.out.add(op.global(v.$class.slice(0, dot), v.$class.slice(dot + 1)));
    }
    this.dump(v.args);
    this.out.push(0x52);
    this.put(v);
    if (v.state !== null) {
      this.dump(v.state);
      this.out.push(0x62);
    }
    if (v.dictItems) this.items([...v.dictItems].flat(), 0x75);
    if (v.listItems) this.items(v.listItems, 0x65);
  }
  dump(v: DumpValue): void {
    if (v instanceof Raw) this.out.add(v.bytes);
    else if (v === null) this.out.push(0x4e);
    else if (v === true || v === false) this.out.push(v ? 0x88 : 0x89);
    else if (typeof v === 'number') this.out.add(Number.isSafeInteger(v) && !Object.is(v, -0) ? op.int(v) : op.float(v));
    else if (typeof v === 'bigint') this.out.add(op.long(v));
    else if (typeof v === 'string') this.out.add(op.str(v));
    else if (v instanceof Uint8Array) this.out.push(0x42).u32(v.length).add(v);
    else if (this.memo.has(v)) this.out.add(op.get(this.memo.get(v)!));
    else if (v instanceof PickleGlobal) this.out.add(op.global(v.module, v.name));
    else if (v instanceof PickleObject) this.record(v);
    else if (Array.isArray(v)) {
      this.out.push(0x5d);
      this.put(v);
      if (v.length > 0) this.items(v, 0x65);
    } else if (v instanceof Map) {
      this.out.push(0x7d);
      this.put(v);
      if (v.size > 0) this.items([...v].flat(), 0x75);
    } else {
      this.out.push(0x8f);
      this.put(v);
      if (v.size > 0) this.items(v, 0x90);
    }
  }
}

/**
 * A protocol-2 pickle of `v` (STOP included) that our reader decodes back to an equal tree.
 *
 * @example
 * unpickle(pickleDump(new Map([['a', [1, 2]]]))); // Map { 'a' => [1, 2] }
 */
export function pickleDump(v: DumpValue): Uint8Array {
  const p = new Pickler();
  p.dump(v);
  p.out.push(...op.stop());
  return p.out.bytes();
}

/**
 * A zip of STORED entries (no zip64, no alignment), CRCs computed, in the given order.
 *
 * @example
 * storedZip([['archive/data.pkl', pkl], ['archive/data/0', storage]]);
 */
export function storedZip(entries: Iterable<[string, Uint8Array]>): Uint8Array {
  const out = new Bytes(1 << 20);
  const central = new Bytes(1 << 16);
  let count = 0;
  for (const [name, data] of entries) {
    const n = enc.encode(name);
    const crc = crc32(data);
    const at = out.length;
    out.u32(0x04034b50).u16(20).u16(0).u16(0).u16(0).u16(0).u32(crc).u32(data.length).u32(data.length).u16(n.length).u16(0).add(n).add(data);
    central.u32(0x02014b50).u16(20).u16(20).u16(0).u16(0).u16(0).u16(0).u32(crc).u32(data.length).u32(data.length).u16(n.length).u16(0).u16(0).u16(0).u16(0).u32(0).u32(at).add(n);
    count++;
  }
  const cdAt = out.length;
  out.add(central.bytes());
  out.u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(central.length).u32(cdAt).u16(0);
  return out.bytes();
}

/** A torch.save checkpoint taken apart: its entries (in order), prefix and pickle bytes. */
export interface TorchParts {
  prefix: string;
  entries: Map<string, Uint8Array>;
  pkl: Uint8Array;
}

/** Splits a torch.save zip into its entries. @example const parts = torchParts(readFileSync('LeYOLONano.pt')); */
export function torchParts(bytes: Uint8Array): TorchParts {
  const zip = new ZipArchive(bytes);
  const entries = new Map<string, Uint8Array>();
  for (const name of zip.names()) entries.set(name, zip.read(name));
  const pklName = zip.names().find((n) => n.endsWith('/data.pkl'));
  if (!pklName) throw new Error('no data.pkl');
  return { prefix: pklName.slice(0, -'data.pkl'.length), entries, pkl: entries.get(pklName)! };
}

/** A fresh, editable tree of the checkpoint's pickle (decoded again on every call). */
export function freshRoot(parts: TorchParts): Map<PickleValue, PickleValue> {
  return unpickle(parts.pkl) as Map<PickleValue, PickleValue>;
}

/**
 * The checkpoint zip again with its pickle replaced by `root` (a tree or raw pickle bytes) and
 * entries overridden/added by `extra` (a null value drops the entry).
 *
 * @example
 * torchZip(parts, root, { 'best/data/0': zeros });
 */
export function torchZip(parts: TorchParts, root: DumpValue | Uint8Array, extra: Record<string, Uint8Array | null> = {}): Uint8Array {
  const pkl = root instanceof Uint8Array ? root : pickleDump(root);
  const all = new Map(parts.entries);
  all.set(`${parts.prefix}data.pkl`, pkl);
  for (const [k, v] of Object.entries(extra)) {
    if (v === null) all.delete(k);
    else all.set(k, v);
  }
  return storedZip(all);
}

/** Attribute `key` of a record's state (or a dict's item). */
export function attr(v: PickleValue | undefined, key: string): PickleValue | undefined {
  if (v instanceof PickleObject) return v.state instanceof Map ? v.state.get(key) : undefined;
  if (v instanceof Map) return v.get(key);
  return undefined;
}

/** Sets attribute `key` of a record's state. */
export function setAttr(v: PickleValue | undefined, key: string, value: DumpValue): void {
  if (!(v instanceof PickleObject) || !(v.state instanceof Map)) throw new Error(`cannot set ${key}`);
  (v.state as Map<PickleValue, DumpValue>).set(key, value);
}

/** The module at dotted `path` under the checkpoint's model ('' = the model itself). */
export function moduleAt(root: Map<PickleValue, PickleValue>, path: string): PickleObject {
  let m = root.get('model');
  for (const name of path ? path.split('.') : []) m = attr(attr(m, '_modules'), name);
  if (!(m instanceof PickleObject)) throw new Error(`no module ${path}`);
  return m;
}

/** The tensor record of `param` (e.g. 'weight') of the module at `path`. */
export function tensorRecord(root: Map<PickleValue, PickleValue>, path: string, group: '_parameters' | '_buffers', name: string): PickleObject {
  const v = attr(attr(moduleAt(root, path), group), name);
  if (!(v instanceof PickleObject)) throw new Error(`no tensor ${path}.${name}`);
  return v.$class.startsWith('torch._utils._rebuild_parameter') ? (v.args[0] as PickleObject) : v;
}

