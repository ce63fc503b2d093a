import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeyoloError } from '../errors.js';
import { GMC_CORNERS, downscaleGrey, goodFeatures, minEigenMap, reflect101, rgbToGrey } from './features.js';
import type { GreyImage } from './features.js';

/** A w x h grey image from a pixel function. */
function image(w: number, h: number, fn: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = fn(x, y);
  return { width: w, height: h, data };
}

test('rgbToGrey uses OpenCV 4.6 BGR2GRAY 15-bit fixed point', () => {
  const rgb = new Uint8Array([255, 255, 255, 0, 0, 0, 182, 139, 92, 0, 0, 255]);
  const g = rgbToGrey({ width: 4, height: 1, data: rgb });
  // (182, 139, 92) is a vtest.avi pixel: cv2 4.6.0 gives 147, the 14-bit formula 146.
  // Pure blue: (255 * 3735 + 16384) >> 15 = 29 (cv2 gives 29).
  assert.deepEqual(Array.from(g.data), [255, 0, 147, 29]);
  assert.throws(() => rgbToGrey({ width: 2, height: 2, data: new Uint8Array(5) }), LeyoloError);
});

test('downscaleGrey: exact 2x is the rounded 2x2 mean; factor 1 is the image itself', () => {
  const g = image(4, 2, (x, y) => [10, 11, 200, 0, 13, 12, 1, 2][y * 4 + x]);
  const d = downscaleGrey(g, 2);
  assert.equal(d.width, 2);
  assert.equal(d.height, 1);
  assert.deepEqual(Array.from(d.data), [(10 + 11 + 13 + 12 + 2) >> 2, (200 + 0 + 1 + 2 + 2) >> 2]);
  assert.equal(downscaleGrey(g, 1), g);
  // width // 2, height // 2 like the official cv2.resize call
  const odd = downscaleGrey(image(7, 5, () => 9), 2);
  assert.deepEqual([odd.width, odd.height], [3, 2]);
  assert.ok(odd.data.every((v) => v === 9));
});

test('reflect101 mirrors without repeating the edge pixel', () => {
  assert.deepEqual([-2, -1, 0, 4, 5, 6].map((i) => reflect101(i, 5)), [2, 1, 0, 4, 3, 2]);
  assert.equal(reflect101(-3, 1), 0);
});

test('minEigenMap is zero on flat and straight-edge regions and peaks at a corner', () => {
  assert.ok(minEigenMap(image(12, 10, () => 77)).every((v) => v === 0));
  // a bright square [10, 20) x [10, 20) on black
  const g = image(32, 32, (x, y) => (x >= 10 && x < 20 && y >= 10 && y < 20 ? 200 : 0));
  const eig = minEigenMap(g);
  let best = 0;
  for (let i = 1; i < eig.length; i++) if (eig[i] > eig[best]) best = i;
  const bx = best % 32, by = Math.floor(best / 32);
  assert.ok((bx === 9 || bx === 10 || bx === 19 || bx === 20) && (by === 9 || by === 10 || by === 19 || by === 20), `peak at ${bx},${by}`);
  assert.ok(Math.abs(eig[15 * 32 + 10]) < 1e-7, 'middle of an edge: one direction only');
  assert.equal(eig[15 * 32 + 15], 0, 'inside the square');
});

test('goodFeatures: corners strongest first, above the quality level, off the border, at most maxCorners', () => {
  const g = image(40, 40, (x, y) => (x >= 8 && x < 30 && y >= 12 && y < 26 ? 180 : 20));
  const eig = minEigenMap(g);
  const pts = goodFeatures(g, GMC_CORNERS);
  assert.ok(pts.length / 2 >= 4, `${pts.length / 2} corners`);
  const score = (k: number): number => eig[pts[2 * k + 1] * 40 + pts[2 * k]];
  let max = 0;
  for (const v of eig) max = Math.max(max, v);
  for (let k = 0; k < pts.length / 2; k++) {
    const x = pts[2 * k], y = pts[2 * k + 1];
    assert.ok(x >= 1 && x <= 38 && y >= 1 && y <= 38, 'never on the one-pixel frame');
    assert.ok(score(k) > max * 0.01, 'above qualityLevel * max');
    if (k > 0) assert.ok(score(k) <= score(k - 1), 'sorted by response');
  }
  // the four strongest are the square's corners
  const near = (x: number, y: number): boolean => [7, 8, 29, 30].includes(x) && [11, 12, 25, 26].includes(y);
  for (let k = 0; k < 4; k++) assert.ok(near(pts[2 * k], pts[2 * k + 1]), `corner ${k} at ${pts[2 * k]},${pts[2 * k + 1]}`);
  assert.equal(goodFeatures(g, { ...GMC_CORNERS, maxCorners: 3 }).length, 6);
});

test('goodFeatures: equal responses keep the later pixel first; minDistance thins the set', () => {
  // two identical squares: their corners tie exactly
  const sq = (x: number, y: number, x0: number): boolean => x >= x0 && x < x0 + 6 && y >= 10 && y < 16;
  const g = image(48, 26, (x, y) => (sq(x, y, 8) || sq(x, y, 30) ? 220 : 30));
  const eig = minEigenMap(g);
  const pts = goodFeatures(g);
  const idx = (k: number): number => pts[2 * k + 1] * 48 + pts[2 * k];
  let ties = 0;
  for (let k = 1; k < pts.length / 2; k++) {
    if (eig[idx(k)] === eig[idx(k - 1)]) {
      ties++;
      assert.ok(idx(k) < idx(k - 1), 'a tie lists the later raster position first');
    }
  }
  assert.ok(ties >= 4, `${ties} ties`);
  // cv2.goodFeaturesToTrack(g, 1000, 0.01, 1) on this image (OpenCV 4.6.0) returns exactly this order
  assert.deepEqual(Array.from(pts), [35, 15, 30, 15, 13, 15, 8, 15, 35, 10, 30, 10, 13, 10, 8, 10]);
  const thin = goodFeatures(g, { ...GMC_CORNERS, minDistance: 10 });
  for (let a = 0; a < thin.length; a += 2) {
    for (let b = a + 2; b < thin.length; b += 2) assert.ok(Math.hypot(thin[a] - thin[b], thin[a + 1] - thin[b + 1]) >= 10);
  }
  assert.ok(thin.length >= 4 && thin.length < pts.length);
});
