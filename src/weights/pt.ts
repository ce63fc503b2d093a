/**
 * Safe loading of Ultralytics/LeYOLO `.pt` checkpoints (torch.save zip + pickle) without executing
 * anything: the pickle is decoded into inert records (pickle.ts) and the module tree is walked like
 * `model.state_dict()` would. Browser-safe: no Node built-ins here (see node.ts for file loading).
 */
import { LeyoloError } from '../errors.js';
import type { StateDict } from '../tensor.js';
import { PickleGlobal, PickleObject, unpickle, type PickleValue } from './pickle.js';
import { isFloatDtype, readTensor, tensorRef, type TensorRef } from './storage.js';
import { ZipArchive } from './zip.js';

/** BatchNorm hyper-parameters read from a pickled `BatchNorm2d`. */
export interface BnInfo {
  eps: number;
  momentum: number;
}

/** Everything leyolo needs from a checkpoint. */
export interface Checkpoint {
  /** Float tensors (fp16 upcast exactly), named as PyTorch's `model.state_dict()`. */
  stateDict: StateDict;
  nc: number;
  names: string[];
  /** Strides of the detection levels, e.g. [8, 16, 32]. */
  stride: number[];
  /** The model's own layer table (`model.yaml`) as plain JSON. */
  yaml: Record<string, unknown>;
  /** BatchNorm module prefix (e.g. 'model.0.bn') -> eps/momentum. */
  bn: Map<string, BnInfo>;
  meta: { epoch?: number; date?: string; version?: string; trainArgs?: Record<string, unknown> };
}

function bad(message: string): LeyoloError {
  return new LeyoloError('BAD_CHECKPOINT', message, 'expected an Ultralytics/LeYOLO detection checkpoint (.pt written by torch.save)');
}

/** Reads attribute `key` of a pickled object (its `__dict__` state) or a dict. */
function attr(v: PickleValue | undefined, key: string): PickleValue | undefined {
  if (v instanceof PickleObject) return v.state instanceof Map ? v.state.get(key) : undefined;
  if (v instanceof Map) return v.get(key);
  return undefined;
}

/**
 * Plain JSON view of a pickled value: dicts -> objects, tuples/sets -> arrays, records -> their state.
 *
 * @example
 * toPlain(attr(model, 'yaml')); // { nc: 80, scales: {...}, backbone: [...], head: [...] }
 */
export function toPlain(v: PickleValue | undefined, ancestors: Set<object> = new Set()): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return Array.from(v);
  if (v instanceof PickleGlobal) return { $class: v.$class };
  // Pickles can be cyclic (memo references); JSON cannot.
  if (ancestors.has(v)) throw bad('cyclic value where plain data was expected');
  ancestors.add(v);
  let out: unknown;
  if (Array.isArray(v) || v instanceof Set) out = [...v].map((x) => toPlain(x, ancestors));
  else if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of v) o[String(toPlain(k, ancestors))] = toPlain(val, ancestors);
    out = o;
  } else out = v.state instanceof Map ? toPlain(v.state, ancestors) : { $class: v.$class };
  ancestors.delete(v);
  return out;
}

/** Storage bytes by key, read (and CRC-checked) once each. */
class Storages {
  private readonly cache = new Map<string, Uint8Array>();
  private readonly little: boolean;
  constructor(
    private readonly zip: ZipArchive,
    private readonly prefix: string,
  ) {
    const bo = zip.has(`${prefix}byteorder`) ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() : 'little';
    if (bo !== 'little' && bo !== 'big') throw bad(`unknown byteorder '${bo}'`);
    this.little = bo === 'little';
  }
  tensor(ref: TensorRef): Float32Array {
    let bytes = this.cache.get(ref.key);
    if (!bytes) {
      bytes = this.zip.read(`${this.prefix}data/${ref.key}`);
      this.cache.set(ref.key, bytes);
    }
    return readTensor(ref, bytes, this.little);
  }
}

interface Walk {
  out: StateDict;
  bn: Map<string, BnInfo>;
  storages: Storages;
  /** Modules on the current recursion path (cycle guard). */
  path: Set<PickleObject>;
}

