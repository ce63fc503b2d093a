/**
 * Dataset yamls through `loadDataset` (images a, b, c with labels beside them): unusual but valid
 * yamls (CRLF, BOM, comments, flow style, name maps in any order, duplicate keys, anchors) must load
 * with the right names; hostile ones (deep nesting, nc 1e9, 10001 names, alias bombs, tags, several
 * documents, over 1 MiB, wrong types) must be typed errors, quickly and in little memory. Random text
 * mutations of a valid yaml either load sanely or are typed errors.
 */
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../../src/errors.js';
import type { Rng } from '../../../src/data/rng.js';
import type { FuzzCase, FuzzFile, Generator } from '../types.js';
import { OK, err, imageFiles, kept, load } from './dataset.js';

const GOOD = '0 0.5 0.5 0.2 0.2\n1 0.25 0.25 0.1 0.1\n';
const LABELS: FuzzFile[] = ['a', 'b', 'c'].map((n) => ({ path: `labels/${n}.txt`, bytes: GOOD }));

function yamlCase(name: string, text: string | Uint8Array, expect: FuzzCase['expect'], names?: string[], slow = false): FuzzCase {
  return {
    family: 'yaml', name, expect, slow,
    files: [...LABELS, { path: 'd.yaml', bytes: text }],
    run: async (ctx) => {
      const ds = await load(ctx, 'd.yaml');
      if (names) assert.deepEqual(ds.names, names);
      if (expect.kind === 'ok') assert.deepEqual(kept(ctx, ds), ['images/a.jpg', 'images/b.jpg', 'images/c.jpg']);
    },
  };
}

const ok = (name: string, text: string | Uint8Array, names: string[]) => yamlCase(name, text, OK, names);
const bad = (name: string, text: string | Uint8Array, ...codes: ErrorCode[]) => yamlCase(name, text, err(...codes));

function validCases(): FuzzCase[] {
  const AB = ['a', 'b'];
  return [
    ok('plain', 'path: .\nval: images\nnames: [a, b]\n', AB),
    ok('crlf', 'path: .\r\nval: images\r\nnames:\r\n  0: a\r\n  1: b\r\n', AB),
    ok('bom', '\ufeffval: images\nnames: [a, b]\n', AB),
    ok('comments', '# dataset\nval: images # the val split\nnames: [a, b] # two\n', AB),
    ok('flow-document', '{val: images, names: [a, b]}', AB),
    ok('names-map-unordered', 'val: images\nnames: {1: b, 0: a}\n', AB),
    ok('names-map-quoted-keys', "val: images\nnames: {'0': a, \"1\": b}\n", AB),
    ok('names-odd-scalars', 'val: images\nnames: [true, null, 1.5, ~, "x y"]\n', ['True', 'None', '1.5', 'None', 'x y']),
    ok('names-unicode', 'val: images\nnames: [\u732b, \u72ac]\n', ['\u732b', '\u72ac']),
    ok('nc-only', 'val: images\nnc: 2\n', ['class_0', 'class_1']),
    ok('nc-matches', 'val: images\nnc: 2\nnames: [a, b]\n', AB),
    ok('duplicate-keys-last-wins', 'val: nowhere\nval: images\nnames: [x]\nnames: [a, b]\n', AB),
    ok('split-list', 'val: [images]\nnames: [a, b]\n', AB),
    ok('split-dot-slash', 'val: ./images/\nnames: [a, b]\n', AB),
    ok('small-anchors', 'n: &n [a, b]\nval: images\nnames: *n\n', AB),
    ok('directive-and-end', '%YAML 1.2\n---\nval: images\nnames: [a, b]\n...\n', AB),
    ok('names-2000', `val: images\nnames: [${Array.from({ length: 2000 }, (_, i) => `n${i}`).join(', ')}]\n`, Array.from({ length: 2000 }, (_, i) => `n${i}`)),
  ];
}

