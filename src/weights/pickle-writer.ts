/**
 * A protocol-2 pickle writer that emits what CPython's pickler emits for the same objects (GLOBAL
 * opcodes, NEWOBJ for module instances, REDUCE for functions and OrderedDict, BINPERSID for torch
 * storages), so the official Ultralytics code loads what leyolo writes. Values are plain data plus a
 * few wrappers for what JavaScript cannot tell apart (tuple vs list, float 2.0 vs int 2, dict vs
 * OrderedDict), and the inert records of our reader (pickle-values.ts), so a read tree can be
 * written back. Nothing here runs anything; browser-safe.
 */
import { LeyoloError } from '../errors.js';
import { PickleGlobal, PickleObject, type PickleValue } from './pickle-values.js';
import { ByteWriter } from './zip-writer.js';

/** A Python tuple (a JS array is written as a list). @example new PyTuple([3, 3]) // (3, 3) */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** A Python float whose value is integral (2.0); non-integral numbers are floats anyway. @example new PyFloat(2) // 2.0 */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A `collections.OrderedDict` (a plain Map is written as a dict). @example new PyOrderedDict([['weight', w]]) */
export class PyOrderedDict extends Map<PyValue, PyValue> {}

/**
 * An object rebuilt by calling `cls(*args)` (REDUCE) or `cls.__new__(cls, *args)` (NEWOBJ, what
 * Python writes for instances of ordinary classes such as nn.Module), then `BUILD` with `state`.
 *
 * @example
 * new PyObject('torch.nn.modules.activation.SiLU', [], { newobj: true, state: dict });
 */
export class PyObject {
  constructor(
    readonly cls: string,
    readonly args: readonly PyValue[],
    readonly opts: { newobj?: boolean; state?: PyValue } = {},
  ) {}
}

/**
 * Base of objects that are not pickled themselves but through {@link PickleDumpOptions.persistentId}
 * (torch storages); writing one without a persistent id is a bug.
 *
 * @example
 * class Storage extends PyExternal {}
 * pickleDump(new Storage(), { persistentId: () => new PyTuple(['storage', '0']) });
 */
export abstract class PyExternal {}

/** A value the writer accepts. */
export type PyValue =
  | PickleValue
  | PyExternal
  | PyTuple
  | PyFloat
  | PyObject
  | PyValue[]
  | Map<PyValue, PyValue>
  | Set<PyValue>;

/** Options of {@link pickleDump}. */
export interface PickleDumpOptions {
  /**
   * Python's `persistent_id`: a non-undefined result is written instead of the object, followed by
   * BINPERSID (torch.save writes each storage as `('storage', type, key, location, numel)`).
   */
  persistentId?: (v: object) => PyValue | undefined;
}

const enc = new TextEncoder();
/** Python's pickler batches APPENDS/SETITEMS by 1000 items. */
const BATCH = 1000;

/** Classes that Python pickles with NEWOBJ (`copyreg.__newobj__`) in the official checkpoints. */
function isNewObjClass(cls: string): boolean {
  return (cls.startsWith('torch.nn.modules.') || cls.startsWith('ultralytics.')) && cls !== 'ultralytics.utils.IterableSimpleNamespace';
}

function bad(message: string): LeyoloError {
  return new LeyoloError('INTERNAL', `pickle writer: ${message}`, 'this is a bug in leyolo; please report it');
}

/**
 * The pickler: one instance per pickle. Subclasses may override {@link Pickler.dump} to add value
 * kinds (children are dumped through the override too).
 *
 * @example
 * const p = new Pickler(); p.dump(['a', 1]); p.finish(); // Uint8Array [0x80, 2, ...]
 */
export class Pickler {
  readonly out = new ByteWriter(1 << 16);
  /** Memo index of every container, record and global written (shared values stay shared). */
  private readonly memo = new Map<unknown, number>();
  /** Strings are immutable: equal strings share one memo entry (Python shares interned ones). */
  private readonly strings = new Map<string, number>();
  private readonly globals = new Map<string, number>();
  /** Next memo index. */
  private next = 0;

  constructor(private readonly opts: PickleDumpOptions = {}) {
    this.out.push(0x80, 2);
  }

  /** STOP, and the pickle's bytes. */
  finish(): Uint8Array {
    this.out.push(0x2e);
    return this.out.bytes();
  }

  /** BINPUT / LONG_BINPUT of the next memo index, returned. */
  private put(): number {
    const i = this.next++;
    if (i < 256) this.out.push(0x71, i);
    else this.out.push(0x72).u32(i);
    return i;
  }

  private memoize(key: unknown): void {
    this.memo.set(key, this.put());
  }

  private get(i: number): void {
    if (i < 256) this.out.push(0x68, i);
    else this.out.push(0x6a).u32(i);
  }

  /** GLOBAL `module.name` (the split is at the last dot), memoized like Python's. */
  global(dotted: string): void {
    const seen = this.globals.get(dotted);
    if (seen !== undefined) return this.get(seen);
    const dot = dotted.lastIndexOf('.');
    if (dot <= 0) throw bad(`global '${dotted}' has no module`);
    this.out.add(enc.encode(`c${dotted.slice(0, dot)}\n${dotted.slice(dot + 1)}\n`));
    this.globals.set(dotted, this.put());
  }

  private int(n: number): void {
    if (n >= 0 && n < 256) this.out.push(0x4b, n);
    else if (n >= 256 && n < 65536) this.out.push(0x4d).u16(n);
    else if (n >= -(2 ** 31) && n < 2 ** 31) this.out.push(0x4a).u32(n >>> 0);
    else this.long(BigInt(n));
  }

