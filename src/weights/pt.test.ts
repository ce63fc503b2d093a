import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { LeyoloError } from '../errors.js';
import { PickleGlobal, PickleObject, type PickleValue } from './pickle.js';
import { readCheckpoint, toPlain } from './pt.js';
import { pickleDump, storedZip } from '../../tests/fuzz/gen/torch-file.js';

test('toPlain turns pickled containers into JSON and refuses cycles', () => {
  const ns = new PickleObject('ultralytics.utils.IterableSimpleNamespace', []);
  ns.state = new Map<PickleValue, PickleValue>([['imgsz', 640], ['half', false]]);
  const v = new Map<PickleValue, PickleValue>([[0, 'person'], ['t', [1, 2n ** 70n]], ['s', new Set([3])], ['ns', ns], ['g', new PickleGlobal('torch', 'Size')]]);
  assert.deepEqual(toPlain(v), { 0: 'person', t: [1, (2n ** 70n).toString()], s: [3], ns: { imgsz: 640, half: false }, g: { $class: 'torch.Size' } });
  const shared = [1];
  assert.deepEqual(toPlain([shared, shared]), [[1], [1]]); // shared, not cyclic
  const cyc: PickleValue[] = [];
  cyc.push(cyc);
  assert.throws(() => toPlain(cyc), { code: 'BAD_CHECKPOINT' });
});

test('zip without data.pkl, non-dict pickle, legacy format -> BAD_CHECKPOINT', () => {
  assert.throws(() => readCheckpoint(zipSync({ 'a/other': new Uint8Array(4) }, { level: 0 })), { code: 'BAD_CHECKPOINT' });
  assert.throws(() => readCheckpoint(zipSync({ 'a/data.pkl': new Uint8Array([0x80, 2, 0x4e, 0x2e]) }, { level: 0 })), /not a dict/);
  assert.throws(() => readCheckpoint(new Uint8Array([0x80, 2, 0x8a, 0x0a])), /legacy/);
});

// Hand-made torch.save files: a tiny model (one BatchNorm2d of 2 channels) written with the fuzz
// suite's pickle and zip writers, edited one field at a time.

const half = (xs: number[]): Uint8Array => {
  const table = new Map<number, number>([[1, 0x3c00], [2, 0x4000], [0.5, 0x3800], [-1, 0xbc00], [NaN, 0x7e00], [0, 0]]);
  const out = new Uint8Array(2 * xs.length);
  xs.forEach((x, i) => new DataView(out.buffer).setUint16(2 * i, table.get(x)!, true));
  return out;
};
const tensor = (key: string, n: number): PickleObject => new PickleObject('torch._utils._rebuild_tensor_v2', [
  new PickleObject('$persistent_id', [['storage', new PickleGlobal('torch', 'HalfStorage'), key, 'cpu', n]]), 0, [n], [1], false, new Map(),
]);
const record = (cls: string, state: [string, PickleValue][]): PickleObject => {
  const o = new PickleObject(cls, []);
  o.state = new Map<PickleValue, PickleValue>([['_parameters', new Map()], ['_buffers', new Map()], ['_modules', new Map()], ...state]);
  return o;
};

interface Tiny {
  root: Map<PickleValue, PickleValue>;
  model: PickleObject;
  bn: PickleObject;
  storages: Record<string, Uint8Array>;
}

function tiny(): Tiny {
  const bn = record('torch.nn.modules.batchnorm.BatchNorm2d', [['eps', 0.001], ['momentum', 0.03]]);
  (bn.state as Map<PickleValue, PickleValue>).set('_parameters', new Map([['weight', tensor('0', 2)], ['bias', tensor('1', 2)]]));
  (bn.state as Map<PickleValue, PickleValue>).set('_buffers', new Map([['running_mean', tensor('2', 2)], ['running_var', tensor('3', 2)]]));
  const yaml = new Map<PickleValue, PickleValue>([['nc', 2], ['backbone', [[-1, 1, 'x', []]]]]);
  const model = record('ultralytics.nn.tasks.DetectionModel', [['yaml', yaml], ['names', new Map([[0, 'a'], [1, 'b']])], ['stride', [8, 16, 32]]]);
  (model.state as Map<PickleValue, PickleValue>).set('_modules', new Map([['bn', bn]]));
  const storages = { '0': half([1, 2]), '1': half([0, 0.5]), '2': half([0, 0]), '3': half([1, 1]) };
  return { root: new Map<PickleValue, PickleValue>([['model', model], ['ema', null]]), model, bn, storages };
}

const bytesOf = (t: Tiny): Uint8Array =>
  storedZip([['t/data.pkl', pickleDump(t.root)], ...Object.entries(t.storages).map(([k, v]): [string, Uint8Array] => [`t/data/${k}`, v])]);
const set = (o: PickleObject, k: string, v: PickleValue): void => void (o.state as Map<PickleValue, PickleValue>).set(k, v);
const mods = (o: PickleObject): Map<PickleValue, PickleValue> => (o.state as Map<PickleValue, PickleValue>).get('_modules') as Map<PickleValue, PickleValue>;

