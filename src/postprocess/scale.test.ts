import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeyoloError } from '../errors.js';
import type { Detection } from './candidates.js';
import { letterboxRatioPad, scaleBoxes } from './scale.js';
import { pyRound } from '../image/letterbox.js';

test('pyRound rounds halves to even like Python', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(pyRound), [0, 2, 2, 0, -2, 2, 3]);
});

test('letterboxRatioPad reproduces the fixture letterboxes', () => {
  // zidane 1280x720 -> 640x384 tensor (manifest: scale 0.5, pad top 12)
  assert.deepEqual(letterboxRatioPad({ w: 640, h: 384 }, { w: 1280, h: 720 }), { gain: 0.5, padX: 0, padY: 12 });
  // bus 810x1080 -> 256x320 tensor (manifest: pad left 8)
  const r = letterboxRatioPad({ w: 256, h: 320 }, { w: 810, h: 1080 });
  assert.deepEqual([r.gain, r.padX, r.padY], [320 / 1080, 8, 0]);
  assert.throws(() => letterboxRatioPad({ w: 0, h: 1 }, { w: 1, h: 1 }), LeyoloError);
});

test('scaleBoxes subtracts pad, divides by gain, clips to the image, leaves input intact', () => {
  const dets: Detection[] = [{ box: [-10, 12, 100, 400], score: 0.9, classId: 3 }];
  const out = scaleBoxes(dets, { w: 640, h: 384 }, { w: 1280, h: 720 });
  assert.deepEqual(out, [{ box: [0, 0, 200, 720], score: 0.9, classId: 3 }]);
  assert.deepEqual(dets[0].box, [-10, 12, 100, 400]);
  const explicit = scaleBoxes(dets, { w: 640, h: 384 }, { w: 1280, h: 720 }, { gain: 0.25, padX: 10, padY: 2 });
  assert.deepEqual(explicit[0].box, [0, 40, 360, 720]);
});
