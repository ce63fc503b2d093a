/**
 * Hostile edits of the official Nano checkpoint: its pickle is decoded to a tree, one thing is
 * changed (a tensor's offset, a BatchNorm eps, the class count, a module DAG, ...) and the file is
 * written again with valid CRCs, so that only the edit can be what the loader refuses.
 */
import { readWeights } from '../../../src/weights/index.js';
import { modelOfCheckpoint } from '../../../src/model/from-checkpoint.js';
import { PickleGlobal, PickleObject, type PickleValue } from '../../../src/weights/pickle.js';
import { attr, Bytes, cat, freshRoot, moduleAt, op, Raw, setAttr, tensorRecord, torchParts, torchZip, type DumpValue, type TorchParts } from './torch-file.js';
import { BAD, BAD_OR_LIMIT, LIMIT, OK, UNSAFE, assertSameCheckpoint, assertSaneCheckpoint, err, nano } from './weights-common.js';
import type { Expect, FuzzCase } from '../types.js';

type Root = Map<PickleValue, PickleValue>;
/** Edits `root` in place, or returns a replacement pickle and/or zip entries to override. */
type Edit = (root: Root, parts: TorchParts) => void | { root?: DumpValue | Uint8Array; extra?: Record<string, Uint8Array | null> };
type Check = 'same' | 'sane' | 'model';

let parts: TorchParts | undefined;
const partsOf = (shared: string): TorchParts => (parts ??= torchParts(nano(shared).pt));

/** Cases that take about a second (hundreds of MB, or 100k-deep structures at the work limit). */
const SLOW = new Set(['tensor-param-wrapper-chain-100k', 'module-chain-100k', 'module-total-elements-over-2^26']);

function edit(name: string, expect: Expect, fn: Edit, check: Check = 'sane'): FuzzCase {
  return {
    family: 'checkpoint', name: `nano-${name}`, expect, slow: SLOW.has(name),
    run: async (ctx) => {
      const p = partsOf(ctx.shared);
      const root = freshRoot(p);
      const r = fn(root, p) ?? {};
      const ck = readWeights(torchZip(p, r.root ?? root, r.extra));
      assertSaneCheckpoint(ck);
      if (check === 'same') assertSameCheckpoint(ck, nano(ctx.shared).ck);
      if (check === 'model') modelOfCheckpoint(ck);
    },
  };
}

/** `open` n times, then `close` n times: n-deep nesting in ~n * (open + close) bytes. */
function nest(open: Uint8Array, inner: Uint8Array, close: Uint8Array, n: number): Raw {
  return new Raw(new Bytes(n * (open.length + close.length) + inner.length).repeat(open, n).add(inner).repeat(close, n).bytes());
}
const b = (...xs: (number | Uint8Array)[]): Uint8Array => cat(xs);
const DEEP = 100_000;

/** The model.0.c weight record (fp16 [16, 3, 3, 3], strides [27, 9, 3, 1], storage of 864 bytes). */
const w0 = (root: Root): PickleObject => tensorRecord(root, 'model.0.c', '_parameters', 'weight');
const setTensor = (i: 1 | 2 | 3, v: DumpValue) => (root: Root): void => void ((w0(root).args as DumpValue[])[i] = v);
const storageKey = (t: PickleObject): string => ((t.args[0] as PickleObject).args[0] as PickleValue[])[2] as string;

