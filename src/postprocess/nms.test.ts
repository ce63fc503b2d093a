import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CandidateBuilder, type Candidates } from './candidates.js';
import { nms, sortByScoreDesc } from './nms.js';
import { LeyoloError } from '../errors.js';

type Row = [x1: number, y1: number, x2: number, y2: number, score: number, cls: number];

function cands(rows: readonly Row[]): Candidates {
  const b = new CandidateBuilder(1); // capacity 1: also exercises growth
  rows.forEach(([x1, y1, x2, y2, s, c], i) => b.push(x1, y1, x2, y2, s, c, i));
  return b.finish();
}

test('IoU exactly at the threshold is kept (suppression needs IoU > iou)', () => {
  // IoU of these two = 50 / 100 = 0.5 exactly, representable in float32
  const c = cands([[0, 0, 10, 10, 0.9, 0], [0, 0, 10, 5, 0.8, 0]]);
  assert.equal(nms(c, { iou: 0.5 }).length, 2);
  assert.equal(nms(c, { iou: 0.49 }).length, 1);
});

test('class offsets keep overlapping boxes of different classes; agnostic merges them', () => {
  const c = cands([[10, 10, 50, 50, 0.6, 1], [10, 10, 50, 50, 0.9, 0], [11, 11, 50, 50, 0.5, 0]]);
  const d = nms(c, { iou: 0.7 });
  assert.deepEqual(d.map((x) => [x.classId, x.score]), [[0, Math.fround(0.9)], [1, Math.fround(0.6)]]);
  const a = nms(c, { iou: 0.7, agnostic: true });
  assert.deepEqual(a.map((x) => x.classId), [0]);
});

test('maxDet truncates after NMS, keeping the best scores in order', () => {
  const rows: Row[] = [0.3, 0.9, 0.5, 0.7, 0.1].map((s, i) => [i * 100, 0, i * 100 + 50, 50, s, 0]);
  const d = nms(cands(rows), { iou: 0.7, maxDet: 3 });
  assert.deepEqual(d.map((x) => x.box[0]), [100, 300, 200]);
});

test('classes filter drops other classes before NMS', () => {
  // the class-2 box would be suppressed by nothing; the class-0 box is filtered out entirely
  const c = cands([[0, 0, 10, 10, 0.9, 0], [0, 0, 10, 10, 0.5, 2], [20, 20, 30, 30, 0.4, 3]]);
  assert.deepEqual(nms(c, { iou: 0.7, classes: [2] }).map((x) => x.classId), [2]);
  assert.deepEqual(nms(c, { iou: 0.7, classes: [0, 3], agnostic: true }).map((x) => x.classId), [0, 3]);
});

test('equal scores are visited in candidate order (torchvision sorts stably)', () => {
  const c = cands([[0, 0, 10, 10, 0.5, 0], [1, 0, 11, 10, 0.5, 0], [100, 0, 110, 10, 0.5, 0]]);
  assert.deepEqual(nms(c, { iou: 0.5 }).map((x) => x.box[0]), [0, 100]);
});

test('maxNms keeps only the best candidates for NMS', () => {
  const rows: Row[] = [0.2, 0.8, 0.6].map((s, i) => [i * 100, 0, i * 100 + 50, 50, s, 0]);
  assert.deepEqual(nms(cands(rows), { iou: 0.7, maxNms: 2 }).map((x) => x.score), [0.8, 0.6].map(Math.fround));
});

test('empty input and bad options', () => {
  assert.deepEqual(nms(cands([]), { iou: 0.7 }), []);
  assert.throws(() => nms(cands([]), { iou: 1.5 }), LeyoloError);
  assert.throws(() => nms(cands([]), { iou: 0.5, maxDet: -1 }), LeyoloError);
});

/** Plain all-pairs NMS in float64 on offset boxes: the reference for the bucketed fast path. */
function reference(rows: readonly Row[], iou: number, maxWh: number, agnostic: boolean): number[] {
  const order = rows.map((_, i) => i).sort((a, b) => rows[b][4] - rows[a][4] || a - b);
  const off = (i: number) => (agnostic ? 0 : rows[i][5] * maxWh);
  const dead = new Set<number>();
  const keep: number[] = [];
  for (const i of order) {
    if (dead.has(i)) continue;
    keep.push(i);
    for (const j of order) {
      if (j === i || dead.has(j) || keep.includes(j)) continue;
      const [a, b] = [rows[i], rows[j]].map((r, k) => r.slice(0, 4).map((v) => v + off(k === 0 ? i : j)));
      const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
      const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
      const inter = w * h;
      const u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
      if (inter / u > iou) dead.add(j);
    }
  }
  return keep;
}

test('bucketed NMS equals all-pairs NMS on random boxes (also when boxes exceed maxWh)', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const [maxWh, agnostic] of [[7680, false], [7680, true], [40, false]] as const) {
    // integer coordinates and 1/1024 scores: exact in float32, so float64 reference agrees
    const rows: Row[] = Array.from({ length: 400 }, () => {
      const x = Math.floor(rnd() * 200);
      const y = Math.floor(rnd() * 200);
      return [x, y, x + 5 + Math.floor(rnd() * 60), y + 5 + Math.floor(rnd() * 60), Math.floor(rnd() * 1024) / 1024, Math.floor(rnd() * 4)];
    });
    const got = nms(cands(rows), { iou: 0.45, maxWh, agnostic, maxDet: 1000 });
    const want = reference(rows, 0.45, maxWh, agnostic).map((i) => rows[i]);
    assert.deepEqual(got.map((d) => [...d.box, d.classId]), want.map((r) => [r[0], r[1], r[2], r[3], r[5]]), `maxWh ${maxWh} agnostic ${agnostic}`);
  }
});

test('sortByScoreDesc: descending, stable, handles negatives, matches a comparator sort', () => {
  const scores = new Float32Array([0.5, -1, 0.5, 2, 0, -0.25, 0.5]);
  const idx = Int32Array.from(scores.keys());
  assert.deepEqual([...sortByScoreDesc(scores, idx)], [3, 0, 2, 6, 4, 5, 1]);
  const many = Float32Array.from({ length: 5000 }, (_, i) => Math.round(Math.sin(i) * 50) / 50);
  const all = Int32Array.from(many.keys());
  const want = [...all].sort((a, b) => many[b] - many[a] || a - b);
  assert.deepEqual([...sortByScoreDesc(many, all)], want);
});
