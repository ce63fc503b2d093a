import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { countParams, paramShapes, resolveModel, usedLayers } from './resolve.js';
import { modelInfo } from './flops.js';
import { checkTableAgainstYaml, detectScale, tableFromCheckpointYaml } from './yaml.js';
import { LeyoloError } from '../errors.js';
import type { ScaleName } from './table.js';

const shared = fileURLToPath(new URL('../../../shared/', import.meta.url));
const readJson = (p: string): Record<string, unknown> => JSON.parse(readFileSync(shared + p, 'utf8')) as Record<string, unknown>;

test('parameter counts equal the official ones at nc=80 and Small at nc=1', () => {
  const expected: Record<ScaleName, number> = { nano: 1_120_480, small: 1_917_440, medium: 2_402_744, large: 2_402_744 };
  for (const [scale, n] of Object.entries(expected)) assert.equal(countParams(resolveModel({ scale: scale as ScaleName })), n, scale);
  assert.equal(countParams(resolveModel({ scale: 'small', nc: 1 })), 1_887_395);
});

test('dead layers: only Medium/Large 38-41, and strides are 8/16/32', () => {
  const m = resolveModel({ scale: 'medium' });
  assert.deepEqual(m.layers.filter((l) => l.dead).map((l) => l.index), [38, 39, 40, 41]);
  assert.equal(usedLayers(m).length, m.layers.length - 4);
  assert.equal(usedLayers(resolveModel({ scale: 'nano' })).length, 36);
  assert.deepEqual(m.strides, [8, 16, 32]);
});

test('names and shapes equal the Small-grapes state dict (float tensors)', () => {
  const sd = readJson('fixtures/small-grapes/state_dict.json') as { tensors: { name: string; shape: number[]; dtype: string }[] };
  const want = new Map(sd.tensors.filter((t) => t.dtype.startsWith('float')).map((t) => [t.name, t.shape]));
  const got = paramShapes(resolveModel({ scale: 'small', nc: 1 }));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, shape] of want) assert.deepEqual(got.get(k), shape, k);
});

test('GFLOPs (thop MACs x 2, fused) equal flops_params.json at the six paper settings', () => {
  const ref = readJson('reference/flops_params.json') as Record<string, { gflops: Record<string, Record<string, number>> }>;
  const cases: [ScaleName, number, number][] = [
    ['nano', 320, 0.66], ['nano', 480, 1.47], ['small', 480, 2.53], ['small', 640, 4.51], ['medium', 640, 5.8], ['large', 768, 8.4],
  ];
  for (const [scale, sz, paper] of cases) {
    const m = resolveModel({ scale });
    const r = ref[scale].gflops[String(sz)];
    // The counts are integers (MACs) summed in float64: only rounding differs, so 1e-9 relative.
    assert.ok(Math.abs(modelInfo(m, sz).gflops / r.B_ultra_thop_fused - 1) < 1e-9, `${scale}@${sz} fused`);
    assert.ok(Math.abs(modelInfo(m, sz, { unfused: true }).gflops / r.A_ultra_thop_unfused - 1) < 1e-9, `${scale}@${sz} unfused`);
    // The paper prints 2-3 significant digits: within 1.5% of its rounded value.
    assert.ok(Math.abs(modelInfo(m, sz).gflops / paper - 1) < 0.015, `${scale}@${sz} paper`);
  }
});

test('modelInfo gives per-layer shapes and sums', () => {
  const info = modelInfo(resolveModel({ scale: 'nano' }), 320);
  assert.equal(info.params, 1_120_480);
  assert.deepEqual(info.layers[0].outShape, [1, 16, 160, 160]);
  assert.deepEqual(info.layers[14].outShape, [1, 96, 10, 10]);
  assert.deepEqual(info.layers[35].outShape, [1, 84, 2100]);
  assert.ok(Math.abs(info.layers.reduce((a, l) => a + l.gflops, 0) - info.gflops) < 1e-12);
});

test('checkpoint yaml: Small-grapes is detected and accepted; a changed row is named', () => {
  const meta = readJson('fixtures/small-grapes/checkpoint_meta.json');
  const yaml = meta.yaml as Record<string, unknown>;
  const t = tableFromCheckpointYaml(yaml);
  assert.equal(detectScale(t), 'small');
  assert.equal(t.scale.width, 1.33);
  checkTableAgainstYaml(resolveModel({ scale: 'small', nc: t.nc }), yaml);
  const changed = structuredClone(yaml) as { head: unknown[][] };
  (changed.head[7][3] as unknown[])[1] = 5;
  assert.throws(() => checkTableAgainstYaml(resolveModel({ scale: 'small', nc: 1 }), changed as unknown as Record<string, unknown>),
    (e: unknown) => e instanceof LeyoloError && e.code === 'MODEL_MISMATCH' && /layer 22/.test(e.message));
  assert.throws(() => checkTableAgainstYaml(resolveModel({ scale: 'nano', nc: 1 }), yaml), /width/);
});

test('width override and the official nc quirk', () => {
  // A yaml channel equal to nc is left unscaled by the official parser (Small with nc=64).
  const m = resolveModel({ scale: 'small', nc: 64 });
  assert.equal(m.layers[5].cOut, 64);
  assert.equal(resolveModel({ scale: 'small', nc: 63 }).layers[5].cOut, 88);
  assert.equal(resolveModel({ scale: 'medium', width: 1.0 }).layers[6].cOut, 64);
  // Like the official code, Nano's table cannot be widened: its P3 block fixes expansion 96 without an expand conv.
  assert.throws(() => resolveModel({ scale: 'nano', width: 1.33 }), /model\.22/);
  assert.throws(() => resolveModel({ scale: 'nano', nc: 0 }), LeyoloError);
});
