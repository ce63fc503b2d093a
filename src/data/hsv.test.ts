import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentHsv, hsvLuts, hsvToRgb, rgbToHsv } from './hsv.js';
import { Rng } from './rng.js';

test('hsvLuts: hue wraps mod 180, sat/val clip to 255, values truncated (numpy astype)', () => {
  const [h, s, v] = hsvLuts(1.01, 1.5, 0.5);
  assert.equal(h[179], Math.trunc((179 * 1.01) % 180)); // 180.79 % 180 = 0.79 -> 0
  assert.equal(h[100], 101);
  assert.equal(s[200], 255);
  assert.equal(v[101], 50);
});

test('8-bit HSV round trip stays within the hue quantisation error', () => {
  // OpenCV keeps H in 2-degree steps: the middle channel of a saturated colour can move by up to
  // 255 * (1 deg / 60 deg) ~ 4.3 levels, so 5 is the bound; the mean error is much smaller.
  const hsv = new Uint8Array(3), rgb = new Uint8Array(3);
  let worst = 0, sum = 0, n = 0;
  for (let r = 0; r < 256; r += 15) for (let g = 0; g < 256; g += 15) for (let b = 0; b < 256; b += 15) {
    rgbToHsv(r, g, b, hsv);
    hsvToRgb(hsv[0], hsv[1], hsv[2], rgb, 0);
    const e = Math.max(Math.abs(rgb[0] - r), Math.abs(rgb[1] - g), Math.abs(rgb[2] - b));
    worst = Math.max(worst, e);
    sum += e;
    n++;
  }
  assert.ok(worst <= 5, `worst ${worst}`);
  assert.ok(sum / n < 1.5, `mean ${sum / n}`);
  rgbToHsv(255, 0, 0, hsv);
  assert.deepEqual([...hsv], [0, 255, 255]);
  rgbToHsv(0, 0, 255, hsv);
  assert.deepEqual([...hsv], [120, 255, 255]); // 240 degrees / 2
});

test('augmentHsv: greys keep hue/sat 0 and scale by the value gain drawn from the rng', () => {
  const img = { width: 2, height: 1, data: new Uint8Array([100, 100, 100, 200, 200, 200]) };
  const replay = new Rng(5);
  replay.uniform(-1, 1);
  replay.uniform(-1, 1);
  const rv = replay.uniform(-1, 1) * 0.4 + 1; // third draw is the value gain
  augmentHsv(img, 0.015, 0.7, 0.4, new Rng(5));
  const want = [Math.trunc(Math.min(100 * rv, 255)), Math.trunc(Math.min(200 * rv, 255))];
  assert.deepEqual([...img.data], [want[0], want[0], want[0], want[1], want[1], want[1]]);
  const same = { width: 1, height: 1, data: new Uint8Array([10, 200, 30]) };
  augmentHsv(same, 0, 0, 0, new Rng(0));
  assert.deepEqual([...same.data], [10, 200, 30]); // all gains 0: untouched
});

test('augmentHsv (inlined) equals rgbToHsv -> LUTs -> hsvToRgb pixel by pixel', () => {
  const src = new Rng(9), n = 5000;
  const img = { width: n, height: 1, data: Uint8Array.from({ length: n * 3 }, () => src.int(256)) };
  const ref = img.data.slice();
  const replay = new Rng(4);
  const r = [0.015, 0.7, 0.4].map((g) => replay.uniform(-1, 1) * g + 1);
  const [lh, ls, lv] = hsvLuts(r[0], r[1], r[2]);
  const hsv = new Uint8Array(3);
  for (let o = 0; o < ref.length; o += 3) {
    rgbToHsv(ref[o], ref[o + 1], ref[o + 2], hsv);
    hsvToRgb(lh[hsv[0]], ls[hsv[1]], lv[hsv[2]], ref, o);
  }
  augmentHsv(img, 0.015, 0.7, 0.4, new Rng(4));
  assert.deepEqual(img.data, ref);
});
