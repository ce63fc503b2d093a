// COCOeval (bbox) parity with pycocotools 2.0.11 on every hand-made fixture case
// (shared/fixtures/cocoeval) and on the official LeYOLO-Nano val predictions of shared/fixtures/val.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cocoEval, formatCocoStats } from '../src/metrics/index.js';
import type { CocoDet, CocoEvalResult, CocoGt } from '../src/metrics/index.js';

const shared = fileURLToPath(new URL('../../shared/', import.meta.url));
const readJson = <T>(p: string): T => JSON.parse(readFileSync(shared + p, 'utf8')) as T;

// The bound. Our float64 arithmetic follows pycocotools operation by operation (numpy's pairwise
// summation included), so the measured gap is 0 on the hand cases and <= 1.2e-16 on the val fixtures;
// 1e-4 leaves room for numpy-vs-JS summation order without hiding a real matching or interpolation error
// (those move stats by >= 1/101 of a class, i.e. ~1e-3 or more on these small sets).
const TOL = 1e-4;

interface Manifest {
  cases: Record<string, { files: { gt: string; dets: string; expected: string } }>;
}
interface PerCategory {
  category_id: number;
  AP50: number;
  AP50_95: number;
  precision_iou50_101pt: number[];
  recall_per_iou_all_maxdet100: number[];
}
interface Expected {
  stats: number[];
  per_category: PerCategory[];
  summarize_text: string;
}

function closeArr(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= TOL, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** precision[t, :, k, area all, maxDets 100] as a 101-vector. */
function precisionRow(r: CocoEvalResult, t: number, k: number): number[] {
  const { R, K, A, M } = r.dims;
  return Array.from({ length: R }, (_, ri) => r.precision[(((t * R + ri) * K + k) * A + 0) * M + (M - 1)]);
}

/** Mean of the entries > -1 (how the fixture's per-category APs were computed), -1 when none. */
function meanValid(xs: number[]): number {
  const v = xs.filter((x) => x > -1);
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : -1;
}

function checkPerCategory(r: CocoEvalResult, pc: PerCategory, name: string): void {
  const k = r.catIds.indexOf(pc.category_id);
  assert.ok(k >= 0, `${name}: category ${pc.category_id} evaluated`);
  const { T, K, A, M } = r.dims;
  const p50 = precisionRow(r, 0, k);
  closeArr(p50, pc.precision_iou50_101pt, `${name} cat ${pc.category_id} precision@.5`);
  assert.ok(Math.abs(meanValid(p50) - pc.AP50) <= TOL, `${name} cat ${pc.category_id} AP50`);
  const all = Array.from({ length: T }, (_, t) => precisionRow(r, t, k)).flat();
  assert.ok(Math.abs(meanValid(all) - pc.AP50_95) <= TOL, `${name} cat ${pc.category_id} AP50-95`);
  const rec = Array.from({ length: T }, (_, t) => r.recall[((t * K + k) * A + 0) * M + (M - 1)]);
  closeArr(rec, pc.recall_per_iou_all_maxdet100, `${name} cat ${pc.category_id} recall`);
}

const manifest = readJson<Manifest>('fixtures/cocoeval/manifest.json');
for (const [name, c] of Object.entries(manifest.cases)) {
  test(`cocoeval fixture ${name}: 12 stats, per-category precision/recall, summary text`, () => {
    const gt = readJson<CocoGt>(`fixtures/cocoeval/${c.files.gt}`);
    const dt = readJson<CocoDet[]>(`fixtures/cocoeval/${c.files.dets}`);
    const ex = readJson<Expected>(`fixtures/cocoeval/${c.files.expected}`);
    const r = cocoEval(gt, dt);
    closeArr(r.stats, ex.stats, `${name} stats`);
    for (const pc of ex.per_category) checkPerCategory(r, pc, name);
    assert.equal(formatCocoStats(r.stats), ex.summarize_text);
  });
}

interface ValCategory {
  category_id: number;
  AP50: number;
  AP50_95: number;
  AR100_50_95: number;
}

/** Per-category AP50, AP50-95 and AR@100 (area all) of a val fixture. */
function checkValCategory(r: CocoEvalResult, pc: ValCategory, name: string): void {
  const k = r.catIds.indexOf(pc.category_id);
  const { T, K, A, M } = r.dims;
  const all = Array.from({ length: T }, (_, t) => precisionRow(r, t, k));
  const rec = Array.from({ length: T }, (_, t) => r.recall[((t * K + k) * A + 0) * M + (M - 1)]);
  const got = [meanValid(all[0]), meanValid(all.flat()), meanValid(rec)];
  closeArr(got, [pc.AP50, pc.AP50_95, pc.AR100_50_95], `${name} cat ${pc.category_id} AP50/AP50-95/AR100`);
}

const VAL_GT: Record<string, string> = {
  'coco8-val': 'datasets/coco8/annotations_val_from_yolo.json',
  coco128: 'datasets/coco128/annotations_from_yolo.json',
  'coco-mini-train': 'datasets/coco-mini-train/annotations.json', // official COCO records, 19 crowd regions
};
for (const [ds, gtPath] of Object.entries(VAL_GT)) {
  test(`cocoeval on official Nano val predictions, ${ds} at 320/480/640`, () => {
    const gt = readJson<CocoGt>(gtPath);
    for (const s of [320, 480, 640]) {
      const dir = `fixtures/val/${ds}/nano_${s}/`;
      const ex = readJson<{ stats: number[]; per_category: ValCategory[] }>(dir + 'cocoeval_stats.json');
      const r = cocoEval(gt, readJson<CocoDet[]>(dir + 'coco_results.json'));
      closeArr(r.stats, ex.stats, `${ds}@${s} stats`);
      for (const pc of ex.per_category) checkValCategory(r, pc, `${ds}@${s}`);
    }
  });
}
