// Dev: does the loss fall on a fixed batch? (no augmentation, AdamW, no warm-up)
import { loadDataset } from '../src/data/dataset.js';
import { buildTrainBatch } from '../src/data/batch.js';
import { DEFAULT_HYP } from '../src/data/hyp.js';
import { resolveModel } from '../src/model/resolve.js';
import { initParams, bnWeightNames } from '../src/train/init.js';
import { TrainStep } from '../src/train/step.js';
import { Optimizer, groupOf, clipGradNorm, type GroupIndex } from '../src/train/optim.js';
const ds = await loadDataset('../shared/datasets/coco8/coco8.yaml', { split: 'train' });
const hyp = { ...DEFAULT_HYP, mosaic: 0, fliplr: 0, hsv_h: 0, hsv_s: 0, hsv_v: 0, translate: 0, scale: 0 };
const b = await buildTrainBatch(ds, [0, 1, 2, 3], { imgsz: 320, mosaic: false, hyp }, 1);
const m = resolveModel({ scale: 'nano', nc: 80 });
const { params } = initParams(m, null, 0);
const bnW = bnWeightNames(params);
const groups = new Map<string, GroupIndex>();
for (const l of m.layers) for (const p of l.params) if (p.kind === 'param') groups.set(p.name, groupOf(p.name, bnW));
const opt = new Optimizer({ name: (process.argv[2] as 'SGD' | 'AdamW') ?? 'AdamW', lr0: Number(process.argv[3] ?? 0.001), momentum: 0.9, weightDecay: 0 }, groups);
const step = new TrainStep(m, { bn: 1e-3 });
const toMap = () => new Map([...params].map(([k, t]) => [k, t.data]));
for (let i = 0; i < Number(process.argv[4] ?? 40); i++) {
  const r = await step.run(params, { images: b.images, shape: [4, 3, 320, 320], targets: { batchIdx: b.batchIdx, cls: b.cls, boxes: b.boxes } });
  const n = clipGradNorm(r.grads, 10);
  opt.update(toMap(), r.grads);
  console.log(i, r.loss.toFixed(3), JSON.stringify(Object.fromEntries(Object.entries(r.items).map(([k, v]) => [k, +v.toFixed(3)]))), 'gnorm', n.toFixed(2));
}
await step.dispose();
