import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelBytes, parseLabelText } from './labels.js';
import { img2labelPath, isImagePath } from './paths.js';

test('img2labelPath swaps the LAST /images/ and the suffix (Ultralytics img2label_paths)', () => {
  assert.equal(img2labelPath('/a/images/b/images/c.d.JPG', '/'), '/a/images/b/labels/c.d.txt');
  assert.equal(img2labelPath('/a/imgs/c.png', '/'), '/a/imgs/c.txt');
  assert.equal(img2labelPath('C:\\d\\images\\x.jpg', '\\'), 'C:\\d\\labels\\x.txt');
});

test('isImagePath follows IMG_FORMATS, case-insensitive', () => {
  assert.ok(isImagePath('x.JPEG') && isImagePath('x.webp') && isImagePath('x.tif'));
  assert.ok(!isImagePath('x.gif') && !isImagePath('x.txt') && !isImagePath('x'));
});

test('good labels parse; blank lines ignored', () => {
  const p = parseLabelText('3 0.5 0.25 0.1 0.2\n\n0 0 0 1 1\n', 80);
  assert.equal(p.error, undefined);
  assert.equal(p.labels.length, 2);
  assert.equal(p.labels[0].classId, 3);
  // float32 storage as Ultralytics: 0.1 becomes fround(0.1)
  assert.deepEqual(p.labels[0].box, [0.5, 0.25, Math.fround(0.1), Math.fround(0.2)]);
});

test('every rejection kind gives its reason', () => {
  const cases: [string, RegExp][] = [
    ['0 0.5 0.5 0.1\n', /5 columns, 4 columns/],
    ['0 0.5 0.5 0.1 0.1 7\n', /5 columns, 6 columns/],
    ['80 0.5 0.5 0.1 0.1\n', /class 80 exceeds dataset class count 80/],
    ['1 1.5 0.5 0.1 0.1\n', /non-normalized or out of bounds coordinates \[1\.5\]/],
    ['1 0.5 -0.5 0.1 0.1\n', /negative label values \[-0\.5\]/],
    ['-1 0.5 0.5 0.1 0.1\n', /negative label values \[-1\]/],
    ['1 0.5 abc 0.1 0.1\n', /could not convert string to float: 'abc' \(line 1\)/],
    ['1.5 0.5 0.5 0.1 0.1\n', /not an integer/],
    ['1 0.1 0.1 0.2 0.1 0.2 0.3 0.4\n', /cannot reshape array of size 7 into shape \(2\)/],
  ];
  for (const [text, re] of cases) {
    const p = parseLabelText(text, 80);
    assert.match(p.error ?? '', re, text);
    assert.equal(p.labels.length, 0);
  }
});

test('duplicate rows are removed and counted, the rest kept', () => {
  const p = parseLabelText('0 0.5 0.5 0.1 0.1\n1 0.2 0.2 0.1 0.1\n0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1 0.1\n', 2);
  assert.equal(p.error, undefined);
  assert.equal(p.duplicates, 2);
  assert.deepEqual(p.labels.map((l) => l.classId), [0, 1]);
});

test('segment rows become their min/max box', () => {
  const p = parseLabelText('2 0.1 0.2 0.5 0.2 0.5 0.6 0.1 0.6\n', 3);
  assert.equal(p.error, undefined);
  const [cx, cy, w, h] = p.labels[0].box;
  // float32 inputs: compare within 1e-6
  for (const [a, b] of [[cx, 0.3], [cy, 0.4], [w, 0.4], [h, 0.4]]) assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
});

test('no class check without nc; empty text gives no labels and no error', () => {
  assert.equal(parseLabelText('500 0.5 0.5 0.1 0.1').error, undefined);
  assert.deepEqual(parseLabelText('  \n'), { labels: [], duplicates: 0 });
});

// The expectations below are what Ultralytics 8.1.4 verify_image_label's label code does, run with
// CPython 3.11 + NumPy 1.24 on the same texts (accepted/rejected, values, message start).
const row = (tok: string): string => `0 ${tok} 0.5 0.1 0.1\n`;