function tensorCases(): FuzzCase[] {
  const c: [string, Expect, Edit][] = [
    ['stride0-2^29', LIMIT, (r) => ((w0(r).args as DumpValue[]).splice(2, 2, [2 ** 29], [0]), undefined)],
    ['stride0-more-than-storage', BAD, (r) => ((w0(r).args as DumpValue[]).splice(2, 2, [2 ** 20], [0]), undefined)],
    ['1e12-elements', LIMIT, (r) => ((w0(r).args as DumpValue[]).splice(2, 2, [1e6, 1e6], [1e6, 1]), undefined)],
    ['offset-negative', BAD, setTensor(1, -1)],
    ['offset-nan', BAD, setTensor(1, NaN)],
    ['offset-float', BAD, setTensor(1, 1.5)],
    ['offset-2^53', BAD, setTensor(1, 2 ** 53)],
    ['offset-2^52', BAD, setTensor(1, 2 ** 52)],
    ['offset-bigint', BAD, setTensor(1, 2n ** 70n)],
    ['offset-string', BAD, setTensor(1, '0')],
    ['offset-past-end', BAD, setTensor(1, 1000)],
    ['size-negative', BAD, setTensor(2, [16, 3, 3, -3])],
    ['size-float', BAD, setTensor(2, [16, 3, 3, 1.5])],
    ['size-nan', BAD, setTensor(2, [16, 3, 3, NaN])],
    ['size-bigint', BAD, setTensor(2, [2n ** 70n, 3, 3, 3])],
    ['size-not-tuple', BAD, setTensor(2, 432)],
    ['rank-9', LIMIT, (r) => ((w0(r).args as DumpValue[]).splice(2, 2, Array(9).fill(1), Array(9).fill(1)), undefined)],
    ['rank-1000', LIMIT, (r) => ((w0(r).args as DumpValue[]).splice(2, 2, Array(1000).fill(1), Array(1000).fill(1)), undefined)],
    ['stride-float', BAD, setTensor(3, [27, 9, 3, 0.5])],
    ['stride-negative', BAD, setTensor(3, [27, 9, 3, -1])],
    ['stride-huge', BAD, setTensor(3, [2 ** 52, 9, 3, 1])],
    ['size-stride-rank-differ', BAD, setTensor(3, [27, 9, 3])],
    ['storage-missing', BAD, (r) => void (((w0(r).args[0] as PickleObject).args[0] as PickleValue[])[2] = '99999')],
    ['storage-key-not-string', BAD, (r) => void (((w0(r).args[0] as PickleObject).args[0] as PickleValue[])[2] = 7)],
    ['storage-pid-not-tuple', BAD, (r) => void ((w0(r).args[0] as PickleObject).args[0] = 'storage')],
    ['storage-type-unknown', UNSAFE, (r) => void (((w0(r).args[0] as PickleObject).args[0] as PickleValue[])[1] = new PickleGlobal('torch', 'FooStorage'))],
    ['storage-type-float-on-half-bytes', BAD, (r) => void (((w0(r).args[0] as PickleObject).args[0] as PickleValue[])[1] = new PickleGlobal('torch', 'FloatStorage'))],
    ['param-not-tensor', BAD, (r) => void (attr(moduleAt(r, 'model.0.c'), '_parameters') as Map<PickleValue, PickleValue>).set('weight', 'hello')],
    ['param-wrapper-chain-100k', BAD_OR_LIMIT, (r) => void (attr(moduleAt(r, 'model.0.c'), '_parameters') as Map<PickleValue, DumpValue>).set('weight',
      nest(b(op.global('torch._utils', '_rebuild_parameter'), 0x28), b(0x4e), b(0x89, 0x7d, 0x74, 0x52), DEEP))],
  ];
  const out = c.map(([n, e, f]) => edit(`tensor-${n}`, e, f));
  // Valid but different views: they load; the model check then names the mismatch (or accepts it).
  out.push(edit('tensor-smaller-view', err('MODEL_MISMATCH'), setTensor(2, [8, 3, 3, 3]), 'model'));
  out.push(edit('tensor-long-storage', err('MODEL_MISMATCH'), (r) => void (((w0(r).args[0] as PickleObject).args[0] as PickleValue[])[1] = new PickleGlobal('torch', 'LongStorage')), 'model'));
  out.push(edit('tensor-transposed-view', OK, setTensor(3, [1, 16, 48, 144]), 'model'));
  return out;
}

/** The module at `path` with its class and state, but shared children `kids` (a DAG). */
function container(kids: Map<PickleValue, PickleValue>, like: PickleObject): PickleObject {
  const m = new PickleObject(like.$class, []);
  m.state = new Map(like.state as Root);
  m.state.set('_modules', kids);
  m.state.set('_parameters', new Map());
  m.state.set('_buffers', new Map());
  return m;
}

