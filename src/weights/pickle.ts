/**
 * A safe, inert pickle reader (protocols 2..5, the binary opcodes). Nothing from the pickle is
 * ever called: GLOBAL/STACK_GLOBAL push a `PickleGlobal` name (refused unless allow-listed, see
 * allowlist.ts), REDUCE/NEWOBJ/OBJ/INST build a `PickleObject { $class, args, state }` record,
 * BUILD stores the state on it. The only "constructors" understood are pure data ones:
 * `collections.OrderedDict` -> Map, set/frozenset (also dill's `_load_type('set')`) -> Set and
 * `_codecs.encode(s, 'latin1')` -> Uint8Array.
 * BINPERSID yields a `PickleObject('$persistent_id', [pid])` that the caller interprets.
 */
import { LeyoloError, guardSync } from '../errors.js';
import { isAllowedGlobal } from './allowlist.js';
import { LIMITS, overLimit } from './limits.js';
import { appendItems, construct, PickleGlobal, PickleObject, pickleBad, setItems, type PickleValue } from './pickle-values.js';

export { PickleGlobal, PickleObject, type PickleValue } from './pickle-values.js';

const bad = pickleBad;

function unsafe(what: string): LeyoloError {
  return new LeyoloError(
    'UNSAFE_PICKLE',
    `refusing checkpoint: its pickle references '${what}', which is not a known PyTorch/Ultralytics class`,
    'only load checkpoints from sources you trust; official LeYOLO/Ultralytics .pt files never contain this',
  );
}

const ASCII_FAST_MAX = 64;
/** Read once: the VM checks it at every opcode. */
const MAX_WORK = LIMITS.pickleWork;
/**
 * Work units per opcode: 1, or 4 for opcodes that allocate a container or record (~200 bytes each
 * for an empty Map), so that a pickle of a million one-byte EMPTY_DICTs costs what it weighs.
 */
const COST = new Uint8Array(256).fill(1);
for (const c of '}])(dltoiRQ') COST[c.charCodeAt(0)] = 4;
for (const c of [0x81, 0x85, 0x86, 0x87, 0x8f, 0x91, 0x92]) COST[c] = 4;

/** The pickle virtual machine state; handlers below mutate it. */
class Vm {
  pos = 0;
  stack: PickleValue[] = [];
  marks: number[] = [];
  memo = new Map<number, PickleValue>();
  /** Work done so far (opcodes plus items moved in bulk), bounded by LIMITS.pickleWork. */
  work = 0;
  readonly view: DataView;
  readonly utf8 = new TextDecoder('utf-8');
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.bytes.length) throw bad(`truncated data at byte ${at}`);
    this.pos = at + n;
    return at;
  }
  u8(): number {
    return this.bytes[this.need(1)];
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  u64(): number {
    const at = this.need(8);
    const hi = this.view.getUint32(at + 4, true);
    if (hi >= 0x200000) throw bad(`length out of range at byte ${at}`);
    return hi * 0x100000000 + this.view.getUint32(at, true);
  }
  raw(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  str(n: number): string {
    const b = this.raw(n);
    if (n <= ASCII_FAST_MAX) {
      let s = '';
      for (let i = 0; i < n; i++) {
        if (b[i] > 0x7f) return this.utf8.decode(b);
        s += String.fromCharCode(b[i]);
      }
      return s;
    }
    return this.utf8.decode(b);
  }
  /** A newline-terminated ASCII line (GLOBAL/INST arguments). */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw bad(`truncated data at byte ${this.pos}`);
    const s = this.str(end - this.pos);
    this.pos++; // the newline
    return s;
  }
  push(v: PickleValue): void {
    this.stack.push(v);
  }
  pop(): PickleValue {
    // Items below the last MARK belong to the enclosing frame, as in Python's metastack.
    if (this.stack.length <= (this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0)) throw bad('stack underflow');
    return this.stack.pop() as PickleValue;
  }
  top(): PickleValue {
    if (this.stack.length === 0) throw bad('stack underflow');
    return this.stack[this.stack.length - 1];
  }
  /** Pops everything above the last MARK (and the mark itself). */
  popMark(): PickleValue[] {
    const m = this.marks.pop();
    if (m === undefined) throw bad('no MARK on the stack');
    this.charge(this.stack.length - m);
    return this.stack.splice(m);
  }
  /**
   * Counts `n` units of work. Every opcode costs one; opcodes that touch many items (BUILD merging a
   * memoised dict, set(list), ...) cost one per item, so a small pickle cannot make the VM loop for
   * minutes or build gigabytes of values.
   */
  charge(n: number): void {
    this.work += n;
    if (this.work > MAX_WORK) throw overLimit(`pickle: more than ${MAX_WORK} operations (not a checkpoint pickle)`);
  }
}

