// The browser entry must not reach Node built-ins or Node-only packages through any import chain
// (a bundler would either fail or ship shims). Walks the static and dynamic import graph of
// src/web/index.ts from source, so it runs without a build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NODE_ONLY_PACKAGES = ['sharp', 'onnxruntime-node'];
const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Every module reachable from `entry`: relative files walked, bare specifiers collected. */
function importGraph(entry: string): { files: Set<string>; bare: Map<string, string> } {
  const files = new Set<string>();
  const bare = new Map<string, string>(); // specifier -> first importer
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.')) {
        const ts = join(dirname(file), spec.replace(/\.js$/, '.ts'));
        assert.ok(existsSync(ts), `${relative(here, file)} imports missing ${spec}`);
        stack.push(ts);
      } else if (!bare.has(spec)) bare.set(spec, relative(join(here, '..'), file));
    }
  }
  return { files, bare };
}

test('src/web/index.ts reaches no Node built-in and no Node-only package', () => {
  const { files, bare } = importGraph(join(here, 'index.ts'));
  assert.ok(files.size > 5, 'the walker found the entry and its imports');
  const builtins = new Set(builtinModules.flatMap((b) => [b, `node:${b}`]));
  const bad = [...bare].filter(([spec]) => spec.startsWith('node:') || builtins.has(spec.split('/')[0])
    || NODE_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(p + '/')));
  assert.deepEqual(bad, [], `Node-only imports in the browser graph: ${bad.map(([s, f]) => `${s} (from ${f})`).join(', ')}`);
  assert.ok(bare.has('onnxruntime-web/wasm'), 'the wasm runtime is imported');
});

test('the walker does catch a Node import (it can fail)', () => {
  const { bare } = importGraph(join(here, '..', 'node', 'load.ts'));
  assert.ok([...bare.keys()].some((s) => s.startsWith('node:')), 'src/node/load.ts imports node:fs/promises');
});