test('numbers: exactly the forms Python float() accepts (then float32)', () => {
  const accepted: [string, number][] = [
    ['.5', 0.5], ['5e-1', 0.5], ['+0.5', 0.5], ['0_0.5', 0.5], ['0.1_0', Math.fround(0.1)], ['\u0660.\u0665', 0.5], ['\uff11', 1],
    ['\u{1d7ce}.\u{1d7d3}', 0.5], ['-0', 0], ['1e-400', 0], ['1.', 1], ['00.25', 0.25], ['1E-1', Math.fround(0.1)],
  ];
  for (const [tok, want] of accepted) {
    const p = parseLabelText(row(tok), 1);
    assert.equal(p.error, undefined, tok);
    assert.equal(p.labels[0].box[0], want, tok);
    assert.ok(!Object.is(p.labels[0].box[0], -0), 'no negative zero leaks out');
  }
  const refused = ['0x1', '0b1', '0o7', '1__0', '_1', '1_', '1,5', '\u00bd', '\u00b9', '0\u0000', '0.5\u200b', '', '.', '1e', 'e1', 'nan(1)', '1.5f', 'infinit'];
  for (const tok of refused.filter((t) => t !== '')) {
    const p = parseLabelText(row(tok), 1);
    assert.match(p.error ?? '', /^could not convert string to float: '.*' \(line 1\)$/, tok);
  }
  assert.match(parseLabelText(row('0x1'), 1).error ?? '', /could not convert string to float: '0x1'/);
  assert.match(parseLabelText(row('0\u0000'), 1).error ?? '', /'0\\x00'/, 'NUL shown as Python repr shows it');
});

test('nan and inf are numbers that fail the range checks, with NumPy messages', () => {
  const cases: [string, string][] = [
    [row('nan'), 'non-normalized or out of bounds coordinates []'],
    [row('NaN'), 'non-normalized or out of bounds coordinates []'],
    [row('inf'), 'non-normalized or out of bounds coordinates [inf]'],
    [row('1e400'), 'non-normalized or out of bounds coordinates [inf]'],
    [row('1e39'), 'non-normalized or out of bounds coordinates [inf]'], // over float32's range
    [row('-inf'), 'negative label values [-inf]'],
    ['nan 0.5 0.5 0.1 0.1\n', 'negative label values []'],
    ['inf 0.5 0.5 0.1 0.1\n', 'cannot convert float infinity to integer (a label class is inf)'],
  ];
  for (const [text, msg] of cases) assert.equal(parseLabelText(text, 80).error, msg, text);
});

test('lines and separators: Python splitlines()/split() whitespace, not JS', () => {
  const two = (sep: string) => `0 0.5 0.5 0.1 0.1${sep}1 0.5 0.5 0.1 0.1`;
  for (const nl of ['\n', '\r\n', '\r', '\v', '\f', '\x1c', '\x85', '\u2028', '\n\n\n', '\r\n\r\n']) {
    assert.equal(parseLabelText(two(nl), 2).labels.length, 2, JSON.stringify(nl));
  }
  for (const sp of ['\t', '\u00a0', '\x1f', '\u3000', '   ']) {
    assert.equal(parseLabelText(`0${sp}0.5 0.5 0.1 0.1\n`, 2).labels.length, 1, JSON.stringify(sp));
  }
  assert.equal(parseLabelText('\n\n   0 0.5 0.5 0.1 0.1   \n\n', 1).labels.length, 1, 'outer whitespace stripped');
  // A line of only whitespace INSIDE the file is a row with no values: NumPy refuses the ragged rows.
  for (const t of [two('\n   \n'), two('\n\t\n'), '0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1\n']) {
    assert.match(parseLabelText(t, 2).error ?? '', /^setting an array element with a sequence\. The requested array has an inhomogeneous shape after 1 dimensions\. The detected shape was \(\d,\) \+ inhomogeneous part\./);
  }
  assert.match(parseLabelText('0 0.5 0.5 0.1 0.1\n0 0x1\n', 2).error ?? '', /inhomogeneous/, 'the shape is checked before the values');
});

