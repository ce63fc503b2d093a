/**
 * Public API end to end against the official `YOLO.predict()` output: load() the real checkpoints,
 * detect() on the source JPEGs, and compare with dets_official_predict_conf0.25_iou0.7.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../src/node/model.js';

const shared = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared');
const skip = existsSync(join(shared, 'weights', 'LeYOLONano.pt')) ? false : 'needs ../shared';

interface OfficialDet { box_xyxy: number[]; score: number; class_id: number; class_name: string }

function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

const cases: [string, string, string, number][] = [
  ['nano', 'LeYOLONano.pt', 'bus_320_predict', 320],
  ['nano', 'LeYOLONano.pt', 'bus_640_predict', 640],
  ['nano', 'LeYOLONano.pt', 'zidane_640_predict', 640],
  ['small-grapes', 'LeYOLOSmall-wgisd-grapes.pt', 'bus_640_predict', 640],
];

for (const [fx, weights, name, imgsz] of cases) {
  test(`${fx} ${name}: detect() equals the official predict() detections`, { skip }, async () => {
    const dir = join(shared, 'fixtures', fx, name);
    const official = (JSON.parse(readFileSync(join(dir, 'dets_official_predict_conf0.25_iou0.7.json'), 'utf8')) as { detections: OfficialDet[] }).detections;
    const image = name.startsWith('bus') ? 'bus.jpg' : 'zidane.jpg';
    const model = await load({ weights: join(shared, 'weights', weights), imgsz });
    try {
      const dets = await model.detect(join(shared, 'fixtures', 'images', image), { conf: 0.25, iou: 0.7 });
      assert.equal(dets.length, official.length, 'same count');
      dets.forEach((d, i) => {
        const o = official[i];
        assert.equal(d.classId, o.class_id);
        assert.equal(d.label, o.class_name);
        // The bounds: IoU >= 0.99 and |score diff| <= 1e-3 (fp16 weights, BN folding, summation order).
        assert.ok(iou(d.box, o.box_xyxy) >= 0.99, `IoU ${iou(d.box, o.box_xyxy)}`);
        assert.ok(Math.abs(d.score - o.score) <= 1e-3, `score ${d.score} vs ${o.score}`);
      });
    } finally {
      await model.dispose();
    }
  });
}

test('detectBatch equals per-image detect and accepts raw pixels', { skip }, async () => {
  const model = await load({ weights: join(shared, 'weights', 'LeYOLONano.pt'), imgsz: 320 });
  try {
    const bus = join(shared, 'fixtures', 'images', 'bus.jpg');
    const zidane = join(shared, 'fixtures', 'images', 'zidane.jpg');
    const single = [await model.detect(bus), await model.detect(zidane)];
    // Different image shapes in one batch pad both to a 320 square (Ultralytics auto=False), so compare
    // against square letterboxing: same classes, boxes within 1 px.
    const batch = await model.detectBatch([bus, readFileSync(zidane)]);
    assert.equal(batch.length, 2);
    batch.forEach((dets, k) => {
      assert.ok(dets.length > 0);
      const ref = single[k];
      const matched = dets.filter((d) => ref.some((r) => r.classId === d.classId && iou(r.box, d.box) > 0.9));
      assert.ok(matched.length >= Math.min(dets.length, ref.length) - 1, 'square vs rect letterbox changes at most one borderline box');
    });
    const { decodeImage } = await import('../src/node/decode.js');
    const img = await decodeImage(bus);
    const raw = await model.detect({ data: img.data, width: img.width, height: img.height, channels: 3 });
    assert.deepEqual(raw, single[0]);
  } finally {
    await model.dispose();
  }
});

test('the official Ultralytics ONNX export loads (Python-dict names, single stride) and agrees with the .pt', { skip }, async () => {
  const onnx = join(shared, 'reference', 'onnx', 'leyolonano_320.onnx');
  const official = await load({ weights: onnx, imgsz: 320 });
  const ours = await load({ weights: join(shared, 'weights', 'LeYOLONano.pt'), imgsz: 320 });
  try {
    assert.equal(official.meta.names[0], 'person');
    assert.deepEqual(official.meta.strides, [8, 16, 32]);
    const bus = join(shared, 'fixtures', 'images', 'bus.jpg');
    const a = await official.detect(bus);
    // A static 320x320 export is fed squares, as Ultralytics does for exported models.
    const [b] = await ours.detectBatch([bus], {}, 'square');
    assert.equal(a.length, b.length);
    // The official export is the fused fp32 model; 1e-3 covers fp16 weights upcast, BN folding order.
    a.forEach((d, i) => {
      assert.equal(d.classId, b[i].classId);
      assert.ok(iou(d.box, b[i].box) >= 0.99 && Math.abs(d.score - b[i].score) <= 1e-3);
    });
  } finally {
    await official.dispose();
    await ours.dispose();
  }
});
