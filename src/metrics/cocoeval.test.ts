import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cocoEval } from './cocoeval.js';
import type { CocoDet, CocoGt } from './cocoeval.js';
import { cocoSummary, formatCocoStats, pyFixed } from './coco-summary.js';
import { LeyoloError } from '../errors.js';

const box = (x: number, y: number, w: number, h: number): number[] => [x, y, w, h];
const gtOf = (anns: { image_id: number; category_id: number; bbox: number[]; iscrowd?: number; area?: number }[]): CocoGt => ({
  images: [{ id: 1 }, { id: 2 }],
  categories: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }],
  annotations: anns.map((a, i) => ({ id: i + 1, area: a.area ?? a.bbox[2] * a.bbox[3], iscrowd: 0, ...a })),
});
// exact comparisons are safe below: every expected value is a ratio of small integers computed the
// same way (or a sum of identical terms), so a tolerance of 1e-12 only absorbs the last bit.
const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('perfect detections give AP = AR = 1 at every IoU threshold', () => {
  const gt = gtOf([
    { image_id: 1, category_id: 1, bbox: box(10, 10, 50, 50) },
    { image_id: 2, category_id: 2, bbox: box(100, 100, 120, 80) },
  ]);
  const dt: CocoDet[] = gt.annotations.map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 0.9 }));
  const s = cocoSummary(cocoEval(gt, dt).stats);
  // pr = 1 / (1 + spacing(1)) = 1 - 2.2e-16: pycocotools' own "1.0"
  near(s.AP, 1, 'AP');
  near(s.AP50, 1, 'AP50');
  near(s.AR100, 1, 'AR100');
  assert.equal(s.APs, -1); // no small objects: undefined, not 0
});

test('a duplicate detection is a false positive (one GT matches one det)', () => {
  const gt = gtOf([
    { image_id: 1, category_id: 1, bbox: box(10, 10, 50, 50) },
    { image_id: 2, category_id: 1, bbox: box(10, 10, 50, 50) },
  ]);
  const dt: CocoDet[] = [
    { image_id: 1, category_id: 1, bbox: box(10, 10, 50, 50), score: 0.9 },
    { image_id: 1, category_id: 1, bbox: box(11, 11, 50, 50), score: 0.8 }, // duplicate of the first
    { image_id: 2, category_id: 1, bbox: box(10, 10, 50, 50), score: 0.7 },
  ];
  // ranking TP, FP, TP: recall .5 .5 1, precision envelope 1, 2/3, 2/3 -> 51 thresholds at 1, 50 at 2/3
  near(cocoEval(gt, dt).stats[1], (51 + (50 * 2) / 3) / 101, 'AP50 with duplicate');
  near(cocoEval(gt, [dt[0], dt[2]]).stats[1], 1, 'AP50 without duplicate');
});

test('crowd GT absorbs detections inside it (IoU = inter / det area) and they are ignored', () => {
  const gt = gtOf([
    { image_id: 1, category_id: 1, bbox: box(0, 0, 40, 40) },
    { image_id: 1, category_id: 1, bbox: box(200, 200, 300, 300), iscrowd: 1 },
  ]);
  const inCrowd: CocoDet[] = [0, 1, 2].map((i) => ({ image_id: 1, category_id: 1, bbox: box(220 + 60 * i, 220, 50, 50), score: 0.99 - i * 0.01 }));
  const tp: CocoDet = { image_id: 1, category_id: 1, bbox: box(0, 0, 40, 40), score: 0.5 };
  near(cocoEval(gt, [...inCrowd, tp]).stats[1], 1, 'AP50 with crowd dets ranked first');
  // the same boxes without iscrowd: 3 FPs ranked above the TP -> precision 1/4 at recall 1
  const plain = gtOf(gt.annotations.map((a) => ({ ...a, iscrowd: 0 })));
  assert.ok(cocoEval(plain, [...inCrowd, tp]).stats[1] < 0.5);
});

test('maxDets keeps the top 100 detections per image and category', () => {
  const gt = gtOf([
    { image_id: 1, category_id: 1, bbox: box(0, 0, 40, 40) },
    { image_id: 1, category_id: 2, bbox: box(100, 0, 40, 40) },
  ]);
  const fps: CocoDet[] = Array.from({ length: 100 }, (_, i) => ({ image_id: 1, category_id: 1, bbox: box(500, 5 * i, 4, 4), score: 0.9 }));
  const lateTp: CocoDet = { image_id: 1, category_id: 1, bbox: box(0, 0, 40, 40), score: 0.1 }; // rank 101: cut
  const other: CocoDet = { image_id: 1, category_id: 2, bbox: box(100, 0, 40, 40), score: 0.05 }; // own category: kept
  const r = cocoEval(gt, [...fps, lateTp, other]);
  const K = r.dims.K;
  const rec = (k: number): number => r.recall[((0 * K + k) * r.dims.A + 0) * r.dims.M + 2];
  near(rec(0), 0, 'category 1 recall@100 (TP truncated)');
  near(rec(1), 1, 'category 2 recall@100');
});

test('GT area field (not w*h) picks the area range; unmatched dets outside a range are ignored there', () => {
  const gt = gtOf([{ image_id: 1, category_id: 1, bbox: box(0, 0, 40, 40), area: 900 }]); // box 1600 (medium), area 900 (small)
  const r = cocoSummary(cocoEval(gt, [{ image_id: 1, category_id: 1, bbox: box(0, 0, 40, 40), score: 0.9 }]).stats);
  near(r.APs, 1, 'APs');
  assert.equal(r.APm, -1);
});

test('detections on images missing from the GT throw; an empty detection list gives zeros', () => {
  const gt = gtOf([{ image_id: 1, category_id: 1, bbox: box(0, 0, 40, 40) }]);
  assert.throws(() => cocoEval(gt, [{ image_id: 99, category_id: 1, bbox: box(0, 0, 1, 1), score: 1 }]), LeyoloError);
  const r = cocoEval(gt, []);
  assert.deepEqual(r.stats.slice(0, 3), [0, 0, 0]);
  assert.equal(r.stats[3], -1); // no small GT
});

test('useCats=false matches across categories; catIds restricts evaluation', () => {
  const gt = gtOf([{ image_id: 1, category_id: 1, bbox: box(0, 0, 40, 40) }]);
  const dt: CocoDet[] = [{ image_id: 1, category_id: 2, bbox: box(0, 0, 40, 40), score: 0.9 }];
  near(cocoEval(gt, dt).stats[1], 0, 'class-aware AP50');
  const agn = cocoEval(gt, dt, { useCats: false });
  assert.equal(agn.dims.K, 1);
  near(agn.stats[1], 1, 'class-agnostic AP50');
  assert.deepEqual(cocoEval(gt, dt, { catIds: [2, 2] }).catIds, [2]);
});

test('formatCocoStats prints pycocotools lines; pyFixed rounds exact ties to even like Python', () => {
  const txt = formatCocoStats([0.5, 0.25, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const lines = txt.split('\n');
  assert.equal(lines[0], ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500');
  assert.equal(lines[2], ' Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = -1.000');
  assert.equal(lines[6], ' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.000');
  assert.equal(pyFixed(0.0625, 3), '0.062'); // Python: '0.062' (JS toFixed gives '0.063')
  assert.equal(pyFixed(0.1875, 3), '0.188');
  assert.equal(pyFixed(-0.0625, 3), '-0.062');
  assert.equal(pyFixed(0.4422, 3), '0.442');
});
