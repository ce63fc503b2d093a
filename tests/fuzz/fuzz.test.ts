/**
 * The quick subset of the fuzz suite (about 1,300 broken, hostile, huge and unusual inputs over every
 * family; `node --import tsx tests/fuzz/run.ts` runs the full set). Each case runs under the limits
 * the reliability contract states, enforced by the runner: 60 s per case (a hang), 2 GB RSS (a
 * blow-up). A case passes only if it ends as its family expects (typed error, per-file report, or a
 * correct result) and changed no file outside its own output folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { failure } from './cases.js';
import { runFuzz, summaryTable } from './run.js';

const shared = resolve(import.meta.dirname, '..', '..', '..', 'shared');
const skip = existsSync(resolve(shared, 'weights', 'LeYOLONano.pt')) ? false : 'needs ../shared';

test('quick fuzz: every case is a typed error, a per-file report or a correct result', { skip, timeout: 900_000 }, async () => {
  const reports = await runFuzz({ quick: true, seed: 1, ms: 60_000, rssMb: 2048, shared });
  const failed = reports.filter((r) => failure(r)).map((r) => `${r.family}/${r.name}: ${failure(r)}`);
  assert.deepEqual(failed, [], `\n${summaryTable(reports)}`);
  // Every family must have produced cases (a generator that silently yields nothing tests nothing).
  const families = new Set(reports.map((r) => r.family));
  for (const f of ['checkpoint', 'safetensors', 'onnx', 'image', 'yaml', 'labels', 'coco', 'dataset', 'output', 'predict', 'resume']) assert.ok(families.has(f as never), `family ${f} ran`);
  assert.ok(reports.length > 1000, `${reports.length} cases`);
});
