/**
 * The fuzz runner catches every kind of failure (crash, hang, memory, leaked or INTERNAL errors,
 * silent acceptance, wrong results, files touched outside the output folder) and carries on after
 * a dead worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { failure } from './cases.js';
import { runFuzz } from './run.js';

test('the runner classifies each misbehaving case and continues after crashes', async () => {
  process.env.LEYOLO_FUZZ_GEN_DIR = join(import.meta.dirname, 'selftest');
  // 3 s and 600 MB: far above what the well-behaved cases need, reached fast by the bad ones.
  const reports = await runFuzz({ ms: 3000, rssMb: 600 });
  delete process.env.LEYOLO_FUZZ_GEN_DIR;
  const by = new Map(reports.map((r) => [r.name, r]));
  const outcome = (n: string) => by.get(n)?.outcome;
  assert.equal(reports.length, 13);
  assert.equal(outcome('typed'), 'typed');
  assert.equal(outcome('internal'), 'internal');
  assert.equal(outcome('untyped'), 'untyped');
  assert.equal(outcome('wrong'), 'wrong');
  assert.equal(outcome('crash'), 'crash');
  assert.equal(outcome('hang'), 'hang');
  assert.equal(outcome('oom'), 'oom');
  assert.equal(outcome('after'), 'ok', 'a fresh worker runs the cases after a dead one');
  assert.deepEqual(by.get('touch')?.touched, ['in.txt']);
  const failed = reports.filter((r) => failure(r)).map((r) => r.name).sort();
  assert.deepEqual(failed, ['crash', 'hang', 'internal', 'oom', 'silent', 'touch', 'untyped', 'wrong', 'wrong-code']);
});
