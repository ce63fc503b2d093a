/**
 * YOLO label files through `loadDataset`: a dataset of images a, b, c where b's label file is the case.
 * Unusual but valid files (CRLF, odd whitespace, blank lines, scientific notation, Python number forms,
 * segments) must load with the right labels; files Ultralytics 8.1.4 rejects ('0x1', nan, ragged rows,
 * bad UTF-8, ...) must be reported for b and skip only b. Random mutations are checked against a small
 * independent oracle: a non-number or non-finite token anywhere must reject the file; a file of plain
 * 5-value rows in range must load with exactly its values.
 */
import assert from 'node:assert/strict';
import type { Rng } from '../../../src/data/rng.js';
import type { FuzzCase, FuzzContext, Generator } from '../types.js';
import { OK, imageFiles, kept, load } from './dataset.js';

const GOOD = '0 0.5 0.5 0.2 0.2\n1 0.25 0.25 0.1 0.1\n';
const YAML = 'path: .\nval: images\nnames: [c0, c1, c2]\n';
const NC = 3;

type Row = [number, number, number, number, number];
const f = Math.fround;

/** b's labels as rows, or the problem reported for its label file. */
async function loadB(ctx: FuzzContext): Promise<{ rows?: Row[]; reason?: string }> {
  const ds = await load(ctx, 'data.yaml');
  // a and c are always good: they load with their two labels whatever b is.
  for (const n of ['a', 'c']) assert.equal(ds.items.find((i) => i.image.endsWith(`images/${n}.jpg`))?.labels.length, 2, `${n} kept with its labels`);
  const b = ds.items.find((i) => i.image.endsWith('images/b.jpg'));
  const p = ds.problems.find((x) => x.file.endsWith('labels/b.txt') && x.skipped);
  if (p) {
    assert.ok(!b, 'b skipped when its label file is rejected');
    assert.ok(p.reason.length > 0);
    return { reason: p.reason };
  }
  assert.ok(b, 'b kept when its label file is accepted');
  assert.deepEqual(kept(ctx, ds), ['images/a.jpg', 'images/b.jpg', 'images/c.jpg']);
  return { rows: b.labels.map((l) => [l.classId, ...l.box] as Row) };
}

function labelCase(name: string, text: string | Uint8Array, check: (r: { rows?: Row[]; reason?: string }) => void, slow = false): FuzzCase {
  return {
    family: 'labels', name, expect: OK, slow,
    files: [{ path: 'data.yaml', bytes: YAML }, { path: 'labels/a.txt', bytes: GOOD }, { path: 'labels/c.txt', bytes: GOOD }, { path: 'labels/b.txt', bytes: text }],
    run: async (ctx) => check(await loadB(ctx)),
  };
}

const rowsEqual = (got: Row[] | undefined, want: number[][]) => {
  assert.ok(got, 'b was rejected but must load');
  assert.deepEqual(got, want.map((r) => r.map((v) => f(v))));
};
const accepts = (name: string, text: string, want: number[][]) => labelCase(name, text, (r) => rowsEqual(r.rows, want));
const rejects = (name: string, text: string | Uint8Array, re: RegExp, slow = false) =>
  labelCase(name, text, (r) => {
    assert.ok(r.reason, `b's label file silently accepted: ${JSON.stringify(r.rows)?.slice(0, 100)}`);
    assert.match(r.reason, re);
  }, slow);

const R1 = [[0, 0.5, 0.5, 0.2, 0.2]];
const R2 = [[0, 0.5, 0.5, 0.2, 0.2], [1, 0.25, 0.25, 0.1, 0.1]];

