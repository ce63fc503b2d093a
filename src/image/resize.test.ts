import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { axisTable, resizeBilinearCv, resizeLinearU8 } from './resize.js';

/** Deterministic 3-channel pattern, reproducible in numpy: ((x*7 + y*13 + c*50) ^ (x*y)) & 255. */
function pattern(w: number, h: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) d[(y * w + x) * 3 + c] = ((x * 7 + y * 13 + c * 50) ^ (x * y)) & 255;
  return d;
}

// sha256 of cv2.resize(pattern(sw, sh), (dw, dh), interpolation=cv2.INTER_LINEAR) computed with
// OpenCV 4.6.0 (Debian python3-opencv 4.6.0+dfsg-12, the build Ultralytics used for the fixtures).
const CV2_GOLDEN: [number, number, number, number, string][] = [
  [37, 23, 64, 41, 'c8c5146eb2a1d124b53a3f0766c8d5e8f48a25719655b09d0910de2482b4a06d'],
  [101, 67, 40, 27, '12af006028e0a92e680d9d98c91e039f5cc3439579cdca91cf1918966f476ee1'],
  [64, 48, 128, 96, 'c5f631ec97569017b326f4443109368fb780f3a01dab562ee1139706b75dfe26'],
  [64, 48, 32, 24, 'bc46bc1e89c54c7a500d3adc51c6bf29d7bf84b26a2cc0496c8d3de7d6cb2b5f'],
  [5, 3, 17, 11, '41b27ce70476a44c55cc0c2455b43339c7ad63271ba635c49eb9b06819cfbbc3'],
  [200, 150, 199, 151, 'b74f84c39e6c9b63aea6e224e4bdf320f64d74cc1eeaa638be91b93a19a9242a'],
  [1, 1, 3, 2, 'be79dc69f3305161396afff54b6d4fd1bf709a29d93c28ab3c974106da83c4cf'],
  [13, 1, 5, 1, 'b170f9632a6f76ed5b80b9036e175039c085373b38c9d75b66d54fe8edfa2f60'],
  [810, 1080, 480, 640, '134b7cfcbd4923b0f4068118989ff8268ad9d355f2d6e3eef21b72b435174ab0'],
];

test('resize matches cv2.resize INTER_LINEAR golden hashes (up, down, 2x, odd, 1-pixel)', () => {
  for (const [sw, sh, dw, dh, hash] of CV2_GOLDEN) {
    const out = resizeLinearU8(pattern(sw, sh), sw, sh, 3, dw, dh);
    assert.equal(createHash('sha256').update(out).digest('hex'), hash, `${sw}x${sh} -> ${dw}x${dh}`);
  }
});

/** Python-style half-to-even rounding, written independently of resize.ts. */
function rint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Slow per-pixel reference of OpenCV's fixed-point bilinear: float32 source coordinate, 11-bit
 * weights, x clamped to the border with weight (2048, 0), y rows clamped, vertical rounding
 * ((h0 >> 4) * b0 >> 16) + ((h1 >> 4) * b1 >> 16) + 2 >> 2.
 */
function slowResize(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  const coord = (d: number, s: number, dn: number) => {
    const f = Math.fround((d + 0.5) * (1 / (dn / s)) - 0.5);
    const i = Math.floor(f);
    return { i, f: f - i };
  };
  const out = new Uint8Array(dw * dh * 3);
  for (let dy = 0; dy < dh; dy++) {
    const { i: sy, f: fy } = coord(dy, sh, dh);
    const b = [rint(Math.fround(1 - fy) * 2048), rint(fy * 2048)];
    const rows = [Math.min(Math.max(sy, 0), sh - 1), Math.min(Math.max(sy + 1, 0), sh - 1)];
    for (let dx = 0; dx < dw; dx++) {
      let { i: sx, f: fx } = coord(dx, sw, dw);
      if (sx < 0) [sx, fx] = [0, 0];
      if (sx >= sw - 1) [sx, fx] = [sw - 1, 0];
      const a = [rint(Math.fround(1 - fx) * 2048), rint(fx * 2048)];
      const sx1 = Math.min(sx + 1, sw - 1);
      for (let c = 0; c < 3; c++) {
        const h = rows.map((r) => src[(r * sw + sx) * 3 + c] * a[0] + src[(r * sw + sx1) * 3 + c] * a[1]);
        out[(dy * dw + dx) * 3 + c] = ((((h[0] >> 4) * b[0]) >> 16) + (((h[1] >> 4) * b[1]) >> 16) + 2) >> 2;
      }
    }
  }
  return out;
}

test('resize equals the slow per-pixel reference on random odd sizes, up and down', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return 1 + (seed % n);
  };
  for (let k = 0; k < 60; k++) {
    const sw = rnd(70);
    const sh = rnd(70);
    const dw = k % 3 === 0 ? sw * 3 : rnd(90);
    const dh = k % 3 === 0 ? sh * 2 + 1 : rnd(90);
    const src = new Uint8Array(sw * sh * 3).map(() => rnd(256) - 1);
    const fast = resizeLinearU8(src, sw, sh, 3, dw, dh);
    assert.deepEqual(fast, slowResize(src, sw, sh, dw, dh), `${sw}x${sh} -> ${dw}x${dh}`);
  }
});

test('same size is a copy, not a resample; bad targets throw', () => {
  const src = { width: 4, height: 3, data: pattern(4, 3) };
  const out = resizeBilinearCv(src, 4, 3);
  assert.deepEqual(out.data, src.data);
  assert.notEqual(out.data, src.data);
  assert.throws(() => resizeBilinearCv(src, 0, 3), { code: 'BAD_ARGUMENT' });
  assert.throws(() => resizeBilinearCv(src, 2.5, 3), { code: 'BAD_ARGUMENT' });
});

test('axis tables: weights sum to 2048, borders clamp like OpenCV', () => {
  const up = axisTable(3, 7, true);
  assert.equal(up.ofs[0], 0); // sx < 0 -> (0, fx = 0)
  assert.deepEqual([up.w0[0], up.w1[0]], [2048, 0]);
  assert.equal(up.ofs[6], 2); // last column -> (src - 1, fx = 0)
  assert.deepEqual([up.w0[6], up.w1[6]], [2048, 0]);
  const y = axisTable(3, 7, false);
  assert.equal(y.ofs[0], -1); // y keeps the raw floor; rows are clamped later
  for (const t of [up, y, axisTable(1080, 640, true)]) for (let i = 0; i < t.ofs.length; i++) assert.equal(t.w0[i] + t.w1[i], 2048);
});
