#!/usr/bin/env node
// Runs the test suites with node's built-in runner (tsx compiles TypeScript on the fly). Node 20's
// --test has no globs, so the file list is collected here.
//   node scripts/run-tests.mjs            the full suite (CI): type checks, then every test file
//   node scripts/run-tests.mjs --quick    unit tests (src/**) and the parity tests: about a minute
//   node scripts/run-tests.mjs labels     only the files whose path contains 'labels'
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** The tests/ files in the quick suite: golden parity against ../shared, each a few seconds. */
const QUICK_TESTS = [
  'tests/checkpoint.test.ts', 'tests/cocoeval-parity.test.ts', 'tests/datasets.test.ts', 'tests/grad-parity.test.ts',
  'tests/image-parity.test.ts', 'tests/loss-parity.test.ts', 'tests/parity-heads.test.ts', 'tests/postprocess-parity.test.ts',
  'tests/predict-parity.test.ts', 'tests/ultralytics-metrics-parity.test.ts', 'tests/fuzz/runner.test.ts',
];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.find((a) => !a.startsWith('--'));
const all = [...walk('src', []), ...walk('tests', [])].sort();
const files = all.filter((f) => (!quick || f.startsWith('src') || QUICK_TESTS.includes(f)) && (!filter || f.includes(filter)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Full suite: strict type checks first (the library, the browser build, the dev tools); a type error
// fails the suite like a failing test. The quick suite leaves them to `npm run typecheck`.
if (!quick && !filter) {
  for (const project of ['tsconfig.json', 'web/tsconfig.json', 'dev/tsconfig.json']) {
    const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--noEmit'], { stdio: 'inherit' });
    if (tsc.status !== 0) {
      console.error(`typecheck failed (${project})`);
      process.exit(1);
    }
  }
}
// The quick suite runs two files at a time (unit tests are light); the full suite one at a time,
// since its end-to-end tests each use every core.
const concurrency = quick ? 2 : 1;
const t0 = Date.now();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
console.error(`${files.length} test files in ${((Date.now() - t0) / 1000).toFixed(0)} s${quick ? ' (quick suite; type checks: npm run typecheck)' : ''}`);
process.exit(r.status ?? 1);
