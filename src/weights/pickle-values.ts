/**
 * Values produced by the inert pickle VM (pickle.ts) and the pure-data constructors it knows:
 * nothing here can call code named by a pickle.
 */
import { LeyoloError } from '../errors.js';

/** A value decoded from a pickle. Python tuples and lists are both arrays, None is null. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | Set<PickleValue>
  | PickleObject
  | PickleGlobal;

/** A reference to `module.name` (e.g. `torch.HalfStorage`); never resolved to anything callable. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get $class(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An inert instance record: what Python would build by calling `$class(*args)` and then
 * `__setstate__(state)`. `callee` is set when the callable was itself a record (dill types).
 */
export class PickleObject {
  state: PickleValue = null;
  /** Items set on the object through SETITEM(S) (dict subclasses). */
  dictItems?: Map<PickleValue, PickleValue>;
  /** Items appended through APPEND(S) (list subclasses). */
  listItems?: PickleValue[];
  constructor(
    readonly $class: string,
    readonly args: PickleValue[],
    readonly callee?: PickleObject,
  ) {}
}

/** BAD_CHECKPOINT error for malformed pickles. */
export function pickleBad(message: string): LeyoloError {
  return new LeyoloError('BAD_CHECKPOINT', `pickle: ${message}`, 'the checkpoint is corrupt or not a PyTorch/Ultralytics file; download it again');
}

const SET_TYPES = new Set(['builtins.set', 'builtins.frozenset', '__builtin__.set', '__builtin__.frozenset']);

function isSetType(c: PickleValue): boolean {
  if (c instanceof PickleGlobal) return SET_TYPES.has(c.$class);
  return c instanceof PickleObject && c.$class === 'dill._dill._load_type' && (c.args[0] === 'set' || c.args[0] === 'frozenset');
}

/** Protocol 2 spells `bytes` as `_codecs.encode(str, 'latin1')`: decode that as data. */
function latin1Bytes(args: PickleValue[]): Uint8Array {
  const [s, enc] = args;
  if (typeof s !== 'string' || enc !== 'latin1') throw pickleBad('_codecs.encode with unexpected arguments');
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw pickleBad('_codecs.encode of a non-latin1 string');
    out[i] = c;
  }
  return out;
}

/**
 * Python `callable(*args)` without calling anything: data constructors or an inert record.
 *
 * @example
 * construct(new PickleGlobal('torch', 'device'), ['cpu']); // PickleObject { $class: 'torch.device', args: ['cpu'] }
 */
export function construct(callable: PickleValue, args: PickleValue): PickleValue {
  if (!Array.isArray(args)) throw pickleBad('REDUCE/NEWOBJ arguments are not a tuple');
  if (callable instanceof PickleGlobal) {
    if (callable.$class === 'collections.OrderedDict' && args.length === 0) return new Map();
    if (isSetType(callable)) return new Set(Array.isArray(args[0]) ? args[0] : []);
    if (callable.$class === '_codecs.encode') return latin1Bytes(args);
    return new PickleObject(callable.$class, args);
  }
  if (callable instanceof PickleObject) {
    if (isSetType(callable)) return new Set(Array.isArray(args[0]) ? args[0] : []);
    // Only one level (a type rebuilt by a call, as dill does): chains would nest records without end.
    if (callable.callee) throw pickleBad('call of an already called record (only the one level dill writes is supported)');
    return new PickleObject(`${callable.$class}()`, args, callable);
  }
  throw pickleBad('REDUCE/NEWOBJ on something that is not a class');
}

/** SETITEM(S): `target[k] = v` for each pair of `kv` (dicts, or items recorded on an object). */
export function setItems(target: PickleValue, kv: PickleValue[]): void {
  if (kv.length % 2 !== 0) throw pickleBad('SETITEMS with an odd number of items');
  let map: Map<PickleValue, PickleValue>;
  if (target instanceof Map) map = target;
  else if (target instanceof PickleObject) map = target.dictItems ??= new Map();
  else throw pickleBad('SETITEM on a non-dict');
  for (let i = 0; i < kv.length; i += 2) map.set(kv[i], kv[i + 1]);
}

/** APPEND(S)/ADDITEMS: extend a list or set (or record the items on an object). */
export function appendItems(target: PickleValue, items: PickleValue[]): void {
  if (Array.isArray(target)) for (const v of items) target.push(v);
  else if (target instanceof PickleObject) {
    // A loop, not push(...items): spreading a huge APPENDS into arguments overflows the stack.
    const list = (target.listItems ??= []);
    for (const v of items) list.push(v);
  }
  else if (target instanceof Set) for (const v of items) target.add(v);
  else throw pickleBad('APPEND on a non-list');
}
