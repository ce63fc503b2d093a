import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GreyImage } from './features.js';
import { calcOpticalFlowPyrLK } from './optflow.js';
import { buildPyramid } from './pyramid.js';

function image(w: number, h: number, fn: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = Math.max(0, Math.min(255, Math.round(fn(x, y))));
  return { width: w, height: h, data };
}

/** A smooth texture with gradients in every direction, shifted by (dx, dy). */
const texture = (dx: number, dy: number) => (x: number, y: number): number => {
  const u = x - dx, v = y - dy;
  return 128 + 45 * Math.sin(0.21 * u + 0.07 * v) + 40 * Math.sin(0.05 * u - 0.19 * v) + 25 * Math.sin(0.13 * (u + v));
};

test('calcOpticalFlowPyrLK recovers a global shift of a smooth texture', () => {
  const shift = [6.3, -3.6];
  const a = buildPyramid(image(160, 120, texture(0, 0)));
  const b = buildPyramid(image(160, 120, texture(shift[0], shift[1])));
  const pts: number[] = [];
  for (let y = 30; y <= 90; y += 15) for (let x = 30; x <= 130; x += 20) pts.push(x, y);
  const { next, status } = calcOpticalFlowPyrLK(a, b, new Float32Array(pts));
  for (let i = 0; i < pts.length / 2; i++) {
    assert.equal(status[i], 1, `point ${i}`);
    // uint8 quantisation of the two renderings limits the accuracy to a few hundredths of a pixel
    assert.ok(Math.abs(next[2 * i] - pts[2 * i] - shift[0]) < 0.1, `dx ${next[2 * i] - pts[2 * i]}`);
    assert.ok(Math.abs(next[2 * i + 1] - pts[2 * i + 1] - shift[1]) < 0.1, `dy ${next[2 * i + 1] - pts[2 * i + 1]}`);
  }
});

test('calcOpticalFlowPyrLK: status 0 for a point outside the frame or on a flat window', () => {
  const tex = buildPyramid(image(120, 100, texture(0, 0)));
  const flat = buildPyramid(image(120, 100, () => 90));
  const far = calcOpticalFlowPyrLK(tex, tex, new Float32Array([-40, -40, 60, 50]));
  assert.deepEqual(Array.from(far.status), [0, 1]);
  assert.deepEqual(Array.from(far.next.slice(2)), [60, 50], 'identical frames: no motion');
  assert.deepEqual(Array.from(calcOpticalFlowPyrLK(flat, flat, new Float32Array([60, 50])).status), [0]);
});
