/**
 * Safe loading of Ultralytics/LeYOLO `.pt` checkpoints (torch.save zip + pickle) without executing
 * anything: the pickle is decoded into inert records (pickle.ts) and the module tree is walked like
 * `model.state_dict()` would. Browser-safe: no Node built-ins here (see node.ts for file loading).
 */
import { LeyoloError, guardSync } from '../errors.js';
import type { StateDict } from '../tensor.js';
import { LIMITS, boundedNumel, overLimit } from './limits.js';
import { PickleObject, unpickle, type PickleValue } from './pickle.js';
import { toPlain } from './plain.js';
import { isFloatDtype, readTensor, tensorRef, type TensorRef } from './storage.js';
import { checkBn, checkClasses, checkStride, checkWeights, type BnInfo } from './validate.js';
import { ZipArchive } from './zip.js';

export { toPlain } from './plain.js';
export type { BnInfo } from './validate.js';

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

/** Storage bytes by key, read (and CRC-checked) once each. */
class Storages {
  private readonly cache = new Map<string, Uint8Array>();
  private readonly little: boolean;
  constructor(
    private readonly zip: ZipArchive,
    private readonly prefix: string,
  ) {
    const boEntry = zip.entries.get(`${prefix}byteorder`);
    if (boEntry && boEntry.size > 16) throw bad('byteorder entry is too long');
    const bo = boEntry ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() : 'little';
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
  /** Module visits so far (a module shared by k paths counts k times). */
  visits: number;
  /** Tensor entries so far, float or not. */
  tensors: number;
  /** Float elements read so far. */
  elements: number;
}

/** Reads one state-dict entry, after the entry and element budgets are checked. */
function addTensor(key: string, value: PickleValue, w: Walk): void {
  if (++w.tensors > LIMITS.tensors) throw overLimit(`checkpoint has more than ${LIMITS.tensors} tensors (modules shared through many paths?)`);
  const ref = tensorRef(value);
  if (!ref) throw bad(`'${key}' is not a tensor`);
  if (!isFloatDtype(ref.dtype)) return;
  if (w.out.has(key)) throw bad(`duplicate state-dict entry '${key}'`);
  // Budget first, then the storage read and the allocation.
  w.elements += boundedNumel(ref.shape, LIMITS.tensorElements, `'${key}'`);
  if (w.elements > LIMITS.totalElements) throw overLimit(`checkpoint tensors hold more than ${LIMITS.totalElements} elements`);
  w.out.set(key, { shape: ref.shape, data: w.storages.tensor(ref) });
}

/**
 * Adds one module's parameters/buffers, then recurses into its children (state_dict order). The
 * recursion is at most LIMITS.moduleDepth deep and LIMITS.moduleVisits visits long: a DAG of shared
 * modules can have exponentially many paths, and PyTorch would list each of them.
 */
function walkModule(mod: PickleValue, prefix: string, w: Walk, depth: number): void {
  if (!(mod instanceof PickleObject) || !(mod.state instanceof Map)) throw bad(`module '${prefix || '<root>'}' has no state`);
  if (++w.visits > LIMITS.moduleVisits) throw overLimit(`checkpoint module tree has more than ${LIMITS.moduleVisits} module visits (modules shared through many paths?)`);
  if (depth > LIMITS.moduleDepth) throw overLimit(`checkpoint modules are nested more than ${LIMITS.moduleDepth} levels deep`);
  // A module may be shared (listed twice, as in PyTorch) but must not contain itself.
  if (w.path.has(mod)) throw bad(`module '${prefix}' contains itself`);
  w.path.add(mod);
  const nonPersistent = attr(mod, '_non_persistent_buffers_set');
  for (const group of ['_parameters', '_buffers']) {
    const tensors = attr(mod, group);
    if (!(tensors instanceof Map)) continue;
    for (const [name, value] of tensors) {
      if (value === null) continue;
      if (typeof name !== 'string') throw bad(`module '${prefix || '<root>'}' has a ${group.slice(1, -1)} whose name is not a string`);
      if (group === '_buffers' && nonPersistent instanceof Set && nonPersistent.has(name)) continue;
      addTensor(prefix + name, value, w);
    }
  }
  if (mod.$class.startsWith('torch.nn.modules.batchnorm.')) {
    const where = prefix.slice(0, -1);
    w.bn.set(where, checkBn(attr(mod, 'eps'), attr(mod, 'momentum'), where, bad));
  }
  const children = attr(mod, '_modules');
  if (children instanceof Map) {
    for (const [name, child] of children) {
      if (child === null) continue;
      if (typeof name !== 'string') throw bad(`module '${prefix || '<root>'}' has a child whose name is not a string`);
      walkModule(child, `${prefix}${name}.`, w, depth + 1);
    }
  }
  w.path.delete(mod);
}

/** Class names as an array: from a dict {0: 'person', ...} or a list (at most LIMITS.nc). */
function readNames(v: PickleValue | undefined): string[] {
  const size = Array.isArray(v) ? v.length : v instanceof Map ? v.size : -1;
  if (size < 0) throw bad('model has no class names');
  if (size > LIMITS.nc) throw overLimit(`model has ${size} class names, over the limit of ${LIMITS.nc}`);
  const isName = (x: PickleValue): x is string | number => typeof x === 'string' || typeof x === 'number';
  if (Array.isArray(v)) {
    if (!v.every(isName)) throw bad('model names are not strings');
    return v.map(String);
  }
  const names: string[] = [];
  for (const [k, name] of v as Map<PickleValue, PickleValue>) {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= size || !isName(name)) throw bad('model names are not {index: name}');
    names[k] = String(name);
  }
  if (Object.keys(names).length !== size) throw bad('model names have gaps');
  return names;
}

