import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetStats } from './detstats.js';
import type { DetLabel, DetPrediction } from './detstats.js';
import { boxIou, IOU_THRESHOLDS, matchPredictions } from './match.js';
import { ConfusionMatrix } from './confusion.js';
import { formatUltralyticsTable, pyG } from './report.js';
import { confusionMatrixSvg, f1CurveSvg, prCurveSvg } from './plots.js';

const sq = (x: number, y: number, s: number): number[] => [x, y, x + s, y + s];
// Values below are ratios of small integers or the 101-point trapezoid of a step; 1e-12 absorbs rounding.
const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a} vs ${b}`);

test('boxIou runs in float32 like torch (inter / (a1 + a2 - inter + 1e-7))', () => {
  const iou = boxIou([sq(0, 0, 10)], [sq(0, 0, 10), [0, 0, 10, 5], sq(20, 20, 5)]);
  assert.equal(iou[0], Math.fround(100 / Math.fround(100 + Math.fround(1e-7))));
  assert.equal(iou[1], Math.fround(50 / Math.fround(100 + Math.fround(1e-7))));
  assert.equal(iou[2], 0);
});

test('matchPredictions: per label the LOWEST detection index wins, even against a higher IoU', () => {
  // label 0 overlaps det 0 with IoU 0.62 and det 1 with IoU 0.92 (both class 0); values away from the
  // float32 threshold grid so no comparison sits on a boundary
  const iou = Float64Array.from([0.62, 0.92]);
  const c = matchPredictions([0, 0], [0], iou);
  const T = IOU_THRESHOLDS.length;
  // t = 0.5, 0.55, 0.6: both qualify -> det 0 (lower index = higher score) takes the label
  assert.deepEqual([c[0 * T + 0], c[1 * T + 0]], [1, 0]);
  assert.deepEqual([c[0 * T + 2], c[1 * T + 2]], [1, 0]);
  // t = 0.65 .. 0.9: only det 1 qualifies
  assert.deepEqual([c[0 * T + 3], c[1 * T + 3]], [0, 1]);
  assert.equal(c[1 * T + 8], 1);
  assert.equal(c[1 * T + 9], 0);
  // wrong class never matches
  assert.ok(matchPredictions([1], [0], Float64Array.from([1])).every((v) => v === 0));
});

test('DetStats: perfect detections give mAP50 = mAP50-95 = 0.995, P = R = 1, fitness 0.995', () => {
  const s = new DetStats();
  s.add([{ box: sq(0, 0, 10), score: 0.9, classId: 0 }], [{ box: sq(0, 0, 10), classId: 0 }]);
  s.add([{ box: sq(5, 5, 20), score: 0.8, classId: 2 }], [{ box: sq(5, 5, 20), classId: 2 }]);
  const r = s.compute(3, ['a', 'b', 'c']);
  near(r.mAP50, 0.995, 'mAP50');
  near(r.mAP5095, 0.995, 'mAP50-95');
  near(r.fitness, 0.995, 'fitness');
  near(r.precision, 1, 'P');
  near(r.recall, 1, 'R');
  assert.deepEqual(
    r.perClass.map((c) => [c.classId, c.name, c.images, c.instances]),
    [
      [0, 'a', 1, 1],
      [2, 'c', 1, 1],
    ],
  );
  assert.equal(r.maps[1], r.mAP5095); // class without labels gets the overall value (Ultralytics maps)
});

test('DetStats: a duplicate is a false positive, an image without labels adds only FPs', () => {
  const gt: DetLabel[] = [{ box: sq(0, 0, 10), classId: 0 }];
  const s = new DetStats();
  s.add([{ box: sq(0, 0, 10), score: 0.9, classId: 0 }], gt);
  s.add([{ box: sq(0, 0, 10), score: 0.8, classId: 0 }], gt);
  s.add(
    [
      { box: sq(50, 50, 10), score: 0.85, classId: 0 },
      { box: sq(50, 50, 10), score: 0.95, classId: 0 },
    ],
    gt.map((g) => ({ ...g, box: sq(50, 50, 10) })).slice(0, 1),
  ); // predictions out of score order: both kept, the lower INDEX (0.85) is the TP
  s.add([{ box: sq(0, 0, 10), score: 0.7, classId: 0 }], []);
  const r = s.compute(1);
  assert.equal(r.images, 4);
  assert.equal(r.instances, 3);
  // ranking by score: .95 FP, .9 TP, .85 TP, .8 TP, .7 FP -> precision 0, 1/2, 2/3, 3/4, 3/5, recall
  // 0, 1/3, 2/3, 1, 1. Envelope 3/4 for every grid recall < 1, and 0 at recall 1 (np.interp takes the
  // last duplicate, the (1, 0) sentinel): trapz = 0.99 * 0.75 + 0.01 * (0.75 + 0) / 2 = 0.74625.
  near(r.mAP50, 0.74625, 'mAP50');
});

test('ConfusionMatrix: class-agnostic matching, missed labels and unmatched detections go to background', () => {
  const cm = new ConfusionMatrix(3);
  assert.equal(cm.conf, 0.25);
  const preds: DetPrediction[] = [
    { box: sq(0, 0, 10), score: 0.9, classId: 0 },
    { box: sq(20, 20, 10), score: 0.8, classId: 2 },
    { box: sq(100, 100, 10), score: 0.7, classId: 1 },
    { box: sq(0, 0, 10), score: 0.2, classId: 1 }, // under conf 0.25: dropped
  ];
  cm.add(preds, [
    { box: sq(0, 0, 10), classId: 0 },
    { box: sq(20, 20, 10), classId: 1 },
    { box: sq(50, 50, 10), classId: 2 },
  ]);
  cm.add([{ box: sq(0, 0, 10), score: 0.9, classId: 2 }], []); // no labels: background FP
  cm.add([{ box: sq(70, 70, 10), score: 0.9, classId: 2 }], [{ box: sq(0, 0, 10), classId: 0 }]); // no match at all
  const m = (p: number, t: number): number => cm.matrix[p * 4 + t];
  assert.equal(m(0, 0), 1); // correct
  assert.equal(m(2, 1), 1); // class 1 predicted as 2
  assert.equal(m(3, 2), 1); // missed class 2
  assert.equal(m(1, 3), 1); // unmatched det (image had matches)
  assert.equal(m(2, 3), 1); // det on an image without labels
  assert.equal(m(3, 0), 1); // last image: label missed, its det NOT counted (Ultralytics: no matches -> no FP)
  const n = cm.normalized();
  // columns are divided by (sum + 1e-9) as Ultralytics does: 1 / (1 + 1e-9) for a column of sum 1
  assert.ok(Math.abs(n[0 * 4 + 0] + n[3 * 4 + 0] - 1) < 1e-8, 'column 0 sums to 1');
  assert.deepEqual(Array.from(cm.tpFp().tp), [1, 0, 0]);
});

test('formatUltralyticsTable and pyG follow the Ultralytics layout', () => {
  assert.equal(pyG(0.99500001, 3), '0.995');
  assert.equal(pyG(1, 3), '1');
  assert.equal(pyG(0.0001234, 3), '0.000123');
  assert.equal(pyG(0.00001234, 3), '1.23e-05');
  assert.equal(pyG(0, 3), '0');
  const s = new DetStats();
  s.add([{ box: sq(0, 0, 10), score: 0.9, classId: 0 }], [{ box: sq(0, 0, 10), classId: 0 }]);
  const lines = formatUltralyticsTable(s.compute(1, ['person'])).split('\n');
  assert.equal(lines[0], '                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)');
  assert.equal(lines[1], '                   all          1          1          1          1      0.995      0.995');
  assert.equal(lines[2], '                person          1          1          1          1      0.995      0.995');
});

test('plots: SVG documents with the Ultralytics legends, escaped names', () => {
  const s = new DetStats();
  s.add([{ box: sq(0, 0, 10), score: 0.9, classId: 0 }], [{ box: sq(0, 0, 10), classId: 0 }]);
  const r = s.compute(1, ['<cat & dog>']);
  const pr = prCurveSvg(r);
  assert.ok(pr.startsWith('<svg') && pr.trimEnd().endsWith('</svg>'));
  assert.ok(pr.includes('all classes 0.995 mAP@0.5'));
  assert.ok(pr.includes('&lt;cat &amp; dog&gt; 0.995'));
  assert.ok(f1CurveSvg(r).includes('F1-Confidence Curve'));
  const cm = new ConfusionMatrix(1);
  cm.add([{ box: sq(0, 0, 10), score: 0.9, classId: 0 }], [{ box: sq(0, 0, 10), classId: 0 }]);
  const svg = confusionMatrixSvg(cm, ['x']);
  assert.ok(svg.includes('Confusion Matrix Normalized') && svg.includes('>1.00<') && svg.includes('background'));
});
