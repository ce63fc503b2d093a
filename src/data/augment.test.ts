// Geometric augmentations on synthetic images with solid rectangles at known places: after each transform
// every label box must match its rectangle's measured pixel extent.
//
// Measuring: a pixel belongs to a rectangle if its colour is nearer (Euclidean RGB) to the rectangle's colour
// than to the background, the 114 border or any other palette colour. Where resampling blends a rectangle
// with its neighbour (bilinear), that is the pixel whose centre lies inside the rectangle's continuous
// extent to within half a pixel, so after a resize/warp an edge can be off by up to 0.5 px plus the uint8
// rounding of the blend: tolerance 1 px. Pure copies (flip, letterbox pad, mosaic placement) are exact: 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../image/types.js';
import { randomAffine } from './affine.js';
import type { PixelLabel } from './geometry.js';
import { boxCandidate } from './geometry.js';
import { DEFAULT_HYP, mosaicEnabled } from './hyp.js';
import type { AugmentHyp } from './hyp.js';
import { mosaic4 } from './mosaic.js';
import { Rng } from './rng.js';
import { buildTrainSample, flip, loadResized, padToSquare } from './sample.js';
import type { Dataset } from './types.js';
import { collate } from './collate.js';

const BG: RGB = [0, 0, 0];
type RGB = [number, number, number];
const PALETTE: RGB[] = [[250, 0, 0], [0, 250, 0], [0, 0, 250], [250, 250, 0], [250, 0, 250], [0, 250, 250], [250, 140, 0], [140, 0, 250]];

/** An image of w x h with rectangles (pixel xyxy, integer, exclusive end) in palette colours. */
function synth(w: number, h: number, rects: number[][], colour0 = 0): { image: RgbImage; labels: PixelLabel[] } {
  const data = new Uint8Array(w * h * 3);
  rects.forEach(([x0, y0, x1, y1], k) => {
    const c = PALETTE[colour0 + k];
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data.set(c, (y * w + x) * 3);
  });
  return { image: { width: w, height: h, data }, labels: rects.map((r, k) => ({ classId: colour0 + k, box: [r[0], r[1], r[2], r[3]] })) };
}

const d2 = (img: RgbImage, o: number, c: readonly number[]): number =>
  (img.data[o] - c[0]) ** 2 + (img.data[o + 1] - c[1]) ** 2 + (img.data[o + 2] - c[2]) ** 2;

/** Extent [x0, y0, x1, y1) of the pixels nearest to PALETTE[k], optionally within a window. */
function extent(img: RgbImage, k: number, win = [0, 0, img.width, img.height]): number[] | undefined {
  const others = [BG, [114, 114, 114], ...PALETTE.filter((_, j) => j !== k)];
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let y = Math.max(0, win[1]); y < Math.min(img.height, win[3]); y++) {
    for (let x = Math.max(0, win[0]); x < Math.min(img.width, win[2]); x++) {
      const o = (y * img.width + x) * 3, dk = d2(img, o, PALETTE[k]);
      if (others.every((c) => dk < d2(img, o, c))) {
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + 1); y1 = Math.max(y1, y + 1);
      }
    }
  }
  return x0 === Infinity ? undefined : [x0, y0, x1, y1];
}

/** Every label's box equals its rectangle's measured extent (searched in the box grown by 3 px) within tol. */
function assertBoxesMatch(img: RgbImage, labels: readonly PixelLabel[], tol: number, what: string): void {
  for (const l of labels) {
    const b = l.box;
    const e = extent(img, l.classId, [Math.floor(b[0]) - 3, Math.floor(b[1]) - 3, Math.ceil(b[2]) + 3, Math.ceil(b[3]) + 3]);
    assert.ok(e, `${what}: rectangle ${l.classId} not visible for box ${b.join(',')}`);
    e.forEach((v, j) => assert.ok(Math.abs(v - b[j]) <= tol, `${what}: class ${l.classId} box ${b.map((x) => x.toFixed(2))} vs pixels ${e}`));
  }
}

const NO_COLOUR: AugmentHyp = { ...DEFAULT_HYP, hsv_h: 0, hsv_s: 0, hsv_v: 0 };

test('Rng: seeded, reproducible, in range', () => {
  const a = new Rng(42), b = new Rng(42);
  const xs = Array.from({ length: 1000 }, () => a.random());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.random()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.ok(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5) < 0.05); // mean of 1000 U(0,1): sd 0.009
  const r = new Rng(1);
  assert.ok(Array.from({ length: 200 }, () => r.int(5)).every((v) => Number.isInteger(v) && v >= 0 && v < 5));
  assert.notDeepEqual(new Rng(1).random(), new Rng(2).random());
});

