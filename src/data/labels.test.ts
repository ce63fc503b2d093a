import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelText } from './labels.js';
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
    ['1 1.5 0.5 0.1 0.1\n', /non-normalized or out of bounds coordinates 1\.5/],
    ['1 0.5 -0.5 0.1 0.1\n', /negative label values -0\.5/],
    ['-1 0.5 0.5 0.1 0.1\n', /negative label values -1/],
    ['1 0.5 abc 0.1 0.1\n', /not a number: 'abc' on line 1/],
    ['1.5 0.5 0.5 0.1 0.1\n', /not an integer/],
    ['1 0.1 0.1 0.2 0.1 0.2 0.3 0.4\n', /odd number of coordinates/],
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
