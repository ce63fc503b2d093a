// The wasm-oriented SiLU form (`silu: 'tanh'`): same outputs as the default graph, only Tanh where
// the default has Sigmoid, and the default graph untouched by the option's existence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCheckpoint } from '../weights/pt.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import { buildInferenceGraph, inferenceGraph } from './inference.js';
import { createSession, runSession } from '../node/session.js';

const WEIGHTS = fileURLToPath(new URL('../../../shared/weights/LeYOLONano.pt', import.meta.url));
const SKIP = existsSync(WEIGHTS) ? false : `${WEIGHTS} missing`;

test("silu: 'tanh' computes the same decoded output as the default Sigmoid form", { skip: SKIP, timeout: 60_000 }, async () => {
  const ck = readCheckpoint(readFileSync(WEIGHTS));
  const m = modelOfCheckpoint(ck);
  const o = { height: 128, width: 160, heads: false, decode: true } as const;
  const ops = (g: ReturnType<typeof inferenceGraph>, op: string) => g.nodes.filter((n) => n.op === op).length;
  const gs = inferenceGraph(m, ck.stateDict, ck.bn, o);
  const gt = inferenceGraph(m, ck.stateDict, ck.bn, { ...o, silu: 'tanh' });
  // Every conv SiLU becomes Tanh; the decode's class Sigmoid stays.
  assert.ok(ops(gs, 'Sigmoid') > 50);
  assert.equal(ops(gt, 'Tanh'), ops(gs, 'Sigmoid') - 1);
  assert.equal(ops(gt, 'Sigmoid'), 1);
  // Leaving the option out is the default form, byte for byte.
  assert.deepEqual(buildInferenceGraph(m, ck.stateDict, ck.bn, o), buildInferenceGraph(m, ck.stateDict, ck.bn, { ...o, silu: 'sigmoid' }));

  const data = Float32Array.from({ length: 3 * 128 * 160 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
  const run = async (bytes: Uint8Array) => (await runSession(await createSession(bytes, { threads: 1 }), { images: { shape: [1, 3, 128, 160], data } })).decoded.data;
  const a = await run(buildInferenceGraph(m, ck.stateDict, ck.bn, o));
  const b = await run(buildInferenceGraph(m, ck.stateDict, ck.bn, { ...o, silu: 'tanh' }));
  const n = a.length / (4 + m.nc);
  let box = 0;
  let score = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (i < 4 * n) box = Math.max(box, d);
    else score = Math.max(score, d);
  }
  // Float rounding only (two formulas of one function, ~1e-7 relative per activation, 70 layers
  // deep): measured ~1e-6 on scores and ~3e-4 px on boxes; bounds 10x the browser test's slack.
  assert.ok(score <= 1e-4, `max score difference ${score}`);
  assert.ok(box <= 1e-2, `max box difference ${box} px`);
});