/** Signed little-endian two's-complement integer of any width (LONG1/LONG4). */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  // Bounded so a hostile multi-megabyte LONG4 cannot stall the loader (decoding is quadratic).
  if (b.length > 64) throw bad(`integer of ${b.length} bytes is too large`);
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function checkGlobal(module: string, name: string): PickleGlobal {
  if (!isAllowedGlobal(module, name)) throw unsafe(`${module}.${name}`);
  return new PickleGlobal(module, name);
}

function build(vm: Vm): void {
  const state = vm.pop();
  const obj = vm.top();
  if (obj instanceof PickleObject) {
    if (state instanceof Map) vm.charge(state.size);
    if (obj.state instanceof Map && state instanceof Map) for (const [k, v] of state) obj.state.set(k, v);
    else obj.state = state;
  } else if (!(obj instanceof Map)) throw bad('BUILD on a value that has no state');
  // BUILD on an OrderedDict sets instance attributes (e.g. `_metadata`); not needed, dropped.
}

function memoGet(vm: Vm, i: number): void {
  const v = vm.memo.get(i);
  if (v === undefined) throw bad(`memo key ${i} not defined`);
  vm.push(v);
}

type Handler = (vm: Vm) => void | 'stop';
const H: (Handler | undefined)[] = new Array(256);
const op = (c: string | number, h: Handler): void => {
  H[typeof c === 'string' ? c.charCodeAt(0) : c] = h;
};

// Framing and control.
op(0x80, (vm) => void vm.u8()); // PROTO n
op(0x95, (vm) => void vm.u64()); // FRAME len (framing only)
op('.', () => 'stop');
op('(', (vm) => void vm.marks.push(vm.stack.length));
op('0', (vm) => void vm.pop());
op('1', (vm) => void vm.popMark());
op('2', (vm) => vm.push(vm.top()));
// Constants and numbers.
op('N', (vm) => vm.push(null));
op(0x88, (vm) => vm.push(true));
op(0x89, (vm) => vm.push(false));
op('J', (vm) => vm.push(vm.view.getInt32(vm.need(4), true)));
op('K', (vm) => vm.push(vm.u8()));
op('M', (vm) => vm.push(vm.u16()));
op(0x8a, (vm) => vm.push(decodeLong(vm.raw(vm.u8()))));
op(0x8b, (vm) => vm.push(decodeLong(vm.raw(vm.u32()))));
op('G', (vm) => vm.push(vm.view.getFloat64(vm.need(8), false)));
// Strings and bytes (protocol 1 byte strings are decoded like Python 3's default latin-1/utf-8 mix: utf-8).
op('X', (vm) => vm.push(vm.str(vm.u32())));
op(0x8c, (vm) => vm.push(vm.str(vm.u8())));
op(0x8d, (vm) => vm.push(vm.str(vm.u64())));
op('T', (vm) => vm.push(vm.str(vm.u32())));
op('U', (vm) => vm.push(vm.str(vm.u8())));
op('B', (vm) => vm.push(new Uint8Array(vm.raw(vm.u32()))));
op('C', (vm) => vm.push(new Uint8Array(vm.raw(vm.u8()))));
op(0x8e, (vm) => vm.push(new Uint8Array(vm.raw(vm.u64()))));
op(0x96, (vm) => vm.push(new Uint8Array(vm.raw(vm.u64()))));
// Containers.
op(')', (vm) => vm.push([]));
op('t', (vm) => vm.push(vm.popMark()));
op(0x85, (vm) => vm.push([vm.pop()]));
op(0x86, (vm) => {
  const b = vm.pop();
  vm.push([vm.pop(), b]);
});
op(0x87, (vm) => {
  const c = vm.pop();
  const b = vm.pop();
  vm.push([vm.pop(), b, c]);
});
op(']', (vm) => vm.push([]));
op('l', (vm) => vm.push(vm.popMark()));
op('a', (vm) => {
  const v = vm.pop();
  appendItems(vm.top(), [v]);
});
op('e', (vm) => {
  const items = vm.popMark();
  appendItems(vm.top(), items);
});
op('}', (vm) => vm.push(new Map()));
op('d', (vm) => {
  const m = new Map<PickleValue, PickleValue>();
  setItems(m, vm.popMark());
  vm.push(m);
});
op('s', (vm) => {
  const v = vm.pop();
  const k = vm.pop();
  setItems(vm.top(), [k, v]);
});
op('u', (vm) => {
  const kv = vm.popMark();
  setItems(vm.top(), kv);
});
op(0x8f, (vm) => vm.push(new Set()));
op(0x90, (vm) => {
  const items = vm.popMark();
  appendItems(vm.top(), items);
});
op(0x91, (vm) => vm.push(new Set(vm.popMark())));
// Memo.
op('h', (vm) => memoGet(vm, vm.u8()));
op('j', (vm) => memoGet(vm, vm.u32()));
op('q', (vm) => void vm.memo.set(vm.u8(), vm.top()));
op('r', (vm) => void vm.memo.set(vm.u32(), vm.top()));
op(0x94, (vm) => void vm.memo.set(vm.memo.size, vm.top()));
// Globals and objects: names are checked before anything else happens with them.
op('c', (vm) => {
  const module = vm.line();
  vm.push(checkGlobal(module, vm.line()));
});
op(0x93, (vm) => {
  const name = vm.pop();
  const module = vm.pop();
  if (typeof module !== 'string' || typeof name !== 'string') throw bad('STACK_GLOBAL needs two strings');
  vm.push(checkGlobal(module, name));
});
op('i', (vm) => {
  const module = vm.line();
  const cls = checkGlobal(module, vm.line());
  call(vm, cls, vm.popMark());
});
op('o', (vm) => {
  const items = vm.popMark();
  if (items.length === 0) throw bad('OBJ without a class');
  call(vm, items[0], items.slice(1));
});
/** `callable(*args)` as an inert value; charged per item of its first argument (set(list) and bytes(str) copy it). */
function call(vm: Vm, callable: PickleValue, args: PickleValue): void {
  if (Array.isArray(args)) {
    const first = args[0];
    vm.charge(Array.isArray(first) || typeof first === 'string' ? first.length : 0);
  }
  vm.push(construct(callable, args));
}

