#!/usr/bin/env node
// Runs every unit test (src/**/*.test.ts) and every parity/golden/e2e test (tests/**/*.test.ts)
// with node's built-in runner; tsx compiles TypeScript on the fly. Node 20's --test has no globs,
// so the file list is collected here. Pass a substring to run only matching files.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const filter = process.argv[2];
const files = [...walk('src', []), ...walk('tests', [])].filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Strict typecheck first: a type error fails the suite like a failing test.
for (const project of ['tsconfig.json', 'web/tsconfig.json']) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--noEmit'], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error(`typecheck failed (${project})`);
    process.exit(1);
  }
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