test('horizontal and vertical flip move boxes exactly with the pixels', () => {
  const s = synth(50, 30, [[3, 4, 10, 20], [30, 10, 47, 27]]);
  assertBoxesMatch(s.image, s.labels, 0, 'input');
  flip(s, 'horizontal');
  assert.deepEqual(s.labels[0].box, [40, 4, 47, 20]);
  assertBoxesMatch(s.image, s.labels, 0, 'fliplr');
  flip(s, 'vertical');
  assertBoxesMatch(s.image, s.labels, 0, 'flipud');
});

test('letterbox: resize long side with ceil, centre pad with 114; boxes follow (resize 1 px, pad exact)', async () => {
  const s = synth(200, 120, [[20, 10, 60, 50], [120, 70, 190, 110]]);
  const ds: Dataset = { names: [], problems: [], items: [{ image: 'x', labels: s.labels.map((l) => ({ classId: l.classId, box: [(l.box[0] + l.box[2]) / 400, (l.box[1] + l.box[3]) / 240, (l.box[2] - l.box[0]) / 200, (l.box[3] - l.box[1]) / 120] })) }] };
  const r = await loadResized(ds, 0, 128, async () => s.image);
  assert.deepEqual([r.image.width, r.image.height], [128, 77]); // ceil(120 * 0.64) = 77
  assertBoxesMatch(r.image, r.labels, 1, 'resize');
  const sq = padToSquare(r, 128);
  assert.deepEqual([sq.image.width, sq.image.height], [128, 128]);
  assert.equal(sq.image.data[0], 114);
  assert.equal(sq.labels[0].box[1] - r.labels[0].box[1], 25); // top = round((128 - 77) / 2 - 0.1) = 25
  for (const [a, b] of sq.labels.map((l, k) => [l, r.labels[k]])) {
    assert.deepEqual(a.box.map((v, j) => v - b.box[j]), [0, 25, 0, 25]);
  }
  assertBoxesMatch(sq.image, sq.labels, 1, 'letterbox');
});

test('affine scale + translate: boxes match the warped rectangles within 1 px', () => {
  const s = synth(128, 128, [[10, 12, 40, 50], [70, 60, 118, 100], [50, 20, 62, 30]]);
  const params = [
    { scale: 1.4, tx: 0.55, ty: 0.45 },
    { scale: 0.6, tx: 0.4, ty: 0.6 },
    { scale: 1, tx: 0.5, ty: 0.5 },
  ];
  for (const p of params) {
    const out = randomAffine(s.image, s.labels, NO_COLOUR, 0, new Rng(0), { px: 0, py: 0, angle: 0, shearX: 0, shearY: 0, ...p });
    assert.ok(out.labels.length > 0);
    assertBoxesMatch(out.image, out.labels, 1, `affine ${JSON.stringify(p)}`);
  }
  for (let seed = 0; seed < 5; seed++) {
    const out = randomAffine(s.image, s.labels, NO_COLOUR, 0, new Rng(seed));
    assertBoxesMatch(out.image, out.labels, 1, `random affine seed ${seed}`);
  }
});

test('box_candidates drops slivers and mostly-cut boxes', () => {
  assert.equal(boxCandidate([0, 0, 10, 10], [0, 0, 10, 10]), true);
  assert.equal(boxCandidate([0, 0, 10, 10], [0, 0, 10, 2]), false); // 2 px is not > wh_thr 2
  assert.equal(boxCandidate([0, 0, 100, 100], [0, 0, 30, 30]), false); // keeps 9% < area_thr 10%
  assert.equal(boxCandidate([0, 0, 400, 400], [0, 0, 3, 301]), false); // aspect ratio 100.3 >= 100
  // a box moved mostly off the canvas is dropped by randomAffine
  const s = synth(64, 64, [[2, 2, 20, 20]]);
  const out = randomAffine(s.image, s.labels, NO_COLOUR, 0, new Rng(0), { px: 0, py: 0, angle: 0, shearX: 0, shearY: 0, scale: 1, tx: 0.25, ty: 0.25 });
  assert.equal(out.labels.length, 0);
});