function moduleCases(): FuzzCase[] {
  const c: [string, Expect, Edit][] = [
    // 2^18 paths to one real conv module through a binary DAG of shared modules.
    ['dag-binary-2^18', LIMIT, (r) => {
      const seq = moduleAt(r, 'model');
      let node: PickleValue = moduleAt(r, 'model.0');
      for (let i = 0; i < 18; i++) node = container(new Map([['a', node], ['b', node]]), seq);
      (attr(seq, '_modules') as Root).set('dag', node);
    }],
    // The tester's shape: 60 x 60 x 60 = 216,000 paths.
    ['dag-60^3', LIMIT, (r) => {
      const seq = moduleAt(r, 'model');
      let node: PickleValue = moduleAt(r, 'model.0');
      for (let i = 0; i < 3; i++) node = container(new Map(Array.from({ length: 60 }, (_, j) => [String(j), node])), seq);
      (attr(seq, '_modules') as Root).set('dag', node);
    }],
    ['self-cycle', BAD, (r) => void (attr(moduleAt(r, 'model.0'), '_modules') as Root).set('loop', moduleAt(r, 'model.0'))],
    ['chain-500', LIMIT, (r) => {
      let node = moduleAt(r, 'model.0');
      for (let i = 0; i < 500; i++) node = container(new Map([['x', node]]), moduleAt(r, 'model'));
      (attr(moduleAt(r, 'model'), '_modules') as Root).set('chain', node);
    }],
    ['chain-100k', LIMIT, (r) => void (attr(moduleAt(r, 'model'), '_modules') as Map<PickleValue, DumpValue>).set('chain', nest(
      b(op.global('torch.nn.modules.container', 'Sequential'), 0x29, 0x81, 0x7d, op.str('_modules'), 0x7d, op.str('0')),
      b(op.global('torch.nn.modules.container', 'Sequential'), 0x29, 0x81, 0x7d, 0x62), b(0x73, 0x73, 0x62), DEEP))],
    ['not-a-module', BAD, (r) => void (attr(moduleAt(r, 'model'), '_modules') as Root).set('0', 5)],
    ['child-name-not-string', BAD, (r) => void (attr(moduleAt(r, 'model'), '_modules') as Root).set(5, moduleAt(r, 'model.1'))],
    ['20k-params', LIMIT, (r) => {
      const params = attr(moduleAt(r, 'model.0.c'), '_parameters') as Root;
      const wt = params.get('weight')!;
      for (let i = 0; i < 20_000; i++) params.set(`w${i}`, wt);
    }],
    ['duplicate-key', BAD, (r) => void (attr(moduleAt(r, 'model.0'), '_parameters') as Root).set('c.weight', (attr(moduleAt(r, 'model.0.c'), '_parameters') as Root).get('weight')!)],
    ['total-elements-over-2^26', LIMIT, (r, p) => {
      // 17 views of 2^22 elements over one 8 MiB storage: each fits, together they pass 2^26.
      const params = attr(moduleAt(r, 'model.0.c'), '_parameters') as Map<PickleValue, DumpValue>;
      for (let i = 0; i < 17; i++) {
        const pid = ['storage', new PickleGlobal('torch', 'HalfStorage'), 'big', 'cpu', 2 ** 22];
        params.set(`big${i}`, new PickleObject('torch._utils._rebuild_tensor_v2', [new PickleObject('$persistent_id', [pid]), 0, [2 ** 22], [1], false, new Map()]));
      }
      return { extra: { [`${p.prefix}data/big`]: new Uint8Array(2 ** 23) } };
    }],
    ['ema-not-a-module', BAD, (r) => void r.set('ema', 5)],
    ['root-not-a-dict', BAD, () => ({ root: [1, 2, 3] })],
    ['unsafe-model-class', UNSAFE, (r) => {
      const m = moduleAt(r, '');
      const evil = new PickleObject('builtins.eval', []);
      evil.state = m.state;
      r.set('model', evil);
    }],
    ['unsafe-in-train-args', UNSAFE, (r) => void (r as Map<PickleValue, DumpValue>).set('train_args', new Raw(b(op.global('os', 'system'), op.str('echo pwned'), 0x85, 0x52)))],
    ['unsafe-storage-class', UNSAFE, (r) => void (((w0(r).args[0] as PickleObject).args[0] as PickleValue[])[1] = new PickleGlobal('posix', 'system'))],
  ];
  return c.map(([n, e, f]) => edit(`module-${n}`, e, f));
}

