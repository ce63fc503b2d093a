// Dev: ours vs official mAPs on every shared val fixture (prints a markdown table for the notes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from '../src/node/model.js';
import { loadDataset } from '../src/data/dataset.js';
import { validate } from '../src/val/validate.js';
const shared = '../shared';
const sets: [string, string][] = [['coco8-val', 'coco8/coco8.yaml'], ['coco128', 'coco128/coco128.yaml'], ['coco-mini-train', 'coco-mini-train/annotations.json']];
console.log('| dataset | imgsz | Ultralytics mAP50-95 ours / official | COCO AP ours / official | max abs diff |\n|---|---|---|---|---|');
for (const [name, spec] of sets) {
  const ds = await loadDataset(join(shared, 'datasets', spec), { split: 'val' });
  for (const imgsz of [320, 480, 640]) {
    const dir = join(shared, 'fixtures', 'val', name, `nano_${imgsz}`);
    const u = JSON.parse(readFileSync(join(dir, 'ultralytics_metrics.json'), 'utf8')).results_dict['metrics/mAP50-95(B)'] as number;
    const c = (JSON.parse(readFileSync(join(dir, 'cocoeval_stats.json'), 'utf8')).stats as number[])[0];
    const model = await load({ weights: join(shared, 'weights', 'LeYOLONano.pt'), imgsz });
    const r = await validate(model, ds);
    await model.dispose();
    const d = Math.max(Math.abs(r.ultralytics.mAP5095 - u), Math.abs(r.coco.AP - c));
    console.log(`| ${name} | ${imgsz} | ${r.ultralytics.mAP5095.toFixed(4)} / ${u.toFixed(4)} | ${r.coco.AP.toFixed(4)} / ${c.toFixed(4)} | ${d.toFixed(4)} |`);
  }
}