function hostileCases(): FuzzCase[] {
  let lol = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 10; i++) lol += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  const L = 'LIMIT_EXCEEDED', B = 'BAD_DATASET';
  return [
    bad('deep-brackets', `val: images\nnames: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, L),
    bad('deep-brackets-1MiB-unclosed', `val: images\nnames: ${'['.repeat((1 << 20) - 40)}`, L),
    bad('deep-braces', `val: images\nx: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}\nnames: [a]\n`, L),
    bad('deep-indentation', `val: images\nnames: [a]\nx:\n${Array.from({ length: 1300 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')}\n`, L),
    bad('deep-block-sequence', `val: images\nnames: [a]\nx:\n${Array.from({ length: 1300 }, (_, i) => `${' '.repeat(i + 1)}-`).join('\n')}\n`, L),
    bad('nc-1e9', 'val: images\nnc: 1000000000\n', L),
    bad('nc-1e300', 'val: images\nnc: 1e300\n', L),
    bad('nc-negative', 'val: images\nnc: -1\n', B),
    bad('nc-fraction', 'val: images\nnc: 2.5\n', B),
    bad('nc-string', 'val: images\nnc: two\n', B),
    bad('nc-bool', 'val: images\nnc: true\n', B),
    bad('nc-mismatch', 'val: images\nnc: 3\nnames: [a, b]\n', B),
    bad('names-10001', `val: images\nnames: [${Array(10_001).fill('n').join(',')}]\n`, L),
    bad('names-map-10001', `val: images\nnames: {${Array.from({ length: 10_001 }, (_, i) => `${i}: n`).join(', ')}}\n`, L),
    bad('names-string', 'val: images\nnames: person\n', B),
    bad('names-number', 'val: images\nnames: 5\n', B),
    bad('names-map-gap', 'val: images\nnames: {0: a, 2: b}\n', B),
    bad('names-map-negative', 'val: images\nnames: {-1: a, 0: b}\n', B),
    bad('names-map-text-keys', 'val: images\nnames: {a: x, b: y}\n', B),
    bad('names-empty', 'val: images\nnames: []\n', B),
    bad('names-missing', 'val: images\n', B),
    bad('alias-bomb', `${lol}val: images\nnames: *a9\n`, L),
    yamlCase('recursive-alias', 'val: images\nnames: &r [a, *r]\n', { kind: 'either', codes: [B, L] }),
    bad('python-tag', 'val: images\nnames: !!python/object/apply:os.system [echo hi]\n', B),
    bad('custom-tag', 'val: images\nnames: !cls [a]\n', B),
    bad('two-documents', 'val: images\nnames: [a]\n---\nval: other\n', B),
    bad('over-1MiB', `val: images\nnames: [a]\n#${'x'.repeat(1 << 20)}\n`, L),
    bad('30001-lines', `val: images\nnames: [a]\n${'# c\n'.repeat(30_001)}`, L),
    bad('not-a-mapping-list', '- val\n- images\n', B),
    bad('not-a-mapping-scalar', 'images\n', B),
    bad('empty', '', B),
    bad('only-comments', '# nothing\n', B),
    bad('syntax-error', 'val: [images\nnames: [a]\n', B),
    bad('tab-indentation', 'names:\n\t- a\nval: images\n', B),
    bad('no-val-split', 'train: images\nnames: [a]\n', B),
    bad('split-number', 'val: 5\nnames: [a]\n', B),
    bad('split-list-mixed', 'val: [images, 5]\nnames: [a]\n', B),
    bad('split-list-empty', 'val: []\nnames: [a]\n', B),
    bad('split-missing-folder', 'val: nowhere\nnames: [a]\n', B),
    bad('split-nul', 'val: "ima\\0ges"\nnames: [a]\n', B),
    bad('split-coco-bad', 'val: {annotations: 5}\nnames: [a]\n', B),
    bad('path-not-string', 'path: [1]\nval: images\nnames: [a]\n', B),
    bad('invalid-utf8', new Uint8Array([0x76, 0x61, 0x6c, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), B),
  ];
}

const INSERTS = ['[', ']', '{', '}', '&a ', '*a', '!!str ', '!x ', ':', '- ', '\t', '"', "'", '#', '\n', '\n---\n', '%YAML 1.1\n', '\0', '\ufeff', '<<: *a\n', ' ', '\r', '?', '|', '>', ',', '@', '`', 'nc: 1e9\n', 'nc: 2\n', 'names: null\n'];

function mutateText(rng: Rng, text: string): string {
  const k = 1 + rng.int(3);
  for (let m = 0; m < k; m++) {
    const at = rng.int(text.length + 1);
    switch (rng.int(4)) {
      case 0: case 1: text = text.slice(0, at) + INSERTS[rng.int(INSERTS.length)] + text.slice(at); break;
      case 2: text = text.slice(0, at) + text.slice(at + 1 + rng.int(4)); break;
      default: { const ls = text.split('\n'); ls.splice(rng.int(ls.length), 0, ls[rng.int(ls.length)]); text = ls.join('\n'); }
    }
  }
  return text;
}

function randomCases(rng: Rng, n: number): FuzzCase[] {
  const bases = ['path: .\nval: images\nnames: [a, b]\n', 'val: images\nnames:\n  0: a\n  1: b\nnc: 2\n', '{val: [images], names: {0: a, 1: b}}\n'];
  return Array.from({ length: n * 2 }, (_, i) => yamlCase(`random-${i}`, mutateText(rng, bases[rng.int(bases.length)]), { kind: 'either', codes: ['BAD_DATASET', 'LIMIT_EXCEEDED'] }));
}

/** Dataset yamls (see the module comment). */
export const yamlGenerator: Generator = {
  family: 'yaml',
  cases(rng, n, shared) {
    const img = imageFiles(shared);
    return [...validCases(), ...hostileCases(), ...randomCases(rng, n)].map((c) => ({ ...c, files: [...img, ...(c.files ?? [])] }));
  },
};
