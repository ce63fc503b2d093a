import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, saveState, type LoopState } from './state.js';
import { Optimizer } from './optim.js';
import type { StateDict } from '../tensor.js';

test('the resume state is self-contained: weights, EMA, optimizer buffers and counters round-trip', () => {
  const model: StateDict = new Map([['model.0.c.weight', { shape: [2, 1, 1, 1], data: Float32Array.of(1, 2) }]]);
  const ema = new Map([['model.0.c.weight', Float32Array.of(0.5, 1.5)]]);
  const opt = new Optimizer({ name: 'AdamW', lr0: 0.001, momentum: 0.9, weightDecay: 0 }, new Map([['model.0.c.weight', 0]]));
  opt.state.set('model.0.c.weight', { m: Float32Array.of(3, 4), v: Float32Array.of(5, 6) });
  const loop: LoopState = { epoch: 2, emaUpdates: 7, optStep: 7, lastOptStep: 13, bestFitness: 0.1, bestEpoch: 1, scale: 'nano', config: {}, optimizer: { name: 'AdamW', lr0: 0.001, momentum: 0.9, weightDecay: 0 } };
  const f = join(mkdtempSync(join(tmpdir(), 'leyolo-state-')), 'last.state.safetensors');
  saveState(f, model, ema, opt, loop);
  const s = loadState(f);
  assert.deepEqual([...s.model.get('model.0.c.weight')!.data], [1, 2]);
  // The EMA differs from the raw weights; --resume must get it back from this file alone.
  assert.deepEqual([...s.ema.get('model.0.c.weight')!], [0.5, 1.5]);
  assert.deepEqual([...s.m.get('model.0.c.weight')!], [3, 4]);
  assert.deepEqual([...s.v.get('model.0.c.weight')!], [5, 6]);
  assert.deepEqual(s.loop, loop);
});
