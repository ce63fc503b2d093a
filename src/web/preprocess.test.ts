import { test } from 'node:test';
import assert from 'node:assert/strict';
import { letterbox, toTensor } from '../image/letterbox.js';
import type { RgbImage } from '../image/types.js';
import { Letterboxer, type Pixels } from './preprocess.js';

/** Deterministic pseudo-random RGB image (xorshift; textured so every resize weight matters). */
function randomRgb(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = s & 255;
  }
  return { width, height, data };
}

function toRgba(im: RgbImage): Pixels {
  const n = im.width * im.height;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    data.set(im.data.subarray(i * 3, i * 3 + 3), i * 4);
    data[i * 4 + 3] = 255;
  }
  return { width: im.width, height: im.height, channels: 4, data };
}

// Sizes: down/up-scaling, odd sizes, exact 2x, unchanged size (copy path), tall and wide.
const SIZES: [number, number][] = [[640, 480], [810, 1080], [1280, 720], [320, 256], [333, 517], [100, 50], [640, 425], [17, 999], [320, 320]];

test('Letterboxer gives exactly toTensor(letterbox(...)) for RGB and RGBA input, both modes', () => {
  const lb = new Letterboxer(); // one instance across all cases: also checks buffer reuse and re-planning
  for (const [i, [w, h]] of SIZES.entries()) {
    const rgb = randomRgb(w, h, i + 1);
    for (const mode of ['predict', 'square'] as const) {
      for (const size of [320, 640]) {
        const ref = letterbox(rgb, { size, mode, stride: 32 });
        const want = toTensor(ref.image);
        for (const px of [{ width: w, height: h, channels: 3, data: rgb.data } as Pixels, toRgba(rgb)]) {
          const got = lb.run(px, size, mode, 32);
          const what = `${w}x${h} ${mode} ${size} cn=${px.channels}`;
          assert.deepEqual([got.width, got.height], [ref.image.width, ref.image.height], what);
          assert.deepEqual(got.info, ref.info, what);
          assert.equal(got.tensor.length, want.length, what);
          // Bit-exact: the same fixed-point resize and the same float32(v / 255) table.
          const bad = want.findIndex((v, k) => v !== got.tensor[k]);
          assert.equal(bad, -1, `${what}: first difference at ${bad}`);
        }
      }
    }
  }
});

test('Letterboxer reuses its tensor while the geometry is unchanged', () => {
  const lb = new Letterboxer();
  const a = lb.run(toRgba(randomRgb(640, 480, 7)), 320, 'predict');
  const b = lb.run(toRgba(randomRgb(640, 480, 8)), 320, 'predict');
  assert.equal(a.tensor, b.tensor);
  const c = lb.run(toRgba(randomRgb(480, 640, 9)), 320, 'predict');
  assert.notEqual(c.tensor, b.tensor);
});
