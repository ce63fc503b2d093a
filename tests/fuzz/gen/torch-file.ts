/**
 * Builders for hand-made torch.save files (fuzz cases and unit tests): the library's pickle writer
 * (src/weights/pickle-writer.ts) over the inert values our reader produces (so a real checkpoint can be
 * read, edited as a tree and written back), raw opcode snippets for structures no tree can hold
 * (100k-deep nesting), and the library's stored-zip writer (src/weights/zip-writer.ts).
 * torch.save layout: `<prefix>data.pkl`, `<prefix>data/<key>` storages, `<prefix>byteorder`, `<prefix>version`.
 */
import { ZipArchive } from '../../../src/weights/zip.js';
import { ByteWriter, storedZip as writeZip } from '../../../src/weights/zip-writer.js';
import { Pickler, type PyValue } from '../../../src/weights/pickle-writer.js';
import { PickleObject, unpickle, type PickleValue } from '../../../src/weights/pickle.js';

/** Opcode bytes pushed as they are: must push exactly one value. */
export class Raw {
  constructor(readonly bytes: Uint8Array) {}
}

/** A value the writer accepts: inert pickle values, with Raw snippets anywhere. */
export type DumpValue = PickleValue | Raw;

/** Growable byte buffer (src/weights/zip-writer.ts). */
export const Bytes = ByteWriter;

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

/** src/weights/pickle-writer.ts's pickler, plus Raw snippets anywhere in the tree. */
class RawPickler extends Pickler {
  override dump(v: PyValue | Raw): void {
    if (v instanceof Raw) this.out.add(v.bytes);
    else super.dump(v);
  }
}

/**
 * A protocol-2 pickle of `v` (STOP included) that our reader decodes back to an equal tree.
 *
 * @example
 * unpickle(pickleDump(new Map([['a', [1, 2]]]))); // Map { 'a' => [1, 2] }
 */
export function pickleDump(v: DumpValue): Uint8Array {
  const p = new RawPickler();
  p.dump(v);
  return p.finish();
}

/**
 * A zip of STORED entries (no zip64, no alignment), CRCs computed, in the given order.
 *
 * @example
 * storedZip([['archive/data.pkl', pkl], ['archive/data/0', storage]]);
 */
export function storedZip(entries: Iterable<[string, Uint8Array]>): Uint8Array {
  return writeZip(entries);
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

