import { join } from 'node:path';
import { LeyoloError } from '../errors.js';
import { loadDataset } from '../data/dataset.js';
import { load } from '../node/load.js';
import { assertWritableOutput, nextRunDir, writeFileAtomic } from '../node/fs.js';
import { saveValPlots } from '../node/plots.js';
import { validate } from '../val/validate.js';
import { formatCocoStats, formatUltralyticsTable } from '../metrics/index.js';
import { Progress } from './progress.js';
import { parse, num, int, choice, str } from './args.js';
import { MODEL_OPTIONS, modelOptions } from './common.js';

const HELP = `Usage: leyolo val --data D --weights W [--imgsz 640] [options]
Validate on a dataset: Ultralytics metrics (P, R, mAP50, mAP50-95 per class) and pycocotools-exact COCO AP.

  --data D        Ultralytics dataset yaml, images dir (with labels/ beside images/), or COCO annotations json
  --images DIR    image folder for a COCO json (default: images/ beside it)
  --split S       val (default), train or test
  --weights W     .pt, .safetensors or .onnx
  --imgsz N       square letterbox size (default 640)
  --batch N       images per forward pass (default 1)
  --conf X        confidence threshold (default 0.001)
  --iou X         NMS IoU (default 0.7)
  --max-det N     detections per image (default 300)
  --rect          per-image rectangles (Ultralytics rect batching) instead of squares
  --json FILE     write { ultralytics, coco, speed }
  --save-json     write predictions.json (COCO results format) into the run folder
  --no-plots      skip PR/F1/confusion-matrix PNGs
  --project DIR   parent of run folders (default runs/val)
`;

/** `leyolo val`. */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('val', argv, {
    ...MODEL_OPTIONS, data: { type: 'string' }, images: { type: 'string' }, split: { type: 'string' }, batch: { type: 'string' }, conf: { type: 'string' },
    iou: { type: 'string' }, 'max-det': { type: 'string' }, rect: { type: 'boolean' }, json: { type: 'string' }, 'save-json': { type: 'boolean' },
    'no-plots': { type: 'boolean' }, project: { type: 'string' }, name: { type: 'string' },
  });
  if (v.help) return void process.stdout.write(HELP);
  const data = str(v.data);
  if (!data) throw new LeyoloError('BAD_ARGUMENT', 'val needs --data', 'e.g. leyolo val --data coco128.yaml --weights LeYOLONano.pt');
  const mo = modelOptions(v);
  const split = choice('split', v.split, ['val', 'train', 'test'] as const, 'val');
  const ds = await loadDataset(data, { split, images: str(v.images) });
  for (const p of ds.problems) process.stderr.write(`warning: ${p.file}: ${p.reason}${p.skipped ? ' (skipped)' : ''}\n`);
  const model = await load({ weights: mo.weights, model: mo.model, imgsz: mo.imgsz, threads: mo.threads });
  if (model.meta.nc !== ds.names.length) {
    throw new LeyoloError('MODEL_MISMATCH', `the model has ${model.meta.nc} classes but the dataset has ${ds.names.length}`, 'validate with weights trained on this dataset');
  }
  const jsonPath = str(v.json);
  // Before the work: the dataset files and weights are known inputs now.
  if (jsonPath) assertWritableOutput(jsonPath, [data]);
  const bar = new Progress('val', ds.items.length, 'img');
  let shown = 0;
  const res = await validate(model, ds, {
    conf: num('conf', v.conf, 0.001, 0, 1), iou: num('iou', v.iou, 0.7, 0, 1), maxDet: int('max-det', v['max-det'], 300),
    batch: int('batch', v.batch, 1, 1, 1024), rect: v.rect === true,
  }, {
    onBatch: (done) => {
      bar.tick(done - shown);
      shown = done;
    },
  });
  bar.done();
  await model.dispose();
  for (const p of res.skipped) process.stderr.write(`warning: ${p.file}: ${p.reason.split('\n')[0]} (skipped, not counted in the metrics)\n`);
  process.stdout.write(`${formatUltralyticsTable(res.ultralytics, { perClass: true })}\n`);
  process.stdout.write(`Speed: ${res.speed.preprocess.toFixed(1)}ms preprocess, ${res.speed.inference.toFixed(1)}ms inference, ${res.speed.postprocess.toFixed(1)}ms postprocess per image\n\n`);
  process.stdout.write(`COCO bbox (pycocotools-exact):\n${formatCocoStats(res.coco.stats)}\n`);
  const dir = nextRunDir(str(v.project) ?? join('runs', 'val'), str(v.name));
  if (!v['no-plots']) await saveValPlots(dir, res.ultralytics, res.confusion, ds.names);
  if (v['save-json']) writeFileAtomic(join(dir, 'predictions.json'), JSON.stringify(res.cocoResults));
  const u = res.ultralytics;
  const report = {
    ultralytics: { precision: u.precision, recall: u.recall, mAP50: u.mAP50, 'mAP50-95': u.mAP5095, perClass: u.perClass },
    coco: res.coco, speed: res.speed,
  };
  if (jsonPath) writeFileAtomic(jsonPath, `${JSON.stringify(report, null, 1)}\n`, [data]);
  process.stderr.write(`Results saved to ${dir}\n`);
}
