import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { PickleGlobal, PickleObject, type PickleValue } from './pickle.js';
import { readCheckpoint, toPlain } from './pt.js';

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