test('mosaic: tiles placed around the centre, labels shifted exactly; affine crops 2S back to S', () => {
  const S = 64;
  const parts = [
    synth(64, 40, [[5, 5, 30, 30]], 0),
    synth(50, 64, [[10, 40, 45, 60]], 1),
    synth(64, 64, [[2, 2, 20, 62]], 2),
    synth(30, 64, [[5, 5, 25, 25]], 3),
  ];
  for (let seed = 0; seed < 6; seed++) {
    const replay = new Rng(seed);
    const yc = Math.trunc(replay.uniform(S / 2, 1.5 * S)), xc = Math.trunc(replay.uniform(S / 2, 1.5 * S));
    const m = mosaic4(parts, S, new Rng(seed));
    assert.deepEqual([m.image.width, m.image.height], [128, 128]);
    assertBoxesMatch(m.image, m.labels, 0, `mosaic seed ${seed}`);
    // tile 0 ends exactly at the centre: its bottom-right pixel is (xc-1, yc-1) and equals image 0's
    const o = ((yc - 1) * 128 + xc - 1) * 3, src = parts[0].image, so = ((src.height - 1) * src.width + src.width - 1) * 3;
    assert.deepEqual([...m.image.data.subarray(o, o + 3)], [...src.data.subarray(so, so + 3)]);
    const a = randomAffine(m.image, m.labels, NO_COLOUR, -S / 2, new Rng(seed + 100));
    assert.deepEqual([a.image.width, a.image.height], [S, S]);
    assertBoxesMatch(a.image, a.labels, 1, `mosaic+affine seed ${seed}`);
  }
});

function synthDataset(): { ds: Dataset; images: Map<string, RgbImage> } {
  const specs = [[160, 96, [[10, 10, 60, 50], [100, 40, 150, 90]]], [96, 160, [[10, 100, 80, 150]]], [128, 128, [[30, 30, 100, 100]]], [200, 100, [[20, 20, 90, 80], [120, 10, 190, 60]]]] as const;
  const images = new Map<string, RgbImage>();
  let colour = 0;
  const items = specs.map(([w, h, rects], i) => {
    const s = synth(w, h, rects.map((r) => [...r]), colour);
    colour += rects.length;
    images.set(`img${i}`, s.image);
    return { image: `img${i}`, labels: s.labels.map((l) => ({ classId: l.classId, box: [(l.box[0] + l.box[2]) / 2 / w, (l.box[1] + l.box[3]) / 2 / h, (l.box[2] - l.box[0]) / w, (l.box[3] - l.box[1]) / h] as [number, number, number, number] })) };
  });
  return { ds: { names: PALETTE.map((_, k) => `c${k}`), items, problems: [] }, images };
}

test('buildTrainSample (mosaic and letterbox paths) + collate: normalised labels match the pixels', async () => {
  const { ds, images } = synthDataset();
  const load = async (p: string): Promise<RgbImage> => {
    const im = images.get(p);
    assert.ok(im);
    return { width: im.width, height: im.height, data: im.data.slice() };
  };
  const S = 96, samples = [];
  for (let seed = 0; seed < 8; seed++) {
    for (const mosaic of [true, false]) {
      const s = await buildTrainSample(ds, seed % 4, { imgsz: S, mosaic, hyp: NO_COLOUR, load }, new Rng(seed));
      assert.deepEqual([s.image.width, s.image.height], [S, S]);
      const px = s.labels.map((l): PixelLabel => ({ classId: l.classId, box: [(l.box[0] - l.box[2] / 2) * S, (l.box[1] - l.box[3] / 2) * S, (l.box[0] + l.box[2] / 2) * S, (l.box[1] + l.box[3] / 2) * S] }));
      assertBoxesMatch(s.image, px, 1, `sample seed ${seed} mosaic ${mosaic}`);
      samples.push(s);
    }
  }
  const same = await buildTrainSample(ds, 0, { imgsz: S, mosaic: true, hyp: DEFAULT_HYP, load }, new Rng(3));
  const again = await buildTrainSample(ds, 0, { imgsz: S, mosaic: true, hyp: DEFAULT_HYP, load }, new Rng(3));
  assert.deepEqual(same, again, 'same seed, same sample');
  const batch = collate(samples.slice(0, 3));
  const n = samples.slice(0, 3).reduce((a, s) => a + s.labels.length, 0);
  assert.equal(batch.images.length, 3 * 3 * S * S);
  assert.deepEqual([batch.batchIdx.length, batch.cls.length, batch.boxes.length], [n, n, 4 * n]);
  assert.equal(batch.images[2 * 3 * S * S + S * S], Math.fround(samples[2].image.data[1] / 255)); // image 2, channel G, pixel 0 (float32)
  assert.equal(batch.batchIdx[n - 1], 2);
});

test('close_mosaic: mosaic off for the last closeMosaic epochs', () => {
  assert.deepEqual([0, 89, 90, 99].map((e) => mosaicEnabled(e, 100, DEFAULT_HYP)), [true, true, false, false]);
});