test('encoding: strict UTF-8, a byte-order mark is part of the first token (Python open())', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(parseLabelBytes(enc('0 0.5 0.5 0.1 0.1\n'), 1).labels.length, 1);
  assert.match(parseLabelBytes(new Uint8Array([...enc('0 0.5 0.5 0.1 0.1'), 0xff, 0x0a]), 1).error ?? '', /'utf-8' codec can't decode/);
  assert.match(parseLabelBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...enc('0 0.5 0.5 0.1 0.1\n')]), 1).error ?? '', /could not convert string to float: '\\ufeff0'/);
});

test('duplicates: -0 equals 0, and the kept rows come back sorted as np.unique(axis=0) returns them', () => {
  const p = parseLabelText('1 0.5 0.5 0.1 0.1\n0 0.9 0.5 0.1 0.1\n1 0.5 0.5 0.1 0.1\n0 0.2 0.5 0.1 0.1\n', 2);
  assert.equal(p.duplicates, 1);
  assert.deepEqual(p.labels.map((l) => [l.classId, l.box[0]]), [[0, Math.fround(0.2)], [0, Math.fround(0.9)], [1, 0.5]]);
  const z = parseLabelText('-0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1 0.1\n', 1);
  assert.equal(z.duplicates, 1);
  assert.ok(Object.is(z.labels[0].classId, 0));
  const none = parseLabelText('1 0.5 0.5 0.1 0.1\n0 0.9 0.5 0.1 0.1\n', 2);
  assert.deepEqual(none.labels.map((l) => l.classId), [1, 0], 'without duplicates the file order is kept');
});

test('segments: every row becomes points once any row has > 6 values (5-value rows too), float32 box maths', () => {
  const p = parseLabelText('0 0.1 0.2 0.5 0.2 0.5 0.6 0.1 0.6\n1 0.5 0.5 0.2 0.2\n', 2);
  assert.equal(p.error, undefined);
  const f = Math.fround;
  // Reference rows: [0, 0.3, 0.4, 0.4, 0.40000003576278687], [1, 0.35, 0.35, 0.3, 0.3] (float32).
  assert.deepEqual(p.labels.map((l) => [l.classId, ...l.box]), [[0, f(0.3), f(0.4), f(0.4), 0.40000003576278687], [1, f(0.35), f(0.35), f(0.3), f(0.3)]]);
  assert.equal(parseLabelText('0 0.1 0.1 0.2 0.1 0.2 0.2\n \t \n0 0.1 0.1 0.2 0.1 0.2 0.2\n', 1).error, 'list index out of range (line 2 is only whitespace)');
  assert.match(parseLabelText('0 0.1 0.2 0.5 0.2 0.5 0.6\n0\n', 1).error ?? '', /^zero-size array to reduction operation minimum which has no identity/);
  assert.match(parseLabelText('0 0.1 0.2 0.5 0.2 0.5 0.6\n0 0.5\n', 1).error ?? '', /^cannot reshape array of size 1 into shape \(2\)/);
  assert.match(parseLabelText('0 0.1 0.2 0.5 0.2 0.5 0.6\n0x1 0.5 0.5\n', 1).error ?? '', /^could not convert string to float: '0x1' \(line 2\)/);
});

test('classes: over the limit without nc; fractional refused (stricter than Ultralytics)', () => {
  assert.match(parseLabelText('1000000 0.5 0.5 0.1 0.1\n').error ?? '', /over the 10000-class limit/);
  assert.match(parseLabelText('80.5 0.5 0.5 0.1 0.1\n', 80).error ?? '', /Label class 80 exceeds dataset class count 80/);
});

test('300k rows parse in seconds without a stack overflow', () => {
  const rows: string[] = [];
  for (let i = 0; i < 300_000; i++) rows.push(`${i % 80} ${((i % 997) + 1) / 1000} ${((i % 991) + 1) / 1000} 0.01 0.02`);
  const t0 = performance.now();
  const p = parseLabelText(rows.join('\n'), 80);
  const ms = performance.now() - t0;
  assert.equal(p.error, undefined);
  assert.equal(p.labels.length + p.duplicates, 300_000);
  // A generous bound for a shared 2-core machine (it takes well under a second alone).
  assert.ok(ms < 10_000, `${ms} ms`);
});