function refused(code: string, edit: (t: Tiny) => void, mention?: RegExp): void {
  const t = tiny();
  edit(t);
  assert.throws(() => readCheckpoint(bytesOf(t)), (e: unknown) => e instanceof LeyoloError && e.code === code && (!mention || mention.test(e.message)));
}

test('the tiny hand-made checkpoint loads (control for the refusals below)', () => {
  const ck = readCheckpoint(bytesOf(tiny()));
  assert.deepEqual([...ck.stateDict.keys()], ['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var']);
  assert.deepEqual(Array.from(ck.stateDict.get('bn.weight')!.data), [1, 2]);
  assert.deepEqual(ck.bn.get('bn'), { eps: 0.001, momentum: 0.03 });
  assert.equal(ck.nc, 2);
  assert.deepEqual(ck.names, ['a', 'b']);
});

test('modules shared through exponentially many paths -> LIMIT_EXCEEDED, fast', () => {
  const t0 = performance.now();
  refused('LIMIT_EXCEEDED', (t) => {
    let node: PickleValue = t.bn;
    for (let i = 0; i < 30; i++) node = record('torch.nn.modules.container.Sequential', [['_modules', new Map([['a', node], ['b', node]])]]);
    mods(t.model).set('dag', node);
  });
  assert.ok(performance.now() - t0 < 5_000);
});

test('modules nested deeper than the limit -> LIMIT_EXCEEDED', () => {
  refused('LIMIT_EXCEEDED', (t) => {
    let node: PickleValue = t.bn;
    for (let i = 0; i < 100; i++) node = record('torch.nn.modules.container.Sequential', [['_modules', new Map([['x', node]])]]);
    mods(t.model).set('deep', node);
  }, /nested/);
});

test('more state-dict entries than the limit -> LIMIT_EXCEEDED', () => {
  refused('LIMIT_EXCEEDED', (t) => {
    const params = (t.bn.state as Map<PickleValue, PickleValue>).get('_parameters') as Map<PickleValue, PickleValue>;
    for (let i = 0; i < 20_000; i++) params.set(`w${i}`, tensor('0', 2));
  });
});

test('BatchNorm eps/momentum must be sane numbers', () => {
  for (const eps of [-1, 0, NaN, Infinity, 1e300, 1e-300, null, '1e-3']) refused('BAD_CHECKPOINT', (t) => set(t.bn, 'eps', eps), /eps/);
  for (const m of [2, -0.1, NaN, null]) refused('BAD_CHECKPOINT', (t) => set(t.bn, 'momentum', m));
});

test('non-finite weights and negative running variances -> BAD_CHECKPOINT', () => {
  refused('BAD_CHECKPOINT', (t) => void (t.storages['0'] = half([1, NaN])), /NaN/);
  refused('BAD_CHECKPOINT', (t) => void (t.storages['3'] = half([1, -1])), /variance/);
});

test('class count and names are bounded and consistent', () => {
  refused('LIMIT_EXCEEDED', (t) => void ((t.model.state as Map<PickleValue, PickleValue>).get('yaml') as Map<PickleValue, PickleValue>).set('nc', 1e9));
  refused('BAD_CHECKPOINT', (t) => void ((t.model.state as Map<PickleValue, PickleValue>).get('yaml') as Map<PickleValue, PickleValue>).set('nc', 3));
  refused('LIMIT_EXCEEDED', (t) => set(t.model, 'names', Array(20_000).fill('x')));
  refused('BAD_CHECKPOINT', (t) => set(t.model, 'names', new Map([[0, 'a'], [1e9, 'b']])));
  refused('BAD_CHECKPOINT', (t) => set(t.model, 'names', [['nested'], 'b']));
});

test('duplicate state-dict keys and bad strides -> BAD_CHECKPOINT', () => {
  refused('BAD_CHECKPOINT', (t) => void ((t.model.state as Map<PickleValue, PickleValue>).get('_parameters') as Map<PickleValue, PickleValue>).set('bn.weight', tensor('0', 2)), /duplicate/);
  refused('BAD_CHECKPOINT', (t) => set(t.model, 'stride', [8, NaN]));
  refused('BAD_CHECKPOINT', (t) => set(t.model, 'stride', []));
});

test('toPlain bounds depth and size, and keeps keys such as __proto__ as plain data', () => {
  let deep: PickleValue = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.throws(() => toPlain(deep), { code: 'LIMIT_EXCEEDED' });
  let dag: PickleValue = [1];
  for (let i = 0; i < 40; i++) dag = [dag, dag];
  const t0 = performance.now();
  assert.throws(() => toPlain(dag), { code: 'LIMIT_EXCEEDED' }); // 2^40 paths: refused, not walked
  assert.ok(performance.now() - t0 < 5_000);
  const o = toPlain(new Map<PickleValue, PickleValue>([['__proto__', new Map([['polluted', true]])]])) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__']);
});