/** Adds one module's parameters/buffers, then recurses into its children (state_dict order). */
function walkModule(mod: PickleValue, prefix: string, w: Walk): void {
  if (!(mod instanceof PickleObject) || !(mod.state instanceof Map)) throw bad(`module '${prefix || '<root>'}' has no state`);
  // A module may be shared (listed twice, as in PyTorch) but must not contain itself.
  if (w.path.has(mod)) throw bad(`module '${prefix}' contains itself`);
  w.path.add(mod);
  const nonPersistent = attr(mod, '_non_persistent_buffers_set');
  for (const group of ['_parameters', '_buffers']) {
    const tensors = attr(mod, group);
    if (!(tensors instanceof Map)) continue;
    for (const [name, value] of tensors) {
      if (value === null || typeof name !== 'string') continue;
      if (group === '_buffers' && nonPersistent instanceof Set && nonPersistent.has(name)) continue;
      const ref = tensorRef(value);
      if (!ref) throw bad(`'${prefix}${name}' is not a tensor`);
      if (isFloatDtype(ref.dtype)) w.out.set(prefix + name, { shape: ref.shape, data: w.storages.tensor(ref) });
    }
  }
  if (mod.$class.startsWith('torch.nn.modules.batchnorm.')) {
    const eps = attr(mod, 'eps');
    const momentum = attr(mod, 'momentum');
    if (typeof eps !== 'number' || typeof momentum !== 'number') throw bad(`BatchNorm '${prefix}' lacks eps/momentum`);
    w.bn.set(prefix.slice(0, -1), { eps, momentum });
  }
  const children = attr(mod, '_modules');
  if (children instanceof Map) {
    for (const [name, child] of children) if (child !== null) walkModule(child, `${prefix}${String(name)}.`, w);
  }
  w.path.delete(mod);
}

/** Class names as an array: from a dict {0: 'person', ...} or a list. */
function readNames(v: PickleValue | undefined): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (!(v instanceof Map)) throw bad('model has no class names');
  const names: string[] = [];
  for (const [k, name] of v) {
    if (typeof k !== 'number' || k < 0 || typeof name !== 'string') throw bad('model names are not {index: name}');
    names[k] = name;
  }
  if (names.length !== v.size) throw bad('model names have gaps');
  return names;
}

function readStride(v: PickleValue | undefined, storages: Storages): number[] {
  const ref = tensorRef(v ?? null);
  if (ref) return Array.from(storages.tensor(ref));
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  throw bad('model has no stride');
}

function readMeta(root: Map<PickleValue, PickleValue>): Checkpoint['meta'] {
  const meta: Checkpoint['meta'] = {};
  const epoch = root.get('epoch');
  const date = root.get('date');
  const version = root.get('version');
  const args = toPlain(root.get('train_args'));
  if (typeof epoch === 'number') meta.epoch = epoch;
  if (typeof date === 'string') meta.date = date;
  if (typeof version === 'string') meta.version = version;
  if (args && typeof args === 'object' && !Array.isArray(args)) meta.trainArgs = args as Record<string, unknown>;
  return meta;
}

/** Finds `<prefix>data.pkl`; torch names the top folder after the file (archive/, best/, ...). */
function findPickle(zip: ZipArchive): string {
  const pkls = zip.names().filter((n) => n.endsWith('data.pkl') && n.split('/').length === 2);
  if (pkls.length !== 1) throw bad(pkls.length === 0 ? 'no data.pkl in the zip (not a torch.save file)' : 'several data.pkl entries in the zip');
  return pkls[0].slice(0, -'data.pkl'.length);
}

/**
 * Reads a `.pt` checkpoint from memory. Uses `ema` when present, else `model` (as Ultralytics).
 * Throws UNSAFE_PICKLE for foreign globals, BAD_CHECKPOINT for anything malformed.
 *
 * @example
 * const ck = readCheckpoint(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * ck.stateDict.get('model.0.c.weight'); // { shape: [16, 3, 3, 3], data: Float32Array }
 */
export function readCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length >= 2 && bytes[0] === 0x80) {
    throw bad('legacy (pre-zip) torch.save format is not supported; re-save it with torch >= 1.6');
  }
  const zip = new ZipArchive(bytes);
  const prefix = findPickle(zip);
  const root = unpickle(zip.read(`${prefix}data.pkl`));
  if (!(root instanceof Map)) throw bad('checkpoint pickle is not a dict');
  const ema = root.get('ema');
  const model = ema !== undefined && ema !== null ? ema : root.get('model');
  if (!(model instanceof PickleObject)) throw bad("checkpoint has neither 'ema' nor 'model'");
  const storages = new Storages(zip, prefix);
  const w: Walk = { out: new Map(), bn: new Map(), storages, path: new Set() };
  walkModule(model, '', w);
  const yaml = toPlain(attr(model, 'yaml'));
  if (!yaml || typeof yaml !== 'object' || Array.isArray(yaml)) throw bad('model has no yaml layer table');
  const names = readNames(attr(model, 'names'));
  const yamlNc = (yaml as Record<string, unknown>).nc;
  const nc = typeof yamlNc === 'number' ? yamlNc : names.length;
  if (nc !== names.length) throw bad(`model has nc=${nc} but ${names.length} class names`);
  return { stateDict: w.out, nc, names, stride: readStride(attr(model, 'stride'), storages), yaml: yaml as Record<string, unknown>, bn: w.bn, meta: readMeta(root) };
}
