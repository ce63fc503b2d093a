import { LeyoloError } from '../errors.js';
import { load } from '../node/model.js';
import { assertWritableOutput, writeFileAtomic } from '../node/fs.js';
import { formatCocoStats, formatUltralyticsTable } from '../metrics/index.js';
import { Progress } from './progress.js';
import { parse, num, int, choice, str, type Options } from './args.js';
import { MODEL_OPTIONS, modelOptions } from './common.js';

export const HELP = `Usage: leyolo val --data D --weights W [--imgsz 640] [options]
Validate on a dataset: Ultralytics metrics (P, R, mAP50, mAP50-95 per class) and pycocotools-exact COCO AP.

  --data D        Ultralytics dataset yaml, images dir (with labels/ beside images/), or COCO annotations json
  --images DIR    image folder for a COCO json (default: images/ beside it)
  --split S       val (default), train or test
  --weights W     .pt, .safetensors or .onnx (default: $LEYOLO_WEIGHTS, cache, download)
  --model NAME    nano|small|medium|large when no --weights (default nano)
  --imgsz N       square letterbox size (default 640)
  --batch N       images per forward pass (default 1)
  --conf X        confidence threshold (default 0.001)
  --iou X         NMS IoU (default 0.7)
  --max-det N     detections per image (default 300)
  --rect          per-image rectangles (Ultralytics rect batching) instead of squares
  --device cpu    (Node runs on CPU)
  --threads N     intra-op threads (default: all cores)
  --json FILE     write { ultralytics, coco, speed }
  --save-json     write predictions.json (COCO results format) into the run folder
  --no-plots      skip PR/F1/confusion-matrix PNGs
  --project DIR   parent of run folders (default runs/val)
  --name NAME     run folder name (default: the next number)
`;

/** val's options (every one is described in {@link HELP}). */
export const OPTIONS = {
  ...MODEL_OPTIONS, data: { type: 'string' }, images: { type: 'string' }, split: { type: 'string' }, batch: { type: 'string' }, conf: { type: 'string' },
  iou: { type: 'string' }, 'max-det': { type: 'string' }, rect: { type: 'boolean' }, json: { type: 'string' }, 'save-json': { type: 'boolean' },
  'no-plots': { type: 'boolean' }, project: { type: 'string' }, name: { type: 'string' },
} satisfies Options;

/** `leyolo val`: a thin layer over the library's `model.val()`: flags in, tables and files out. */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('val', argv, OPTIONS, 0);
  if (v.help) return void process.stdout.write(HELP);
  const data = str(v.data);
  if (!data) throw new LeyoloError('BAD_ARGUMENT', 'val needs --data', 'e.g. leyolo val --data coco128.yaml --weights LeYOLONano.pt');
  const mo = modelOptions(v);
  // Every flag is checked before the dataset and model are loaded (a usage error costs nothing).
  const opts = {
    data, images: str(v.images), split: choice('split', v.split, ['val', 'train', 'test'] as const, 'val'),
    conf: num('conf', v.conf, 0.001, 0, 1), iou: num('iou', v.iou, 0.7, 0, 1), maxDet: int('max-det', v['max-det'], 300),
    batch: int('batch', v.batch, 1, 1, 1024), rect: v.rect === true, plots: !v['no-plots'], saveJson: v['save-json'] === true,
    project: str(v.project), name: str(v.name),
  };
  const jsonPath = str(v.json);
  const model = await load({ weights: mo.weights, model: mo.model, imgsz: mo.imgsz, threads: mo.threads });
  let bar: Progress | undefined;
  let shown = 0;
  const res = await model.val(opts, {
    onDataset: (d) => {
      for (const p of d.problems) process.stderr.write(`warning: ${p.file}: ${p.reason}${p.skipped ? ' (skipped)' : ''}\n`);
      // Before the work: the dataset files and weights are known inputs now.
      if (jsonPath) assertWritableOutput(jsonPath, [data]);
      bar = new Progress('val', d.images, 'img');
    },
    onProgress: (done) => {
      bar?.tick(done - shown);
      shown = done;
    },
  });
  bar?.done();
  await model.dispose();
  for (const p of res.skipped) process.stderr.write(`warning: ${p.file}: ${p.reason.split('\n')[0]} (skipped, not counted in the metrics)\n`);
  process.stdout.write(`${formatUltralyticsTable(res.ultralytics, { perClass: true })}\n`);
  process.stdout.write(`Speed: ${res.speed.preprocess.toFixed(1)}ms preprocess, ${res.speed.inference.toFixed(1)}ms inference, ${res.speed.postprocess.toFixed(1)}ms postprocess per image\n\n`);
  process.stdout.write(`COCO bbox (pycocotools-exact):\n${formatCocoStats(res.coco.stats)}\n`);
  const u = res.ultralytics;
  const report = {
    ultralytics: { precision: u.precision, recall: u.recall, mAP50: u.mAP50, 'mAP50-95': u.mAP5095, perClass: u.perClass },
    coco: res.coco, speed: res.speed,
  };
  if (jsonPath) writeFileAtomic(jsonPath, `${JSON.stringify(report, null, 1)}\n`, [data]);
  process.stderr.write(`Results saved to ${res.dir}\n`);
}