function validCases(): FuzzCase[] {
  return [
    accepts('crlf', '0 0.5 0.5 0.2 0.2\r\n1 0.25 0.25 0.1 0.1\r\n', R2),
    accepts('lone-cr', '0 0.5 0.5 0.2 0.2\r1 0.25 0.25 0.1 0.1', R2),
    accepts('trailing-spaces-tabs', '0 0.5 0.5 0.2 0.2   \t\n1\t0.25\t0.25\t0.1\t0.1 \n', R2),
    accepts('blank-lines', '\n\n0 0.5 0.5 0.2 0.2\n\n\n1 0.25 0.25 0.1 0.1\n\n', R2),
    accepts('no-final-newline', '0 0.5 0.5 0.2 0.2', R1),
    accepts('scientific', '0 5e-1 5E-1 2e-1 2.0e-1\n', R1),
    accepts('python-forms', '+0 .5 0_0.5 2_0e-2 0.2\n', R1),
    accepts('unicode-digits', '\u0660 \u0660.\u0665 \uff10.\uff15 0.2 0.2\n', R1),
    accepts('odd-python-whitespace', '0\u00a00.5\u30000.5\x1f0.2 0.2\x851\u20000.25 0.25 0.1 0.1', R2),
    accepts('vertical-tab-formfeed-lines', '0 0.5 0.5 0.2 0.2\v1 0.25 0.25 0.1 0.1\f', R2),
    accepts('negative-zero', '-0 0.5 0.5 0.2 -0.0\n', [[0, 0.5, 0.5, 0.2, 0]]),
    accepts('tiny-and-edge-values', '2 1 0 1e-50 1.0\n', [[2, 1, 0, 0, 1]]),
    // Duplicates removed; the kept rows sorted as np.unique(axis=0) sorts them.
    accepts('duplicates-sorted', '1 0.25 0.25 0.1 0.1\n0 0.5 0.5 0.2 0.2\n1 0.25 0.25 0.1 0.1\n', [[0, 0.5, 0.5, 0.2, 0.2], [1, 0.25, 0.25, 0.1, 0.1]]),
    // A segment row makes every row a polygon (the 5-value row is then 2 points); float32 box maths.
    accepts('segments-mixed', '0 0.1 0.2 0.5 0.2 0.5 0.6 0.1 0.6\n1 0.5 0.5 0.2 0.2\n', [[0, 0.3, 0.4, 0.4, 0.40000003576278687], [1, 0.35, 0.35, 0.3, 0.3]]),
    labelCase('empty-file', '', (r) => assert.deepEqual(r.rows, [])),
    labelCase('whitespace-only-file', ' \n\t\n \r\n', (r) => assert.deepEqual(r.rows, [])),
  ];
}

