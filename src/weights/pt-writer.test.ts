/**
 * writeCheckpoint on made-up models (no ../shared needed): read back by our reader, the torch.save
 * zip layout, reproducibility, and refusals. tests/pt-roundtrip.test.ts compares with the official files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f32ToF16Bits } from '../export/f16.js';
import { resolveModel } from '../model/resolve.js';
import { defaultBn, randomStateDict } from '../model/random-weights.js';
import { yamlOfScale } from '../model/yaml.js';
import type { ScaleName } from '../model/table.js';
import { PickleObject, unpickle, type PickleValue } from './pickle.js';
import { readCheckpoint, type Checkpoint } from './pt.js';
import { isoNow, writeCheckpoint } from './pt-writer.js';
import { halfToFloatTable } from './storage.js';
import { ZipArchive } from './zip.js';

function made(scale: ScaleName, nc: number): Checkpoint {
  const m = resolveModel({ scale, nc });
  const stateDict = randomStateDict(m, 3);
  return { stateDict, nc, names: Array.from({ length: nc }, (_, i) => `c${i}`), stride: m.strides, yaml: yamlOfScale(scale, nc), bn: defaultBn(stateDict), meta: {} };
}

const DATE = '2026-01-02T03:04:05.678901';

test('a made-up model reads back: weights rounded to fp16 exactly, names, nc, strides, yaml, BatchNorm, meta', () => {
  const ck = made('nano', 3);
  const back = readCheckpoint(writeCheckpoint(ck, { date: DATE }));
  const half = halfToFloatTable();
  assert.deepEqual([...back.stateDict.keys()].sort(), [...ck.stateDict.keys()].sort());
  for (const [k, t] of ck.stateDict) {
    const got = back.stateDict.get(k)!;
    assert.deepEqual(got.shape, t.shape, k);
    // fp16 storage, as the official files: each value is float16(x) rounded to nearest even.
    assert.deepEqual(got.data, t.data.map((x) => half[f32ToF16Bits(x)]), k);
  }
  assert.equal(back.nc, 3);
  assert.deepEqual(back.names, ['c0', 'c1', 'c2']);
  assert.deepEqual(back.stride, [8, 16, 32]);
  assert.deepEqual(back.yaml, yamlOfScale('nano', 3));
  assert.deepEqual(back.bn, ck.bn);
  assert.deepEqual(back.meta, { epoch: -1, date: DATE, version: '8.1.4', trainArgs: { task: 'detect', mode: 'train', model: 'leyolonano.yaml', imgsz: 640, single_cls: false } });
});

test('the torch.save layout: entry order, 64-byte alignment, byteorder and version records, storage keys in pickle order', () => {
  const bytes = writeCheckpoint(made('small', 2), { name: 'best', date: DATE });
  const zip = new ZipArchive(bytes);
  const names = zip.names();
  const storages = names.filter((n) => n.startsWith('best/data/'));
  assert.deepEqual(names, ['best/data.pkl', 'best/byteorder', ...storages.map((_, i) => `best/data/${i}`), 'best/version']);
  assert.equal(new TextDecoder().decode(zip.read('best/version')), '3\n');
  assert.equal(new TextDecoder().decode(zip.read('best/byteorder')), 'little');
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  for (const n of names) {
    const h = zip.entries.get(n)!.localHeaderOffset;
    assert.equal((h + 30 + v.getUint16(h + 26, true) + v.getUint16(h + 28, true)) % 64, 0, n);
  }
  // The first weight the pickle meets is model.0.c.weight: storage '0', as torch.save numbers them.
  const root = unpickle(zip.read('best/data.pkl')) as Map<PickleValue, PickleValue>;
  const attr = (o: PickleValue | undefined, k: string): PickleValue | undefined => ((o as PickleObject).state as Map<PickleValue, PickleValue>).get(k);
  const conv = ['model', '0', 'c'].reduce((o: PickleValue | undefined, k) => (attr(o, '_modules') as Map<PickleValue, PickleValue>).get(k), root.get('model'));
  const w = (attr(conv, '_parameters') as Map<PickleValue, PickleValue>).get('weight') as PickleObject;
  const pid = ((w.args[0] as PickleObject).args[0] as PickleObject).args[0] as PickleValue[];
  assert.deepEqual(pid.slice(2), ['0', 'cpu', 24 * 3 * 3 * 3]); // Small: 16 channels * 1.33 -> 24
});

test('writing is reproducible, and writing what was read gives the same bytes (weights already fp16)', () => {
  const ck = made('medium', 1);
  const a = writeCheckpoint(ck, { date: DATE });
  assert.deepEqual(writeCheckpoint(ck, { date: DATE }), a);
  assert.deepEqual(writeCheckpoint(readCheckpoint(a)), a);
});

test('isoNow writes Python isoformat(): local time, microseconds, no zone', () => {
  assert.match(isoNow(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.equal(isoNow(new Date(2024, 3, 20, 20, 47, 35, 422)), '2024-04-20T20:47:35.422000');
});

test('refusals: weights beyond fp16, a bad zip folder name, weights of another model', () => {
  const ck = made('nano', 3);
  ck.stateDict.get('model.0.c.weight')!.data[5] = 1e6;
  assert.throws(() => writeCheckpoint(ck), { code: 'BAD_CHECKPOINT', message: /beyond float16/ });
  for (const name of ['a/b', '..', '']) assert.throws(() => writeCheckpoint(made('nano', 3), { name }), { code: 'BAD_ARGUMENT' }, name);
  const other = made('nano', 3);
  other.stateDict.set('model.0.c.weight', { shape: [8, 3, 3, 3], data: new Float32Array(216) });
  assert.throws(() => writeCheckpoint(other), { code: 'MODEL_MISMATCH' });
});
