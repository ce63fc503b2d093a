// Dataset yamls that are huge, deep, alias bombs, tagged or badly typed: typed errors, fast, small memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDatasetYaml, parseNames } from './yaml.js';
import { LeyoloError } from '../errors.js';

async function withYaml(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-yaml-'));
  try {
    writeFileSync(join(root, 'd.yaml'), text);
    await fn(join(root, 'd.yaml'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const rejects = (text: string, code: string, re: RegExp) =>
  withYaml(text, (f) => assert.rejects(readDatasetYaml(f, 'val'), (e: unknown) => e instanceof LeyoloError && e.code === code && re.test(e.message) && e.hint.length > 0));

test('nc and names: counts capped before allocating, types checked', async () => {
  await rejects('val: images\nnc: 1000000000\n', 'LIMIT_EXCEEDED', /1000000000 classes \(nc\), over the limit of 10000/);
  await rejects('val: images\nnc: 1e300\n', 'LIMIT_EXCEEDED', /over the limit/);
  await rejects('val: images\nnc: 2.5\n', 'BAD_DATASET', /nc must be a whole number/);
  await rejects('val: images\nnc: -1\n', 'BAD_DATASET', /nc must be a whole number/);
  await rejects("val: images\nnc: '3'\n", 'BAD_DATASET', /nc must be a whole number/);
  await rejects('val: images\nnc: .nan\n', 'BAD_DATASET', /nc must be a whole number/);
  await rejects(`val: images\nnames: [${Array(10_001).fill('a').join(',')}]\n`, 'LIMIT_EXCEEDED', /10001 names/);
  await rejects('val: images\nnames: person\n', 'BAD_DATASET', /'names' must be a list or an \{index: name\} map/);
  await rejects('val: images\nnames: {0: a, 1.5: b}\n', 'BAD_DATASET', /names keys must be the integers 0..1/);
  await rejects('val: images\nnames: []\n', 'BAD_DATASET', /'names' is empty/);
  await rejects('val: images\npath: [1]\nnames: [a]\n', 'BAD_DATASET', /'path' must be a folder path/);
  assert.deepEqual(parseNames([true, null, 1.5, 'x', [1, 2]], undefined, 'f'), ['True', 'None', '1.5', 'x', '[1,2]'], 'Python str() of odd names');
  assert.deepEqual(parseNames(undefined, 3, 'f'), ['class_0', 'class_1', 'class_2']);
  assert.deepEqual(parseNames({ 1: 'b', 0: 'a' }, 2, 'f'), ['a', 'b'], 'map keys in any order');
});

test('deep nesting, alias bombs, tags, multiple documents, size: typed and quick', async () => {
  const t0 = performance.now();
  await rejects(`val: images\nnames: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`, 'LIMIT_EXCEEDED', /nested too deeply/);
  await rejects(`val: images\nx: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\nnames: [a]\n`, 'LIMIT_EXCEEDED', /nested too deeply/);
  let lol = 'a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n';
  for (let i = 1; i < 10; i++) lol += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]\n`;
  await rejects(`${lol}val: images\nnames: *a9\n`, 'LIMIT_EXCEEDED', /too many YAML aliases/);
  await rejects('val: images\nnames: !!python/object:os.system [ls]\n', 'BAD_DATASET', /Unresolved tag/);
  await rejects('val: images\nnames: [a]\n---\nval: other\n', 'BAD_DATASET', /expected a single document/);
  await rejects(`val: images\nnames: [a]\n# ${'x'.repeat(1 << 20)}\n`, 'LIMIT_EXCEEDED', /over the 1048576-byte limit/);
  await rejects('val: [images\n', 'BAD_DATASET', /invalid YAML/);
  await rejects('- a\n- b\n', 'BAD_DATASET', /not a YAML mapping/);
  await rejects('', 'BAD_DATASET', /not a YAML mapping/);
  // Generous bound for a shared 2-core machine: the deep cases take ~1 s each alone.
  assert.ok(performance.now() - t0 < 15_000);
});

test('PyYAML-compatible: duplicate keys allowed, the last one wins', async () => {
  await withYaml('val: a\nval: b\nnames: [x]\nnames: [y, z]\n', async (f) => {
    const y = await readDatasetYaml(f, 'val');
    assert.deepEqual(y.names, ['y', 'z']);
    assert.ok(y.source.kind === 'yolo' && y.source.entries[0].endsWith('/b'));
  });
});