function hostileCases(): FuzzCase[] {
  const conv = /could not convert string to float/;
  const cases: [string, string | Uint8Array, RegExp][] = [
    ['hex', '0 0x1 0.5 0.2 0.2\n', /could not convert string to float: '0x1'/],
    ['binary', '0 0.5 0b1 0.2 0.2\n', conv],
    ['octal', '0 0.5 0.5 0o7 0.2\n', conv],
    ['double-underscore', '0 0.5 0.5 0.2 0.1__0\n', conv],
    ['comma-decimal', '0 0,5 0.5 0.2 0.2\n', conv],
    ['vulgar-fraction', '0 \u00bd 0.5 0.2 0.2\n', conv],
    ['zero-width-space', '0 0.5\u200b 0.5 0.2 0.2\n', conv],
    ['nul-byte', '0 0.5 0.5 0.2 0.2\0\n', /'0\.2\\x00'/],
    ['bom', '\ufeff0 0.5 0.5 0.2 0.2\n', /'\\ufeff0'/],
    ['bad-utf8', new Uint8Array([0x30, 0x20, 0xff, 0xfe, 0x0a]), /utf-8/],
    ['nan-coord', '0 nan 0.5 0.2 0.2\n', /non-normalized or out of bounds coordinates \[\]/],
    ['nan-class', 'nan 0.5 0.5 0.2 0.2\n', /negative label values \[\]/],
    ['inf-coord', '0 inf 0.5 0.2 0.2\n', /coordinates \[inf\]/],
    ['overflow-coord', '0 1e400 0.5 0.2 0.2\n', /coordinates \[inf\]/],
    ['float32-overflow', '0 3.5e38 0.5 0.2 0.2\n', /coordinates \[inf\]/],
    ['minus-inf', '0 -inf 0.5 0.2 0.2\n', /negative label values \[-inf\]/],
    ['inf-class', 'inf 0.5 0.5 0.2 0.2\n', /infinity/],
    ['ragged', '0 0.5 0.5 0.2 0.2\n1 0.25 0.25 0.1\n', /inhomogeneous shape/],
    ['whitespace-line-inside', '0 0.5 0.5 0.2 0.2\n \t \n1 0.25 0.25 0.1 0.1\n', /inhomogeneous shape/],
    ['four-columns', '0 0.5 0.5 0.2\n', /5 columns, 4 columns/],
    ['six-columns', '0 0.5 0.5 0.2 0.2 0.9\n', /5 columns, 6 columns/],
    ['negative', '0 0.5 -0.5 0.2 0.2\n', /negative label values \[-0\.5\]/],
    ['over-one', '0 1.5 0.5 0.2 0.2\n', /coordinates \[1\.5\]/],
    ['class-equals-nc', '3 0.5 0.5 0.2 0.2\n', /class 3 exceeds dataset class count 3/],
    ['class-huge', '1e30 0.5 0.5 0.2 0.2\n', /exceeds dataset class count/],
    ['class-fraction', '1.5 0.5 0.5 0.2 0.2\n', /not an integer/],
    ['segment-odd', '0 0.1 0.2 0.5 0.2 0.5 0.6 0.1\n', /cannot reshape array of size 7/],
    ['segment-class-only-row', '0 0.1 0.2 0.5 0.2 0.5 0.6\n2\n', /zero-size array/],
    ['segment-whitespace-row', '0 0.1 0.2 0.5 0.2 0.5 0.6\n  \n0 0.1 0.2 0.5 0.2 0.5 0.6\n', /list index out of range/],
    ['segment-over-one', '0 0.1 0.2 1.5 0.2 0.5 0.6\n', /coordinates/],
  ];
  return cases.map(([n, t, re]) => rejects(n, t, re));
}

/** 300k rows (valid, and with one bad token last), and a file over the 16 MiB label limit. */
function bigCases(): FuzzCase[] {
  const rows: string[] = [];
  for (let i = 0; i < 300_000; i++) rows.push(`${i % NC} ${((i % 997) + 1) / 1000} ${((i % 991) + 1) / 1000} 0.001 0.002`);
  const text = rows.join('\n');
  return [
    labelCase('rows-300k', text, (r) => assert.equal(r.rows?.length, 300_000), true),
    rejects('rows-300k-hex-last', `${text}\n0 0.5 0.5 0.2 0x1\n`, /'0x1' \(line 300001\)/, true),
    rejects('label-over-16MiB', '0 0.5 0.5 0.2 0.2\n'.repeat(1_000_000), /over the 16777216-byte limit/, true),
  ];
}

// --- random mutations and their oracle ---

const POOL = ['0x1', '1_0', 'nan', '-0', '.5', '1e400', '\u0661', '\u0660.\u0665', '0\0', '1__0', 'inf', '-inf', 'NaN', '+.5', '5e-1', '0b1', '1,5', '\u00bd', '', '2', '0.999', '1.0000001', '-0.1', '0_5', '\ufeff0'];
const SEPS = [' ', '\t', '\u00a0', '\x1f', '\u3000', '\u200b', '\0', '  '];
const BREAKS = ['\n', '\r\n', '\r', '\v', '\x85', '\u2028', '\n  \n', '\n\n'];
const pick = <T>(rng: Rng, a: readonly T[]): T => a[rng.int(a.length)];

function baseText(rng: Rng): string {
  const n = 1 + rng.int(5);
  const v = () => (1 + rng.int(999)) / 1000;
  return Array.from({ length: n }, () => `${rng.int(NC)} ${v()} ${v()} ${v()} ${v()}`).join('\n') + (rng.random() < 0.5 ? '\n' : '');
}

