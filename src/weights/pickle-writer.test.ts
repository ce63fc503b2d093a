import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PickleObject, unpickle, type PickleValue } from './pickle.js';
import { pickleDump, PyExternal, PyFloat, PyObject, PyOrderedDict, PyTuple, type PyValue } from './pickle-writer.js';

const has = (bytes: Uint8Array, needle: string | number[]): boolean => {
  const n = typeof needle === 'string' ? Buffer.from(needle, 'latin1') : Buffer.from(needle);
  return Buffer.from(bytes).includes(n);
};

test('numbers, strings and containers read back equal (every int width, floats, unicode)', () => {
  const v: PyValue = [null, true, false, 0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1), 12345678901234567890n, -(2n ** 70n),
    0.5, -0, 1e-300, Infinity, NaN, 'str', 'ünï 🐇', '', new Map<PyValue, PyValue>([[0, 'a'], ['k', [1, 2]]]), new Set([3])];
  assert.deepEqual(unpickle(pickleDump(v)), v);
});

test('the wrappers: tuples, integral floats and OrderedDicts are written as Python writes them', () => {
  const p = pickleDump([new PyTuple([3, 3]), new PyFloat(2), new PyOrderedDict([['w', 1]]), new Map([['d', 1]])]);
  assert.deepEqual(unpickle(p), [[3, 3], 2, new Map([['w', 1]]), new Map([['d', 1]])]);
  assert.ok(has(p, [0x4b, 3, 0x4b, 3, 0x86]), 'TUPLE2');
  assert.ok(has(p, [0x47, 0x40, 0, 0, 0, 0, 0, 0, 0]), 'BINFLOAT 2.0');
  assert.ok(has(p, 'ccollections\nOrderedDict\n'), 'OrderedDict by GLOBAL + REDUCE');
  assert.ok(has(pickleDump(new Set([1])), 'c__builtin__\nset\n'), 'sets as set([...]) (protocol 2 has no set opcodes)');
  assert.equal(p[0], 0x80);
  assert.equal(p[1], 2);
  assert.ok(!has(p, [0x93]) && !has(p, [0x95]), 'no STACK_GLOBAL or FRAME (protocol 4)');
});

test('shared containers stay shared, and globals and strings are written once (memo)', () => {
  const shared = [1, 2];
  const back = unpickle(pickleDump([shared, shared, 'same', 'same'])) as PickleValue[];
  assert.equal(back[0], back[1]);
  const p = pickleDump([new PyOrderedDict(), new PyOrderedDict(), 'twice', 'twice']);
  assert.equal(Buffer.from(p).toString('latin1').split('OrderedDict').length - 1, 1);
  assert.equal(Buffer.from(p).toString('latin1').split('twice').length - 1, 1);
});

test('module instances use NEWOBJ + BUILD, functions and the namespace REDUCE', () => {
  const state = new Map<PyValue, PyValue>([['inplace', true]]);
  const p = pickleDump([
    new PyObject('torch.nn.modules.activation.SiLU', [], { state }),
    new PyObject('ultralytics.utils.IterableSimpleNamespace', [], { state: new Map([['imgsz', 640]]) }),
    new PyObject('torch.device', ['cpu']),
  ]);
  assert.ok(has(p, 'ctorch.nn.modules.activation\nSiLU\nq\x01)\x81'), 'SiLU: GLOBAL () NEWOBJ');
  assert.ok(has(p, 'cultralytics.utils\nIterableSimpleNamespace\nq'), 'namespace GLOBAL');
  const [silu, ns, dev] = unpickle(p) as PickleObject[];
  assert.equal(silu.$class, 'torch.nn.modules.activation.SiLU');
  assert.deepEqual(silu.state, new Map([['inplace', true]]));
  assert.deepEqual(ns.state, new Map([['imgsz', 640]]));
  assert.deepEqual(dev.args, ['cpu']);
});

test('persistent ids replace external objects (BINPERSID); one without an id is a bug', () => {
  class Storage extends PyExternal {}
  const s = new Storage();
  const p = pickleDump([s, s], { persistentId: (v) => (v instanceof Storage ? new PyTuple(['storage', 'k']) : undefined) });
  const back = unpickle(p) as PickleObject[];
  assert.equal(back[0].$class, '$persistent_id');
  assert.deepEqual(back[1].args, [['storage', 'k']]);
  assert.throws(() => pickleDump(s), { code: 'INTERNAL' });
});

test('long lists and dicts are batched by 1000 items (APPENDS/SETITEMS) and read back whole', () => {
  const list = Array.from({ length: 2501 }, (_, i) => i);
  const dict = new Map<PyValue, PyValue>(list.map((i) => [`k${i}`, i]));
  assert.deepEqual(unpickle(pickleDump([list, dict])), [list, dict]);
  const p = pickleDump(list);
  assert.equal(p.filter((b) => b === 0x65).length >= 3, true); // three APPENDS
});
