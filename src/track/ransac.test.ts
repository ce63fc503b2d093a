import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CvRng, estimateSimilarityRansac, fitSimilarityLS, ransacIters } from './ransac.js';

test('CvRng reproduces OpenCV RNG((uint64)-1)', () => {
  // cv2 4.6.0: cv2.setRNGSeed(-1); a = np.zeros((1, 12), np.int32); cv2.randu(a, 0, 864)
  // (setRNGSeed(-1) is RNG((uint64)-1); randu on int32 draws next() % range like RNG::uniform)
  const r = new CvRng();
  assert.deepEqual(Array.from({ length: 12 }, () => r.uniform(0, 864)), [501, 796, 140, 453, 39, 152, 405, 512, 149, 534, 793, 778]);
  const r2 = new CvRng();
  assert.deepEqual(Array.from({ length: 6 }, () => r2.uniform(0, 1000)), [605, 4, 940, 173, 831, 512]);
  assert.equal(new CvRng().uniform(5, 5), 5);
});

test('ransacIters follows RANSACUpdateNumIters', () => {
  // log(0.01) / log(1 - 0.5^2) = 16.008
  assert.equal(ransacIters(0.99, 0.5, 2, 2000), 16);
  assert.equal(ransacIters(0.99, 0, 2, 2000), 0);
  assert.equal(ransacIters(0.99, 1, 2, 2000), 2000);
  assert.equal(ransacIters(0.99, 0.999, 2, 50), 50, 'never above the current count');
});

/** n points on a grid and their images under the similarity (s, theta, tx, ty). */
function pairs(n: number, s: number, th: number, tx: number, ty: number): { src: number[]; dst: number[] } {
  const src: number[] = [];
  const dst: number[] = [];
  const a = s * Math.cos(th), b = s * Math.sin(th);
  for (let i = 0; i < n; i++) {
    const x = 13 + ((i * 37) % 300), y = 7 + ((i * 53) % 200);
    src.push(x, y);
    dst.push(a * x - b * y + tx, b * x + a * y + ty);
  }
  return { src, dst };
}

test('fitSimilarityLS recovers an exact similarity; null below two points', () => {
  const { src, dst } = pairs(30, 1.02, 0.01, 3.5, -2.25);
  const m = fitSimilarityLS(new Float32Array(src), new Float32Array(dst), null)!;
  const want = [1.02 * Math.cos(0.01), -1.02 * Math.sin(0.01), 3.5, 1.02 * Math.sin(0.01), 1.02 * Math.cos(0.01), -2.25];
  // float32 inputs: the points carry ~1e-5 px of rounding
  m.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-5, `m[${k}] = ${v}`));
  assert.equal(fitSimilarityLS(new Float32Array([1, 2]), new Float32Array([3, 4]), null), null);
});

test('estimateSimilarityRansac ignores gross outliers and refits on the inliers', () => {
  const { src, dst } = pairs(200, 0.999, -0.002, 0.4, 0.15);
  const outliers = new Set<number>();
  for (let i = 0; i < 200; i += 5) {
    dst[2 * i] += 20 + i; // 20% of the pairs moved far beyond the 3 px threshold
    outliers.add(i);
  }
  const fit = estimateSimilarityRansac(new Float32Array(src), new Float32Array(dst))!;
  assert.ok(fit);
  for (let i = 0; i < 200; i++) assert.equal(fit.inliers[i], outliers.has(i) ? 0 : 1, `pair ${i}`);
  const want = [0.999 * Math.cos(-0.002), -0.999 * Math.sin(-0.002), 0.4, 0.999 * Math.sin(-0.002), 0.999 * Math.cos(-0.002), 0.15];
  fit.model.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-4, `m[${k}] = ${v}`));
  // deterministic: the same seed every call
  assert.deepEqual(estimateSimilarityRansac(new Float32Array(src), new Float32Array(dst))!.model, fit.model);
});

test('estimateSimilarityRansac: two pairs give their exact model; fewer give null', () => {
  const fit = estimateSimilarityRansac(new Float32Array([0, 0, 1, 0]), new Float32Array([5, 5, 5, 6]))!;
  // (1, 0) - (0, 0) maps to (0, 1): a 90 degree turn, then a shift by (5, 5)
  const want = [0, -1, 5, 1, 0, 5];
  fit.model.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-12));
  assert.equal(estimateSimilarityRansac(new Float32Array([0, 0]), new Float32Array([1, 1])), null);
  // all source points equal: no sample defines a model
  assert.equal(estimateSimilarityRansac(new Float32Array(10).fill(3), new Float32Array(10).fill(4)), null);
});
