// Tracker behaviour on hand-made frames: IoU costs, the official track-mode rules (empty frames skip
// the tracker, frame-1 activation, new tracks shown from their second frame, the 0.5 score edge, the
// lost buffer) and the API conversion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeyoloError } from '../errors.js';
import { BOTSORT_DEFAULTS, BYTETRACK_DEFAULTS, BotSort, ByteTracker, RecordedGmc, SparseOptFlowGmc, createTracker, fuseScore, iouDistance, rowsToTracked } from './index.js';

const ids = (rows: Float32Array): number[] => Array.from({ length: rows.length / 8 }, (_, i) => rows[i * 8 + 4]);
const det = (x: number, y: number, score: number, cls = 0): number[] => [x, y, x + 40, y + 80, score, cls];

test('iouDistance / fuseScore: float32 1 - IoU and 1 - IoU * score', () => {
  const d = iouDistance(new Float32Array([0, 0, 10, 10]), new Float32Array([0, 0, 10, 10, 5, 0, 15, 10, 20, 20, 30, 30]));
  assert.ok(Math.abs(d[0]) < 1e-6, 'same box');
  assert.equal(d[1], Math.fround(1 - Math.fround(50 / Math.fround(150 + Math.fround(1e-7)))), 'half overlap, float32');
  assert.equal(d[2], 1, 'disjoint');
  const f = fuseScore(new Float32Array([0.5, 1]), 1, new Float32Array([0.8, 0.9]));
  assert.equal(f[0], Math.fround(1 - Math.fround(0.5 * Math.fround(0.8))));
  assert.equal(f[1], 1);
});

test('frame 1 activates at once; later new tracks show from their second frame; ids per instance', () => {
  for (let run = 0; run < 2; run++) {
    const t = createTracker({ tracker_type: 'bytetrack' });
    assert.deepEqual(ids(t.update(new Float32Array(det(10, 10, 0.9)))), [1]);
    const f2 = t.update(new Float32Array([...det(11, 10, 0.9), ...det(300, 10, 0.9)]));
    assert.deepEqual(ids(f2), [1], 'the new track 2 is unconfirmed on its first frame');
    assert.deepEqual(ids(t.update(new Float32Array([...det(12, 10, 0.9), ...det(301, 10, 0.9)]))), [1, 2]);
  }
});

test('a frame without detections skips the tracker (no predict, no aging)', () => {
  const t = createTracker({ tracker_type: 'bytetrack', track_buffer: 1 });
  t.update(new Float32Array(det(10, 10, 0.9)));
  assert.equal(t.update([]).length, 0);
  assert.equal(t.update(new Float32Array(0)).length, 0);
  assert.equal(t.updates, 1, 'frame counter not advanced');
  assert.deepEqual(ids(t.update(new Float32Array(det(12, 10, 0.9)))), [1], 'still tracked after the empty frames');
});

test('lost tracks are dropped after track_buffer updates; a score of exactly 0.5 is in neither association', () => {
  const bt = new ByteTracker({ ...BYTETRACK_DEFAULTS, track_buffer: 2 });
  bt.update(new Float32Array([...det(10, 10, 0.9), ...det(300, 300, 0.9)]));
  for (let k = 0; k < 3; k++) bt.update(new Float32Array(det(300, 300, 0.9)));
  assert.deepEqual(bt.lost.map((t) => t.trackId), [1], 'lost for 3 updates, still kept (the removal takes effect a frame late)');
  bt.update(new Float32Array(det(300, 300, 0.9)));
  assert.deepEqual(bt.lost.map((t) => t.trackId), [], 'gone');
  // track 2 seen with score exactly 0.5: not matched (neither > 0.5 nor < 0.5), so it goes Lost
  bt.update(new Float32Array(det(300, 300, 0.5)));
  assert.deepEqual(bt.lost.map((t) => t.trackId), [2]);
});

test('BoT-SORT applies the GMC warp to the predicted tracks', () => {
  const shift = createTracker({ ...BOTSORT_DEFAULTS }, { gmc: new RecordedGmc([[1, 0, 0, 0, 1, 0], [1, 0, 100, 0, 1, 0]]) });
  shift.update(new Float32Array(det(10, 10, 0.9)));
  // the camera moved 100 px: the detection at x=110 is still track 1 thanks to GMC
  assert.deepEqual(ids(shift.update(new Float32Array(det(110, 10, 0.9)))), [1]);
  const plain = createTracker({ tracker_type: 'botsort', gmc_method: 'none' });
  plain.update(new Float32Array(det(10, 10, 0.9)));
  assert.deepEqual(ids(plain.update(new Float32Array(det(110, 10, 0.9)))), [], 'without GMC it is a new, unconfirmed track');
});

test('createTracker: sparseOptFlow gets the sparse GMC by default; bad detections are refused', () => {
  const bs = createTracker({ tracker_type: 'botsort' }).core;
  assert.ok(bs instanceof BotSort && bs.gmc instanceof SparseOptFlowGmc);
  const t = createTracker({ tracker_type: 'bytetrack' });
  assert.throws(() => t.update(new Float32Array(5)), (e: unknown) => e instanceof LeyoloError && e.code === 'BAD_ARGUMENT');
  assert.throws(() => t.update(new Float32Array([0, 0, NaN, 1, 0.9, 0])), (e: unknown) => e instanceof LeyoloError && e.code === 'BAD_ARGUMENT');
});

test('rowsToTracked clips boxes to the frame and names classes', () => {
  const t = createTracker({ tracker_type: 'bytetrack' });
  const rows = t.update([{ box: [-5, 10, 700, 90], score: 0.9, classId: 2 }]);
  assert.equal(rows[0], -5, 'tracker rows are unclipped');
  const [o] = rowsToTracked(rows, 640, 480, ['person', 'bicycle', 'car']);
  assert.deepEqual(o.box, [0, 10, 640, 90]);
  assert.equal(o.id, 1);
  assert.equal(o.label, 'car');
  assert.equal(o.score, Math.fround(0.9));
  assert.equal(o.detIndex, 0);
});