/** Overwrites fp16 value `i` of the storage of `t` with `half` (fresh CRC): a valid file with other data. */
function storageEdit(t: (r: Root) => PickleObject, i: number, half: number): Edit {
  return (r, p) => {
    const key = `${p.prefix}data/${storageKey(t(r))}`;
    const s = Uint8Array.from(p.entries.get(key)!);
    s[2 * i] = half & 0xff;
    s[2 * i + 1] = half >> 8;
    return { extra: { [key]: s } };
  };
}

function bnCases(): FuzzCase[] {
  const bn = (k: string, v: DumpValue): Edit => (r) => setAttr(moduleAt(r, 'model.0.bn'), k, v);
  const rv = (r: Root): PickleObject => tensorRecord(r, 'model.0.bn', '_buffers', 'running_var');
  const c: [string, Expect, Edit][] = [
    ['eps-negative', BAD, bn('eps', -1)], ['eps-zero', BAD, bn('eps', 0)], ['eps-nan', BAD, bn('eps', NaN)],
    ['eps-inf', BAD, bn('eps', Infinity)], ['eps-1e300', BAD, bn('eps', 1e300)], ['eps-1e-300', BAD, bn('eps', 1e-300)],
    ['eps-string', BAD, bn('eps', '0.001')], ['eps-none', BAD, bn('eps', null)],
    ['momentum-2', BAD, bn('momentum', 2)], ['momentum-negative', BAD, bn('momentum', -0.1)], ['momentum-nan', BAD, bn('momentum', NaN)],
    ['momentum-none', BAD, bn('momentum', null)],
    ['running-var-negative', BAD, storageEdit(rv, 3, 0xbc00)], // -1.0 in fp16
    ['weight-nan', BAD, storageEdit(w0, 5, 0x7e00)],
    ['weight-inf', BAD, storageEdit(w0, 0, 0x7c00)],
    ['weight-neg-inf', BAD, storageEdit(w0, 431, 0xfc00)],
  ];
  return c.map(([n, e, f]) => edit(`bn-${n}`, e, f));
}

/** Sets yaml[k] to `v()` (built when the case runs: hostile values can be megabytes). */
const setYaml = (k: string, v: () => DumpValue): Edit => (r) => void (attr(moduleAt(r, ''), 'yaml') as Map<PickleValue, DumpValue>).set(k, v());
/** A list holding itself 2^depth times through shared references (a few bytes with memo). */
function dagList(depth: number): PickleValue[] {
  let a: PickleValue[] = [1];
  for (let i = 0; i < depth; i++) a = [a, a];
  return a;
}