op('R', (vm) => {
  const args = vm.pop();
  call(vm, vm.pop(), args);
});
op(0x81, (vm) => {
  const args = vm.pop();
  call(vm, vm.pop(), args);
});
op(0x92, (vm) => {
  vm.pop(); // kwargs: kept out of the record (never seen in checkpoints)
  const args = vm.pop();
  call(vm, vm.pop(), args);
});
op('b', build);
op('Q', (vm) => vm.push(new PickleObject('$persistent_id', [vm.pop()])));
// Extension registry codes name globals we cannot check.
for (const ext of [0x82, 0x83, 0x84]) op(ext, () => {
  throw unsafe('copyreg extension code');
});

/**
 * Decodes a pickle into inert values. Throws `UNSAFE_PICKLE` for any global outside the
 * allow-list (at the GLOBAL opcode itself, before any later REDUCE is reached), `BAD_CHECKPOINT`
 * for unknown opcodes, truncation or malformed structure, and `LIMIT_EXCEEDED` for pickles over
 * {@link LIMITS} (size, work). Only LeyoloErrors are thrown.
 *
 * @example
 * const root = unpickle(zip.read('archive/data.pkl')); // Map { 'model' => PickleObject, ... }
 */
export function unpickle(bytes: Uint8Array): PickleValue {
  return guardSync('pickle', () => run(bytes));
}

function run(bytes: Uint8Array): PickleValue {
  if (bytes.length > LIMITS.pickleBytes) throw overLimit(`pickle of ${bytes.length} bytes is over the ${LIMITS.pickleBytes}-byte limit`);
  const vm = new Vm(bytes);
  while (vm.pos < bytes.length) {
    const at = vm.pos;
    const code = bytes[vm.pos++];
    const h = H[code];
    if (!h) throw bad(`unknown opcode 0x${code.toString(16).padStart(2, '0')} at byte ${at}`);
    vm.charge(COST[code]);
    if (h(vm) === 'stop') {
      if (vm.stack.length !== 1 || vm.marks.length !== 0) throw bad('STOP with a malformed stack');
      return vm.stack[0];
    }
  }
  throw bad(`truncated data: no STOP opcode before byte ${bytes.length}`);
}