function mutate(rng: Rng, text: string): string {
  const k = 1 + rng.int(3);
  for (let m = 0; m < k; m++) {
    const toks = text.split(' ');
    const at = rng.int(Math.max(1, text.length));
    switch (rng.int(7)) {
      case 0: toks[rng.int(toks.length)] = pick(rng, POOL); text = toks.join(' '); break;
      case 1: text = text.slice(0, at) + pick(rng, SEPS) + text.slice(at); break;
      case 2: text = text.slice(0, at) + pick(rng, BREAKS) + text.slice(at); break;
      case 3: { const ls = text.split('\n'); ls.splice(rng.int(ls.length), 0, ls[rng.int(ls.length)]); text = ls.join('\n'); break; }
      case 4: toks.splice(rng.int(toks.length), 1); text = toks.join(' '); break;
      case 5: text = text.replace('\n', ` ${(rng.int(9) + 1) / 10} ${(rng.int(9) + 1) / 10}\n`); break;
      default: text = text.replace(/\n/g, '\r\n');
    }
  }
  return text;
}

/** Python str.split() whitespace and str.splitlines() breaks, written out independently of src/. */
const PY_WS = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const PY_LINES = /\r\n|[\n\v\f\r\x1c-\x1e\x85\u2028\u2029]/;
const NOT_FINITE = new Set(['0x1', 'nan', '1e400', '0\0', '1__0', 'inf', '-inf', 'NaN', '0b1', '1,5', '\u00bd', '\ufeff0']);

/** What the reference must do with `text`: 'reject', 'accept' (with these rows) or 'either'. */
function oracle(text: string): { kind: 'reject' } | { kind: 'accept'; rows: number[][] } | { kind: 'either' } {
  const tokens = text.split(PY_WS).filter((t) => t.length > 0);
  if (tokens.some((t) => NOT_FINITE.has(t) || /[\0\u200b\ufeff]/.test(t))) return { kind: 'reject' };
  const lines = text.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g, '').split(PY_LINES).filter((l) => l.length > 0);
  const rows = lines.map((l) => l.split(PY_WS).filter((t) => t.length > 0));
  const plain = (t: string) => /^[0-9]*\.?[0-9]+$/.test(t);
  const ok = rows.every((r) => r.length === 5 && r.every(plain) && Number.isInteger(Number(r[0])) && Number(r[0]) < NC && r.slice(1).every((t) => Number(t) <= 1));
  if (!ok || rows.length === 0) return { kind: 'either' };
  const uniq = new Map(rows.map((r) => { const v = r.map((t) => f(Number(t))); return [v.join(' '), v]; }));
  return { kind: 'accept', rows: [...uniq.values()] };
}

function randomCases(rng: Rng, n: number): FuzzCase[] {
  const out: FuzzCase[] = [];
  for (let i = 0; i < n * 3; i++) {
    const text = mutate(rng, baseText(rng));
    out.push(labelCase(`random-${i}`, text, (r) => {
      const o = oracle(text);
      if (o.kind === 'reject') assert.ok(r.reason, `silently accepted: ${JSON.stringify(text)}`);
      if (o.kind === 'accept') {
        assert.ok(r.rows, `rejected a valid file ${JSON.stringify(text)}: ${r.reason}`);
        const key = (x: number[]) => x.join(' ');
        assert.deepEqual(r.rows.map(key).sort(), o.rows.map(key).sort(), JSON.stringify(text));
      }
    }));
  }
  return out;
}

/** YOLO label files (see the module comment). */
export const labelsGenerator: Generator = {
  family: 'labels',
  cases(rng, n, shared) {
    const img = imageFiles(shared);
    return [...validCases(), ...hostileCases(), ...bigCases(), ...randomCases(rng, n)].map((c) => ({ ...c, files: [...img, ...(c.files ?? [])] }));
  },
};
