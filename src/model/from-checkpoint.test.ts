import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readCheckpoint, type Checkpoint } from '../weights/pt.js';
import { modelOfCheckpoint } from './from-checkpoint.js';

const shared = new URL('../../../shared/', import.meta.url).pathname;
const nano = readCheckpoint(readFileSync(`${shared}weights/LeYOLONano.pt`));

/** Nano with its state dict edited (the rest shared). */
function withStateDict(edit: (sd: Checkpoint['stateDict']) => void): Checkpoint {
  const sd = new Map(nano.stateDict);
  edit(sd);
  return { ...nano, stateDict: sd };
}

test('every tensor the network needs must be present with its shape (MODEL_MISMATCH names it)', () => {
  assert.equal(modelOfCheckpoint(nano).scale, 'nano'); // control
  assert.throws(() => modelOfCheckpoint(withStateDict((sd) => sd.delete('model.3.layers.1.c.weight'))), { code: 'MODEL_MISMATCH', message: /model\.3\.layers\.1\.c\.weight/ });
  const w = nano.stateDict.get('model.0.c.weight')!;
  const smaller = withStateDict((sd) => sd.set('model.0.c.weight', { shape: [8, 3, 3, 3], data: w.data.subarray(0, 216) }));
  assert.throws(() => modelOfCheckpoint(smaller), { code: 'MODEL_MISMATCH', message: /\[8, 3, 3, 3\].*\[16, 3, 3, 3\]/ });
  // Same element count, other shape: still refused.
  assert.throws(() => modelOfCheckpoint(withStateDict((sd) => sd.set('model.0.c.weight', { shape: [432], data: w.data }))), { code: 'MODEL_MISMATCH' });
});