function headerCases(): FuzzCase[] {
  const names = (v: () => DumpValue): Edit => (r) => setAttr(moduleAt(r, ''), 'names', v());
  const manyNames = (): Raw => new Raw(b(0x5d, op.str('a'), op.put(1_000_000), 0x30, 0x28, new Bytes().repeat(op.get(1_000_000), 100_000).bytes(), 0x65));
  const c: [string, Expect, Edit][] = [
    ['nc-1e9', LIMIT, setYaml('nc', () => 1e9)], ['nc-0', BAD, setYaml('nc', () => 0)], ['nc-81', BAD, setYaml('nc', () => 81)],
    ['nc-float', BAD, setYaml('nc', () => 1.5)], ['nc-negative', BAD, setYaml('nc', () => -1)], ['nc-nan', BAD, setYaml('nc', () => NaN)],
    ['names-100k', LIMIT, names(manyNames)],
    ['names-key-1e9', BAD, names(() => new Map<PickleValue, PickleValue>([[1e9, 'x']]))],
    ['names-key-string', BAD, (r) => void (attr(moduleAt(r, ''), 'names') as Root).set('x', 'y')],
    ['names-nested-100k', BAD, names(() => new Raw(b(0x5d, nest(b(0x5d), b(0x5d), b(0x61), DEEP).bytes, 0x61)))],
    ['names-empty', BAD, names(() => [])],
    ['names-none', BAD, names(() => null)],
    ['yaml-deep-100k', LIMIT, setYaml('backbone', () => nest(b(0x5d), b(0x5d), b(0x61), DEEP))],
    ['yaml-deep-300', LIMIT, setYaml('head', () => (() => { let a: PickleValue[] = []; for (let i = 0; i < 300; i++) a = [a]; return a; })())],
    ['yaml-dag-2^40', LIMIT, setYaml('backbone', () => dagList(40))],
    ['yaml-cycle', BAD, (r) => { const y = attr(moduleAt(r, ''), 'yaml') as Root; (y.get('backbone') as PickleValue[]).push(y); }],
    ['yaml-not-a-dict', BAD, (r) => setAttr(moduleAt(r, ''), 'yaml', 5)],
    ['train-args-deep-100k', LIMIT, (r) => void (r as Map<PickleValue, DumpValue>).set('train_args', nest(b(0x7d, op.str('a')), b(0x4e), b(0x73), DEEP))],
    ['train-args-dag-2^30', LIMIT, (r) => void r.set('train_args', new Map([['x', dagList(30)]]))],
    ['train-args-2MB-bytes', LIMIT, (r) => void r.set('train_args', new Map([['x', new Uint8Array(2 << 20)]]))],
    ['stride-nan', BAD, (r) => setAttr(moduleAt(r, ''), 'stride', [8, 16, NaN])],
    ['stride-empty', BAD, (r) => setAttr(moduleAt(r, ''), 'stride', [])],
    ['stride-100', BAD, (r) => setAttr(moduleAt(r, ''), 'stride', Array(100).fill(8))],
    ['stride-string', BAD, (r) => setAttr(moduleAt(r, ''), 'stride', 'x')],
    ['stride-tensor-1000', BAD_OR_LIMIT, (r) => { const t = attr(moduleAt(r, ''), 'stride') as PickleObject; (t.args as DumpValue[]).splice(2, 2, [1000], [0]); }],
    ['byteorder-middle', BAD, (_r, p) => ({ extra: { [`${p.prefix}byteorder`]: new TextEncoder().encode('middle') } })],
    ['byteorder-1MB', BAD, (_r, p) => ({ extra: { [`${p.prefix}byteorder`]: new Uint8Array(1 << 20).fill(0x20) } })],
  ];
  const out = c.map(([n, e, f]) => edit(n, e, f));
  // Unusual but fine: a '__proto__' key in the yaml stays plain data; a huge APPENDS onto an inert record.
  out.push({
    family: 'checkpoint', name: 'nano-yaml-proto-key-no-pollution', expect: OK,
    run: async (ctx) => {
      const p = partsOf(ctx.shared);
      const root = freshRoot(p);
      (attr(moduleAt(root, ''), 'yaml') as Root).set('__proto__', new Map([['polluted', true]]));
      const ck = readWeights(torchZip(p, root));
      if (Object.getPrototypeOf(ck.yaml) !== Object.prototype || 'polluted' in {}) throw new Error('prototype changed');
      modelOfCheckpoint(ck);
    },
  });
  out.push(edit('appends-200k-on-record', OK, (r) => void (r as Map<PickleValue, DumpValue>).set('extra', new Raw(b(op.global('ultralytics.utils', 'Thing'), 0x29, 0x81, 0x28,
    new Bytes().repeat(b(0x4b, 1), 200_000).bytes(), 0x65))), 'same'));
  out.push(edit('byteorder-big', { kind: 'either', codes: ['BAD_CHECKPOINT'] }, (_r, p) => ({ extra: { [`${p.prefix}byteorder`]: new TextEncoder().encode('big') } })));
  out.push(edit('rewritten-unchanged', OK, () => undefined, 'same'));
  return out;
}

/** Every hand-written edit of the official Nano (each runs in ~0.1-0.5 s). */
export function nanoEditCases(): FuzzCase[] {
  return [...tensorCases(), ...moduleCases(), ...bnCases(), ...headerCases()];
}
