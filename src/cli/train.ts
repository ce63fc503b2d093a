import { LeyoloError } from '../errors.js';
import { train } from '../node/train.js';
import type { TrainConfig } from '../train/config.js';
import { Progress } from './progress.js';
import { parse, num, int, choice, str, type Options } from './args.js';
import { trainSummary } from './train-summary.js';
import { SCALES } from './common.js';

export const HELP = `Usage: leyolo train --data D (--model nano|small|medium|large | --weights W) [options]
Train from scratch (--model) or fine-tune a checkpoint (--weights; a COCO checkpoint on a dataset with
other classes keeps everything but the class branch's last conv). Writes runs/train/N/: weights/last.safetensors,
weights/best.safetensors, results.csv, results.png, args.json.

  --data D          Ultralytics dataset yaml, images dir, or COCO annotations json
  --images DIR      image folder for a COCO json (default: images/ beside it)
  --model NAME      scale to train from scratch (default nano)   --weights W   checkpoint to fine-tune
  --epochs N (100)  --imgsz N (640)  --batch N (16)  --optimizer auto|SGD|AdamW  --lr0 X  --lrf X
  --patience N (100)  --seed N (0)  --close-mosaic N (10)  --mosaic P (1.0)  --workers N (2)  --threads N
  --nbs N (64)      nominal batch (gradients accumulate to it)   --warmup-epochs X (3)
  --no-val          validate the last epoch only   --val-fraction F   validate on a fraction of val images
  --project DIR     parent folder (runs/train)     --name NAME        run folder name (default: next number)
  --resume DIR      continue a run exactly (optimizer, EMA, epoch) from DIR (runs/train/N)
  --device cpu      (Node runs on CPU)
  augmentation (Ultralytics defaults; 0 turns one off):
  --hsv-h X (0.015) --hsv-s X (0.7) --hsv-v X (0.4) --fliplr P (0.5) --translate X (0.1) --scale X (0.5)
`;

/** train's options (every one is described in {@link HELP}). */
export const OPTIONS = {
  data: { type: 'string' }, images: { type: 'string' }, model: { type: 'string' }, weights: { type: 'string' }, epochs: { type: 'string' }, imgsz: { type: 'string' },
  batch: { type: 'string' }, optimizer: { type: 'string' }, lr0: { type: 'string' }, lrf: { type: 'string' }, patience: { type: 'string' }, seed: { type: 'string' },
  'close-mosaic': { type: 'string' }, mosaic: { type: 'string' }, workers: { type: 'string' }, threads: { type: 'string' }, 'no-val': { type: 'boolean' },
  'val-fraction': { type: 'string' }, nbs: { type: 'string' }, 'warmup-epochs': { type: 'string' }, project: { type: 'string' }, name: { type: 'string' }, resume: { type: 'string' }, device: { type: 'string' },
  'hsv-h': { type: 'string' }, 'hsv-s': { type: 'string' }, 'hsv-v': { type: 'string' }, fliplr: { type: 'string' }, translate: { type: 'string' }, scale: { type: 'string' },
} satisfies Options;

function configFrom(v: Record<string, string | boolean | undefined>): Partial<TrainConfig> {
  const o: Partial<TrainConfig> = {};
  const n = (k: string, key: keyof TrainConfig, isInt = true) => {
    if (v[k] !== undefined) (o as Record<string, unknown>)[key] = isInt ? int(k, v[k], 0, 0) : num(k, v[k], 0, 0);
  };
  n('epochs', 'epochs'); n('imgsz', 'imgsz'); n('batch', 'batch'); n('patience', 'patience'); n('seed', 'seed'); n('close-mosaic', 'closeMosaic');
  n('workers', 'workers'); n('threads', 'threads'); n('nbs', 'nbs'); n('warmup-epochs', 'warmupEpochs', false); n('lr0', 'lr0', false); n('lrf', 'lrf', false); n('mosaic', 'mosaic', false); n('val-fraction', 'valFraction', false);
  n('hsv-h', 'hsvH', false); n('hsv-s', 'hsvS', false); n('hsv-v', 'hsvV', false); n('fliplr', 'fliplr', false); n('translate', 'translate', false); n('scale', 'scale', false);
  if (v.optimizer !== undefined) o.optimizer = choice('optimizer', v.optimizer, ['auto', 'SGD', 'AdamW'] as const, 'auto');
  if (v['no-val']) o.val = false;
  return o;
}

/** `leyolo train`: a thin layer over the library's `train()`: flags in, progress and a summary out. */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('train', argv, OPTIONS, 0);
  if (v.help) return void process.stdout.write(HELP);
  if (v.device !== undefined && v.device !== 'cpu') throw new LeyoloError('BAD_ARGUMENT', `--device ${String(v.device)} is not available (onnxruntime-node CPU)`, 'use --device cpu');
  const resume = str(v.resume);
  const data = str(v.data);
  if (!data && !resume) throw new LeyoloError('BAD_ARGUMENT', 'train needs --data', 'e.g. leyolo train --data coco8.yaml --model nano --epochs 10 --imgsz 320');
  const opts = { ...configFrom(v), data: data ?? '-', images: str(v.images), model: choice('model', v.model, SCALES, 'nano'), project: str(v.project), name: str(v.name) };
  let stop = false;
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nstopping after this batch (Ctrl-C again to quit now)...\n');
  });
  let bar: Progress | undefined;
  let epochs = 0;
  const res = await train(opts, { weights: str(v.weights), resume }, {
    onDataset: (d) => {
      for (const p of d.problems) process.stderr.write(`warning: ${p.file}: ${p.reason}${p.skipped ? ' (skipped)' : ''}\n`);
      epochs = d.config.epochs;
      process.stderr.write(`Training LeYOLO-${d.scale} on ${d.train} images (${d.classes} classes) for ${d.config.epochs} epochs at ${d.config.imgsz}, batch ${d.config.batch}; run folder ${d.dir}\n`);
    },
    shouldStop: () => stop,
    onProblem: (p) => void process.stderr.write(`\nwarning: ${p.file}: ${p.reason} (does not decode any more: trained on as a blank background image)\n`),
    onEpochStart: (s) => { bar = new Progress(`epoch ${s.epoch + 1}/${epochs}`, s.batches, 'batch'); },
    onBatchEnd: (s) => {
      bar?.tick(1, `box ${s.items.box.toFixed(3)} cls ${s.items.cls.toFixed(3)} dfl ${s.items.dfl.toFixed(3)} ${s.imgPerS.toFixed(1)} img/s`);
    },
    onEpochEnd: (r) => {
      bar?.done();
      const validated = Number.isFinite(r['metrics/mAP50-95(B)']);
      const m = `P ${r['metrics/precision(B)'].toFixed(3)} R ${r['metrics/recall(B)'].toFixed(3)} mAP50 ${r['metrics/mAP50(B)'].toFixed(3)} mAP50-95 ${r['metrics/mAP50-95(B)'].toFixed(3)}`;
      // --no-val epochs: the bar's last line already shows the losses
      if (validated) process.stderr.write(`  epoch ${r.epoch}: ${m}\n`);
    },
  });
  process.stderr.write(trainSummary(res, res.config, res.dir));
  if (res.stopped === 'interrupted') process.exitCode = 130;
}
