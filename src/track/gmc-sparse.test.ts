import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeyoloError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { SparseOptFlowGmc } from './gmc-sparse.js';

/** An RGB frame of a textured scene seen through the similarity x' = s R x + t (full-res pixels). */
function frame(w: number, h: number, s = 1, th = 0, tx = 0, ty = 0): RgbImage {
  const data = new Uint8Array(w * h * 3);
  const c = Math.cos(th) / s, sn = Math.sin(th) / s;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // invert the warp: the scene point that lands on (x, y)
      const u = c * (x - tx) + sn * (y - ty);
      const v = -sn * (x - tx) + c * (y - ty);
      const g = 128 + 45 * Math.sin(0.11 * u + 0.035 * v) + 40 * Math.sin(0.025 * u - 0.095 * v) + 25 * Math.sin(0.065 * (u + v));
      const o = (y * w + x) * 3;
      data[o] = Math.max(0, Math.min(255, Math.round(g)));
      data[o + 1] = Math.max(0, Math.min(255, Math.round(g * 0.8 + 20)));
      data[o + 2] = Math.max(0, Math.min(255, Math.round(255 - g)));
    }
  }
  return { width: w, height: h, data };
}

const none = new Float32Array(0);

test('first frame, null frames and a size change give the identity', () => {
  const gmc = new SparseOptFlowGmc();
  assert.deepEqual(gmc.apply(frame(160, 120), none), [1, 0, 0, 0, 1, 0]);
  assert.deepEqual(gmc.apply(null, none), [1, 0, 0, 0, 1, 0]);
  // a null frame kept the previous one: the next real frame is compared with it
  const w = gmc.apply(frame(160, 120, 1, 0, 4, -2), none);
  assert.ok(Math.abs(w[2] - 4) < 0.2 && Math.abs(w[5] + 2) < 0.2, `shift ${w}`);
  assert.deepEqual(gmc.apply(frame(200, 120), none), [1, 0, 0, 0, 1, 0], 'new size: starts afresh');
  gmc.reset();
  assert.deepEqual(gmc.apply(frame(200, 120), none), [1, 0, 0, 0, 1, 0]);
});

test('recovers a camera shift, rotation and zoom in full-resolution pixels', () => {
  const gmc = new SparseOptFlowGmc();
  gmc.apply(frame(240, 180), none);
  const [s, th, tx, ty] = [1.01, 0.006, 5, -3];
  const w = gmc.apply(frame(240, 180, s, th, tx, ty), none);
  const want = [s * Math.cos(th), -s * Math.sin(th), tx, s * Math.sin(th), s * Math.cos(th), ty];
  // the texture is rendered to uint8 and tracked at half size: ~0.1 px and ~1e-3 of accuracy
  [0, 1, 3, 4].forEach((k) => assert.ok(Math.abs(w[k] - want[k]) < 2e-3, `w[${k}] = ${w[k]} vs ${want[k]}`));
  [2, 5].forEach((k) => assert.ok(Math.abs(w[k] - want[k]) < 0.3, `w[${k}] = ${w[k]} vs ${want[k]}`));
  assert.equal(w[0], w[4], 'a similarity: equal diagonal');
  assert.equal(w[1], -w[3]);
});

test('downscale 1 works on the frame itself; a bad downscale is BAD_ARGUMENT', () => {
  const gmc = new SparseOptFlowGmc({ downscale: 1 });
  gmc.apply(frame(120, 100), none);
  const w = gmc.apply(frame(120, 100, 1, 0, -3, 1.5), none);
  assert.ok(Math.abs(w[2] + 3) < 0.2 && Math.abs(w[5] - 1.5) < 0.2, `shift ${w}`);
  assert.throws(() => new SparseOptFlowGmc({ downscale: Number.NaN }), LeyoloError);
});

test('a frame without texture has no corners: identity, then the next textured frame starts over', () => {
  const gmc = new SparseOptFlowGmc();
  const flat: RgbImage = { width: 160, height: 120, data: new Uint8Array(160 * 120 * 3).fill(90) };
  gmc.apply(flat, none);
  assert.deepEqual(gmc.apply(frame(160, 120), none), [1, 0, 0, 0, 1, 0]);
  const w = gmc.apply(frame(160, 120, 1, 0, 2, 2), none);
  assert.ok(Math.abs(w[2] - 2) < 0.2 && Math.abs(w[5] - 2) < 0.2, `shift ${w}`);
});
