// Ultralytics 8.1.4 val metrics (DetStats) against the official DetectionValidator numbers of
// shared/fixtures/val, fed with the same official predictions (coco_results.json) and YOLO labels.
// coco_results.json is rounded (boxes 3 decimals, scores 5 decimals), so this checks semantics, not bits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DetStats } from '../src/metrics/index.js';
import type { CocoDet, CocoGt, DetLabel, DetPrediction, DetResult } from '../src/metrics/index.js';

const shared = fileURLToPath(new URL('../../shared/', import.meta.url));
const readJson = <T>(p: string): T => JSON.parse(readFileSync(shared + p, 'utf8')) as T;

type Img = { id: number; width: number; height: number; file_name: string };

/**
 * GT boxes as the official validator sees them: labels letterboxed at size S (resize with ceil),
 * then mapped back by scale_boxes with the HEIGHT ratio as gain for both axes, then clipped.
 */
function labelsFor(labelDir: string, im: Img, S: number): DetLabel[] {
  const p = `${shared}datasets/${labelDir}/${im.file_name.replace(/\.jpg$/, '')}.txt`;
  if (!existsSync(p)) return [];
  const r = S / Math.max(im.width, im.height);
  const rw = Math.min(Math.ceil(im.width * r), S);
  const rh = Math.min(Math.ceil(im.height * r), S);
  const gain = rh / im.height;
  const cx = (v: number): number => Math.min(Math.max((v * rw) / gain, 0), im.width);
  const cy = (v: number): number => Math.min(Math.max((v * rh) / gain, 0), im.height);
  const rows = readFileSync(p, 'utf8').split('\n').filter((l) => l.trim());
  return rows.map((l) => {
    const [c, x, y, w, h] = l.trim().split(/\s+/).map(Number);
    return { classId: c, box: [cx(x - w / 2), cy(y - h / 2), cx(x + w / 2), cy(y + h / 2)] };
  });
}

function runDataset(ds: string, gtPath: string, labelDir: string, S: number): DetResult {
  const gt = readJson<CocoGt & { images: Img[] }>(gtPath);
  const catIds = gt.categories.map((c) => c.id).sort((a, b) => a - b); // class index = sorted COCO id
  const dets = readJson<CocoDet[]>(`fixtures/val/${ds}/nano_${S}/coco_results.json`);
  const byImg = new Map<number, DetPrediction[]>();
  for (const d of dets) {
    const p = { classId: catIds.indexOf(d.category_id), score: d.score, box: [d.bbox[0], d.bbox[1], d.bbox[0] + d.bbox[2], d.bbox[1] + d.bbox[3]] };
    byImg.set(d.image_id, [...(byImg.get(d.image_id) ?? []), p]);
  }
  const stats = new DetStats();
  for (const im of gt.images) {
    const preds = (byImg.get(im.id) ?? []).sort((a, b) => b.score - a.score); // NMS output order
    stats.add(preds, labelsFor(labelDir, im, S));
  }
  return stats.compute(80);
}

interface UlMetrics {
  images_seen: number;
  instances: number;
  all: { P: number; R: number; mAP50: number; mAP50_95: number };
  fitness: number;
  per_class: { class: number; n_instances: number; P: number; R: number; mAP50: number; mAP50_95: number }[];
}

const near = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

test('DetStats = official Ultralytics metrics on coco8 (all classes and per class)', () => {
  for (const S of [320, 480, 640]) {
    const r = runDataset('coco8-val', 'datasets/coco8/annotations_val_from_yolo.json', 'coco8/labels/val', S);
    const ex = readJson<UlMetrics>(`fixtures/val/coco8-val/nano_${S}/ultralytics_metrics.json`);
    assert.equal(r.images, ex.images_seen);
    assert.equal(r.instances, ex.instances);
    // mAPs: measured gap 0; 1e-9 only absorbs float noise. P/R read the P/R curves at one confidence,
    // where 5-decimal scores move the interpolation by ~1e-5 relative (measured <= 4.4e-6).
    near(r.mAP50, ex.all.mAP50, 1e-9, `@${S} mAP50`);
    near(r.mAP5095, ex.all.mAP50_95, 1e-9, `@${S} mAP50-95`);
    near(r.fitness, ex.fitness, 1e-9, `@${S} fitness`);
    near(r.precision, ex.all.P, 2e-5, `@${S} P`);
    near(r.recall, ex.all.R, 2e-5, `@${S} R`);
    assert.deepEqual(
      r.perClass.map((c) => [c.classId, c.instances]),
      ex.per_class.map((c) => [c.class, c.n_instances]),
    );
    ex.per_class.forEach((c, i) => {
      near(r.perClass[i].mAP50, c.mAP50, 1e-9, `@${S} class ${c.class} mAP50`);
      near(r.perClass[i].mAP5095, c.mAP50_95, 1e-9, `@${S} class ${c.class} mAP50-95`);
      near(r.perClass[i].precision, c.P, 2e-5, `@${S} class ${c.class} P`);
    });
  }
});

const BIG: [string, string, string][] = [
  ['coco128', 'datasets/coco128/annotations_from_yolo.json', 'coco128/labels/train2017'],
  ['coco-mini-train', 'datasets/coco-mini-train/annotations.json', 'coco-mini-train/labels'],
];
for (const [ds, gtPath, labelDir] of BIG) {
  test(`DetStats ~ official Ultralytics metrics on ${ds} (rounded predictions)`, () => {
    for (const S of [320, 480, 640]) {
      const r = runDataset(ds, gtPath, labelDir, S);
      const ex = readJson<UlMetrics>(`fixtures/val/${ds}/nano_${S}/ultralytics_metrics.json`);
      assert.equal(r.instances, ex.instances);
      assert.equal(r.perClass.length, ex.per_class.length);
      // Thousands of 3-decimal boxes and 5-decimal scores (ties, IoUs crossing a threshold) move
      // mAPs by up to 1.05e-3 here (measured); a matching or interpolation bug moves them by more.
      near(r.mAP50, ex.all.mAP50, 2e-3, `${ds}@${S} mAP50`);
      near(r.mAP5095, ex.all.mAP50_95, 2e-3, `${ds}@${S} mAP50-95`);
      near(r.fitness, ex.fitness, 2e-3, `${ds}@${S} fitness`);
      // P/R sit at the argmax of the smoothed F1 curve, which rounding can shift to another point
      // (coco-mini-train@480: 9.4e-3); they are checked where the argmax is stable (coco128: <= 8e-7).
      if (ds === 'coco128') {
        near(r.precision, ex.all.P, 1e-4, `${ds}@${S} P`);
        near(r.recall, ex.all.R, 1e-4, `${ds}@${S} R`);
      }
    }
  });
}
