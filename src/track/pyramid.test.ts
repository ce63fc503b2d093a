import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GreyImage } from './features.js';
import { buildPyramid, pyrDown, scharrDeriv } from './pyramid.js';

function image(w: number, h: number, fn: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = Math.max(0, Math.min(255, Math.round(fn(x, y))));
  return { width: w, height: h, data };
}

test('pyrDown: 5x5 Gaussian on every other pixel, (sum + 128) >> 8, reflect-101 border', () => {
  const flat = pyrDown(image(9, 7, () => 123));
  assert.deepEqual([flat.width, flat.height], [5, 4]);
  assert.ok(flat.data.every((v) => v === 123));
  // an impulse at (4, 4) lands on output (2, 2) with weight 6 * 6 / 256
  const imp = pyrDown(image(10, 10, (x, y) => (x === 4 && y === 4 ? 255 : 0)));
  assert.equal(imp.data[2 * 5 + 2], (255 * 36 + 128) >> 8);
  assert.equal(imp.data[2 * 5 + 1], (255 * 6 + 128) >> 8); // (2, 1) sees it with weight 6 * 1
  // at the edge, reflect-101: pixel 1 counts twice for output 0 (taps at -1 and 1)
  const edge = pyrDown(image(6, 6, (x, y) => (x === 1 && y === 0 ? 255 : 0)));
  assert.equal(edge.data[0], (255 * 6 * 8 + 128) >> 8);
});

test('buildPyramid stops once the next level would fit in the window', () => {
  assert.deepEqual(buildPyramid(image(384, 288, () => 0)).map((l) => [l.width, l.height]), [[384, 288], [192, 144], [96, 72], [48, 36]]);
  assert.deepEqual(buildPyramid(image(60, 60, () => 0)).map((l) => l.width), [60, 30]);
  const lv = buildPyramid(image(30, 25, (x) => x))[0];
  assert.equal(lv.stride, 30 + 2 * 21);
  // the padding is reflect-101 of the image
  assert.equal(lv.img[lv.border * lv.stride + lv.border - 1], 1);
});

test('scharrDeriv: unnormalised Scharr, zero outside the image', () => {
  const lv = buildPyramid(image(30, 30, (x) => 2 * x))[0];
  const d = scharrDeriv(lv);
  const at = (x: number, y: number, c: number): number => d[((y + lv.border) * lv.stride + x + lv.border) * 2 + c];
  assert.equal(at(10, 10, 0), 16 * 2 * 2); // (3 + 10 + 3) * (I(x+1) - I(x-1))
  assert.equal(at(10, 10, 1), 0);
  assert.equal(at(0, 10, 0), 0); // reflect-101: I(-1) = I(1)
  assert.equal(at(-1, 10, 0), 0);
  assert.equal(at(30, 10, 0), 0);
});