  private long(v: bigint): void {
    const out: number[] = [];
    let x = v;
    // Two's complement, little-endian, minimal length with a correct sign bit (LONG1).
    for (;;) {
      out.push(Number(x & 0xffn));
      x >>= 8n;
      if ((x === 0n && (out[out.length - 1] & 0x80) === 0) || (x === -1n && (out[out.length - 1] & 0x80) !== 0)) break;
    }
    if (out.length > 255) throw bad('integer too large');
    this.out.push(0x8a, out.length, ...out);
  }

  private float(n: number): void {
    const b = new Uint8Array(9);
    b[0] = 0x47;
    new DataView(b.buffer).setFloat64(1, n, false);
    this.out.add(b);
  }

  private str(s: string): void {
    const seen = this.strings.get(s);
    if (seen !== undefined) return this.get(seen);
    const u = enc.encode(s);
    this.out.push(0x58).u32(u.length).add(u);
    this.strings.set(s, this.put());
  }

  /** MARK items APPENDS (or SETITEMS), in batches; a batch of one uses APPEND (SETITEM). */
  private batched(items: readonly PyValue[], per: 1 | 2): void {
    const one = per === 1 ? 0x61 : 0x73;
    const many = per === 1 ? 0x65 : 0x75;
    for (let i = 0; i < items.length; i += BATCH * per) {
      const chunk = items.slice(i, i + BATCH * per);
      if (chunk.length === per) {
        for (const x of chunk) this.dump(x);
        this.out.push(one);
      } else {
        this.out.push(0x28);
        for (const x of chunk) this.dump(x);
        this.out.push(many);
      }
    }
  }

  private tuple(items: readonly PyValue[]): void {
    if (items.length === 0) return void this.out.push(0x29);
    if (items.length <= 3) {
      for (const x of items) this.dump(x);
      this.out.push([0x85, 0x86, 0x87][items.length - 1]);
      return;
    }
    this.out.push(0x28);
    for (const x of items) this.dump(x);
    this.out.push(0x74);
  }

  /** `cls(*args)` or `cls.__new__(cls, *args)`, memoized, then BUILD with the state. */
  private call(key: object, cls: string | PickleObject, args: readonly PyValue[], newobj: boolean, state: PyValue | undefined): void {
    if (typeof cls === 'string') this.global(cls);
    else this.dump(cls);
    this.tuple(args);
    this.out.push(newobj ? 0x81 : 0x52);
    this.memoize(key);
    if (state !== undefined && state !== null) {
      this.dump(state);
      this.out.push(0x62);
    }
  }

  /** A record of our reader: NEWOBJ for module classes, REDUCE otherwise; its items after BUILD. */
  private record(v: PickleObject): void {
    if (v.$class === '$persistent_id') {
      this.dump(v.args[0] ?? null);
      return void this.out.push(0x51);
    }
    this.call(v, v.callee ?? v.$class, v.args, !v.callee && isNewObjClass(v.$class), v.state);
    if (v.dictItems) this.batched([...v.dictItems].flat(), 2);
    if (v.listItems) this.batched(v.listItems, 1);
  }

  private container(v: object): void {
    if (v instanceof PyTuple) {
      this.tuple(v.items);
      return this.memoize(v);
    }
    if (v instanceof PyObject) return this.call(v, v.cls, v.args, v.opts.newobj ?? isNewObjClass(v.cls), v.opts.state);
    if (v instanceof PickleObject) return this.record(v);
    if (v instanceof PickleGlobal) return this.global(v.$class);
    if (Array.isArray(v)) {
      this.out.push(0x5d);
      this.memoize(v);
      return this.batched(v, 1);
    }
    if (v instanceof PyOrderedDict) {
      this.call(v, 'collections.OrderedDict', [], false, undefined);
      return this.batched([...v].flat(), 2);
    }
    if (v instanceof Map) {
      this.out.push(0x7d);
      this.memoize(v);
      return this.batched([...v].flat(), 2);
    }
    if (v instanceof Set) {
      // Protocol 2 has no set opcodes: Python writes set([items]) as a REDUCE.
      this.global('__builtin__.set');
      this.out.push(0x5d);
      this.batched([...v], 1);
      this.out.push(0x85, 0x52);
      return this.memoize(v);
    }
    if (v instanceof PyExternal) throw bad('an external object (torch storage) without a persistent id');
    throw bad(`cannot pickle a ${Object.prototype.toString.call(v)}`);
  }

  /** Writes one value (and everything it holds). */
  dump(v: PyValue): void {
    if (v === null) return void this.out.push(0x4e);
    if (v === true || v === false) return void this.out.push(v ? 0x88 : 0x89);
    if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? this.int(v) : this.float(v);
    if (typeof v === 'bigint') return this.long(v);
    if (typeof v === 'string') return this.str(v);
    if (v instanceof PyFloat) return this.float(v.value);
    if (v instanceof Uint8Array) return void this.out.push(0x42).u32(v.length).add(v); // BINBYTES (protocol 3)
    const pid = this.opts.persistentId?.(v);
    if (pid !== undefined) {
      this.dump(pid);
      return void this.out.push(0x51);
    }
    const seen = this.memo.get(v);
    if (seen !== undefined) return this.get(seen);
    this.container(v);
  }
}

/**
 * A protocol-2 pickle of `v` (STOP included), as CPython would write it.
 *
 * @example
 * pickleDump(new Map([['epoch', -1], ['ema', null]])); // unpickle() gives the Map back
 */
export function pickleDump(v: PyValue, opts: PickleDumpOptions = {}): Uint8Array {
  const p = new Pickler(opts);
  p.dump(v);
  return p.finish();
}