function readStride(v: PickleValue | undefined, storages: Storages): number[] {
  const ref = tensorRef(v ?? null);
  if (ref) {
    if (boundedNumel(ref.shape, LIMITS.strides, 'model stride') === 0) throw bad('model stride is empty');
    return checkStride(Array.from(storages.tensor(ref)), bad);
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return checkStride(v as number[], bad);
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
  const size = zip.entries.get(pkls[0])?.size ?? 0;
  if (size > LIMITS.pickleBytes) throw overLimit(`data.pkl is ${size} bytes, over the ${LIMITS.pickleBytes}-byte limit`);
  return pkls[0].slice(0, -'data.pkl'.length);
}

/** The model's yaml, names and nc, checked against each other and the limits. */
function readHeader(model: PickleObject): Pick<Checkpoint, 'yaml' | 'names' | 'nc'> {
  const yaml = toPlain(attr(model, 'yaml'));
  if (!yaml || typeof yaml !== 'object' || Array.isArray(yaml)) throw bad('model has no yaml layer table');
  const names = readNames(attr(model, 'names'));
  const yamlNc = (yaml as Record<string, unknown>).nc;
  const nc = checkClasses(typeof yamlNc === 'number' ? yamlNc : names.length, names, bad);
  return { yaml: yaml as Record<string, unknown>, names, nc };
}

function parse(bytes: Uint8Array): Checkpoint {
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
  // Small metadata first, so a hostile header fails before any tensor is read.
  const header = readHeader(model);
  const meta = readMeta(root);
  const storages = new Storages(zip, prefix);
  const w: Walk = { out: new Map(), bn: new Map(), storages, path: new Set(), visits: 0, tensors: 0, elements: 0 };
  walkModule(model, '', w, 0);
  const stride = readStride(attr(model, 'stride'), storages);
  checkWeights(w.out, bad);
  return { stateDict: w.out, nc: header.nc, names: header.names, stride, yaml: header.yaml, bn: w.bn, meta };
}

/**
 * Reads a `.pt` checkpoint from memory. Uses `ema` when present, else `model` (as Ultralytics).
 * Throws only LeyoloErrors: UNSAFE_PICKLE for foreign globals, BAD_CHECKPOINT for anything malformed
 * (bad offsets/strides, NaN weights, eps <= 0, ...), LIMIT_EXCEEDED past {@link LIMITS}.
 *
 * @example
 * const ck = readCheckpoint(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * ck.stateDict.get('model.0.c.weight'); // { shape: [16, 3, 3, 3], data: Float32Array }
 */
export function readCheckpoint(bytes: Uint8Array): Checkpoint {
  return guardSync('reading the checkpoint', () => parse(bytes));
}
