import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Optimizer, linearLf, schedule } from './optim.js';

const make = (): Optimizer => new Optimizer({ name: 'SGD', lr0: 0.01, momentum: 0.937, weightDecay: 5e-4, warmupBiasLr: 0.1 }, new Map());
const base = { epoch: 0, lf: linearLf(10, 0.01), warmupBiasLr: 0.1, warmupMomentum: 0.8, nbs: 64, batch: 16 };

test('warmup: bias lr falls from warmup_bias_lr, other lrs and momentum rise (Ultralytics np.interp)', () => {
  const opt = make();
  const acc = schedule(opt, { ...base, ni: 0, nw: 100 });
  assert.deepEqual([...opt.lr], [0.1, 0, 0]);
  assert.equal(opt.momentum, 0.8);
  assert.equal(acc, 1);
  schedule(opt, { ...base, ni: 50, nw: 100 });
  // halfway: exact float64 midpoints of the interpolation ends
  assert.ok(Math.abs(opt.lr[1] - 0.005) < 1e-15 && Math.abs(opt.lr[0] - 0.055) < 1e-15 && Math.abs(opt.momentum - 0.8685) < 1e-15);
});

test('accumulate rounds like numpy (ties to even) and ends at round(nbs / batch)', () => {
  const opt = make();
  // interp(ni, [0, 100], [1, 4]) = 2.5 at ni 50: numpy rounds to 2, not 3
  assert.equal(schedule(opt, { ...base, ni: 50, nw: 100 }), 2);
  assert.equal(schedule(opt, { ...base, ni: 101, nw: 100 }), 4);
});

test('warmup_epochs 0 means no warmup at all (nw = -1): lr0 * lf(epoch) from the first batch', () => {
  const opt = make();
  const acc = schedule(opt, { ...base, epoch: 2, ni: 0, nw: -1 });
  assert.deepEqual([...opt.lr], [0.01 * base.lf(2), 0.01 * base.lf(2), 0.01 * base.lf(2)]);
  assert.equal(opt.momentum, 0.937);
  assert.equal(acc, 4);
});
