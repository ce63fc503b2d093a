import { test } from 'node:test';
import assert from 'node:assert/strict';
import { letterbox, pyRound, rectValShape, toTensor, PAD_VALUE } from './letterbox.js';
import type { RgbImage } from './types.js';

function solid(width: number, height: number, v = 200): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(v) };
}

/** [W, H, left, top] of a letterbox result. */
function geom(img: RgbImage, size: number | [number, number], mode: 'predict' | 'square' | 'val' | 'val-rect') {
  const r = letterbox(img, { size, mode });
  return [r.image.width, r.image.height, r.padX, r.padY];
}

test('pyRound is Python round(): ties to even', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 212.5, 213.5, 7.9, 8.1].map(pyRound), [0, 2, 2, 0, -2, 212, 214, 8, 8]);
});

test('predict letterbox = minimal stride-32 rectangle (values from the official fixtures/README)', () => {
  assert.deepEqual(geom(solid(810, 1080), 640, 'predict'), [480, 640, 0, 0]);
  assert.deepEqual(geom(solid(810, 1080), 320, 'predict'), [256, 320, 8, 0]);
  assert.deepEqual(geom(solid(1280, 720), 640, 'predict'), [640, 384, 0, 12]);
  assert.deepEqual(geom(solid(1280, 720), 640, 'square'), [640, 640, 0, 140]);
  assert.deepEqual(geom(solid(810, 1080), [640, 480], 'square'), [480, 640, 0, 0]);
  // Upscaling small images (scaleup=True in predict).
  assert.deepEqual(geom(solid(100, 50), 640, 'predict'), [640, 320, 0, 0]);
});

test('predict uses banker\'s rounding for the resized size (640x425 at 320 -> 212.5 -> 212 rows)', () => {
  const r = letterbox(solid(640, 425), { size: 320, mode: 'predict' });
  // new_unpad h = round(212.5) = 212, dh = 108 % 32 = 12 -> 6 top, 6 bottom (half-up would give 213 and 5/6).
  assert.deepEqual([r.image.width, r.image.height, r.padY], [320, 224, 6]);
  const w = r.image.width * 3;
  assert.equal(r.image.data[5 * w], PAD_VALUE);
  assert.equal(r.image.data[6 * w], 200);
  assert.equal(r.image.data[(6 + 211) * w], 200);
  assert.equal(r.image.data[(6 + 212) * w], PAD_VALUE);
});

test('val resizes the long side with ceil, then pads to a square (no second resize)', () => {
  // 333x500 at 640: r = 1.28, w = ceil(426.24) = 427 (predict would round to 426); left = round(106.5 - 0.1) = 106.
  const v = letterbox(solid(333, 500), { size: 640, mode: 'val' });
  assert.deepEqual([v.image.width, v.image.height, v.padX, v.padY], [640, 640, 106, 0]);
  const row = v.image.data.subarray(300 * 640 * 3, 301 * 640 * 3);
  let content = 0;
  for (let x = 0; x < 640; x++) if (row[3 * x] !== PAD_VALUE) content++;
  assert.equal(content, 427);
  // scale_boxes for val uses ratio_pad = (resized_h / h0, (left, top)).
  assert.deepEqual(v.info, { ratio: 640 / 500, padX: 106, padY: 0, srcW: 333, srcH: 500, dstW: 640, dstH: 640 });
  const p = letterbox(solid(333, 500), { size: 640, mode: 'square' });
  assert.equal(p.padX, 107); // 426 wide, dw = 107
  assert.throws(() => letterbox(solid(10, 10), { size: [640, 480], mode: 'val' }), { code: 'BAD_ARGUMENT' });
});

test('val-rect pads to ceil(shape * S / 32 + 0.5) * 32 (numbers computed with numpy)', () => {
  assert.deepEqual(rectValShape(500, 375, 640, 32), [512, 672]);
  assert.deepEqual(rectValShape(333, 500, 640, 32), [672, 448]);
  assert.deepEqual(rectValShape(640, 640, 640, 32), [672, 672]);
  assert.deepEqual(geom(solid(500, 375), 640, 'val-rect'), [672, 512, 16, 16]);
});

test('LetterboxInfo reproduces scale_boxes(ratio_pad=None) gain and pad', () => {
  const z = letterbox(solid(1280, 720), { size: 640, mode: 'predict' }).info;
  assert.deepEqual(z, { ratio: 0.5, padX: 0, padY: 12, srcW: 1280, srcH: 720, dstW: 640, dstH: 384 });
  const b = letterbox(solid(810, 1080), { size: 320, mode: 'predict' }).info;
  assert.equal(b.ratio, Math.min(320 / 1080, 256 / 810));
  assert.deepEqual([b.padX, b.padY], [8, 0]);
});

test('toTensor: NCHW RGB / 255 in float32, reusable buffer', () => {
  const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([255, 0, 51, 1, 2, 3]) };
  const t = toTensor(img);
  assert.deepEqual(Array.from(t), [1, 1 / 255, 0, 2 / 255, 51 / 255, 3 / 255].map(Math.fround));
  const buf = new Float32Array(6);
  assert.equal(toTensor(img, buf), buf);
  assert.throws(() => toTensor(img, new Float32Array(5)), { code: 'BAD_ARGUMENT' });
});

test('bad inputs are LeyoloErrors', () => {
  assert.throws(() => letterbox({ width: 2, height: 2, data: new Uint8Array(5) }, { size: 64, mode: 'predict' }), { code: 'BAD_IMAGE' });
  assert.throws(() => letterbox(solid(4, 4), { size: 0, mode: 'predict' }), { code: 'BAD_ARGUMENT' });
});
