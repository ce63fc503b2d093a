/**
 * End-to-end validation parity: official Nano weights on the shared datasets, both metric families
 * against the official numbers in ../shared/fixtures/val (model.val(rect=False, batch=1, conf=0.001,
 * iou=0.7) and pycocotools on its predictions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../src/node/model.js';
import { loadDataset } from '../src/data/dataset.js';
import { validate } from '../src/val/validate.js';

const shared = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared');
const weights = join(shared, 'weights', 'LeYOLONano.pt');
const skip = existsSync(weights) ? false : 'needs ../shared';

interface Official { u: number; coco: number; mAP50: number }
function official(ds: string, imgsz: number): Official {
  const dir = join(shared, 'fixtures', 'val', ds, `nano_${imgsz}`);
  const u = JSON.parse(readFileSync(join(dir, 'ultralytics_metrics.json'), 'utf8')) as { results_dict: Record<string, number> };
  const c = JSON.parse(readFileSync(join(dir, 'cocoeval_stats.json'), 'utf8')) as { stats: number[] };
  return { u: u.results_dict['metrics/mAP50-95(B)'], mAP50: u.results_dict['metrics/mAP50(B)'], coco: c.stats[0] };
}

// Measured on an AMD EPYC (AVX2): every number within 4.3e-7 of the official (coco8 and coco128 exact;
// coco-mini-train differs by one detection of 46,793). The official run used the BN-fused PyTorch model
// (our folded ONNX graph differs by ~1e-4 in logits, and ORT's kernels differ between CPU kinds), so
// near-tied low scores at conf 0.001 may reorder on another machine: 1e-4 leaves that room and still
// catches a metric or ground-truth error (the half-pixel GT shift this bound replaced moved 1e-3).
const TOL = 1e-4;

const cases: [string, string, number][] = [
  ['coco8-val', 'coco8/coco8.yaml', 320],
  ['coco8-val', 'coco8/coco8.yaml', 640],
  ['coco128', 'coco128/coco128.yaml', 320],
  ['coco128', 'coco128/coco128.yaml', 640],
  ['coco-mini-train', 'coco-mini-train/annotations.json', 320],
  ['coco-mini-train', 'coco-mini-train/annotations.json', 640],
];

for (const [name, spec, imgsz] of cases) {
  test(`val ${name}@${imgsz}: Ultralytics and COCO mAP50-95 within ${TOL} of the official numbers`, { skip }, async () => {
    const ds = await loadDataset(join(shared, 'datasets', spec), { split: 'val' });
    const model = await load({ weights, imgsz });
    try {
      const res = await validate(model, ds);
      const o = official(name, imgsz);
      const got = { u: res.ultralytics.mAP5095, coco: res.coco.AP, mAP50: res.ultralytics.mAP50 };
      if (process.env.LEYOLO_VERBOSE) console.log(name, imgsz, 'ours', got, 'official', o);
      assert.ok(Math.abs(got.u - o.u) <= TOL, `Ultralytics mAP50-95 ${got.u} vs ${o.u}`);
      assert.ok(Math.abs(got.coco - o.coco) <= TOL, `COCO AP ${got.coco} vs ${o.coco}`);
      assert.ok(Math.abs(got.mAP50 - o.mAP50) <= TOL, `Ultralytics mAP50 ${got.mAP50} vs ${o.mAP50}`);
    } finally {
      await model.dispose();
    }
  });
}
