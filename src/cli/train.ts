import { statSync } from 'node:fs';
import { z } from 'zod';
import { dirname, join, resolve } from 'node:path';
import { LeyoloError } from '../errors.js';
import { loadDataset } from '../data/dataset.js';
import { loadCheckpointFile } from '../weights/node.js';
import { resolveWeights } from '../node/hub.js';
import { nextRunDir, readTextFile, releaseInput } from '../node/fs.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import { resolveTrainConfig, TrainConfigSchema, type TrainConfig } from '../train/config.js';
import { readLoopState } from '../train/state.js';
import { train } from '../train/trainer.js';
import type { ScaleName } from '../model/table.js';
import { Progress } from './progress.js';
import { parse, num, int, choice, str } from './args.js';
import { SCALES } from './common.js';

const HELP = `Usage: leyolo train --data D (--model nano|small|medium|large | --weights W) [options]
Train from scratch (--model) or fine-tune a checkpoint (--weights; a COCO checkpoint on a dataset with
other classes keeps everything but the class branch's last conv). Writes runs/train/N/: weights/last.safetensors,
weights/best.safetensors, results.csv, results.png, args.json.

  --epochs N (100)  --imgsz N (640)  --batch N (16)  --optimizer auto|SGD|AdamW  --lr0 X  --lrf X
  --patience N (100)  --seed N (0)  --close-mosaic N (10)  --mosaic P (1.0)  --workers N (2)  --threads N
  --nbs N (64)      nominal batch (gradients accumulate to it)   --warmup-epochs X (3)
  --no-val          validate the last epoch only   --val-fraction F   validate on a fraction of val images
  --project DIR     parent folder (runs/train)     --name NAME        run folder name (default: next number)
  --resume DIR      continue a run exactly (optimizer, EMA, epoch) from DIR (runs/train/N)
  augmentation (Ultralytics defaults; 0 turns one off):
  --hsv-h X (0.015) --hsv-s X (0.7) --hsv-v X (0.4) --fliplr P (0.5) --translate X (0.1) --scale X (0.5)
`;

interface RunArgs { data: string; images?: string; model: ScaleName; weights?: string; config: TrainConfig }

/** args.json of a run folder, validated (it is user-editable and may be damaged). */
const RunArgsSchema = z.object({
  data: z.string().min(1),
  images: z.string().optional(),
  model: z.enum(SCALES),
  weights: z.string().optional(),
  config: TrainConfigSchema,
});

const RESUME_HINT = 'pass --resume runs/train/N (a folder written by leyolo train that finished at least one epoch)';

/**
 * The run folder of `--resume DIR` (DIR or DIR/weights/last.safetensors), its validated args.json,
 * and the check that its resume state exists and has epochs left: a missing or damaged state never
 * silently restarts the run over its own results.
 */
function resumeRun(resumeDir: string): { dir: string; args: RunArgs } {
  const st = statSync(resumeDir, { throwIfNoEntry: false });
  if (!st) throw new LeyoloError('BAD_RESUME', `--resume: ${resumeDir} does not exist`, RESUME_HINT);
  const dir = st.isDirectory() ? resumeDir : dirname(dirname(resumeDir));
  let raw: unknown;
  try {
    raw = JSON.parse(readTextFile(join(dir, 'args.json'), { what: 'run arguments file', input: false }));
  } catch (e) {
    throw new LeyoloError('BAD_RESUME', `--resume: cannot read ${join(dir, 'args.json')}: ${(e as Error).message}`, RESUME_HINT, { cause: e });
  }
  const parsed = RunArgsSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new LeyoloError('BAD_RESUME', `--resume: ${join(dir, 'args.json')} is damaged (${i.path.join('.') || 'root'}: ${i.message})`, 'restore it, or start a new run with leyolo train --data ...');
  }
  const statePath = join(dir, 'weights', 'last.state.safetensors');
  const loop = readLoopState(statePath);
  if (loop.epoch >= parsed.data.config.epochs) {
    throw new LeyoloError('BAD_RESUME', `--resume: ${dir} already finished its ${parsed.data.config.epochs} epochs; nothing to resume`, 'start a new run, e.g. fine-tune from its weights/best.safetensors with --weights');
  }
  return { dir, args: parsed.data };
}

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

/** `leyolo train`. */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('train', argv, {
    data: { type: 'string' }, images: { type: 'string' }, model: { type: 'string' }, weights: { type: 'string' }, epochs: { type: 'string' }, imgsz: { type: 'string' },
    batch: { type: 'string' }, optimizer: { type: 'string' }, lr0: { type: 'string' }, lrf: { type: 'string' }, patience: { type: 'string' }, seed: { type: 'string' },
    'close-mosaic': { type: 'string' }, mosaic: { type: 'string' }, workers: { type: 'string' }, threads: { type: 'string' }, 'no-val': { type: 'boolean' },
    'val-fraction': { type: 'string' }, nbs: { type: 'string' }, 'warmup-epochs': { type: 'string' }, project: { type: 'string' }, name: { type: 'string' }, resume: { type: 'string' }, device: { type: 'string' },
    'hsv-h': { type: 'string' }, 'hsv-s': { type: 'string' }, 'hsv-v': { type: 'string' }, fliplr: { type: 'string' }, translate: { type: 'string' }, scale: { type: 'string' },
  });
  if (v.help) return void process.stdout.write(HELP);
  if (v.device !== undefined && v.device !== 'cpu') throw new LeyoloError('BAD_ARGUMENT', `--device ${String(v.device)} is not available (onnxruntime-node CPU)`, 'use --device cpu');
  const resumeDir = str(v.resume);
  let args: RunArgs;
  let dir: string;
  if (resumeDir) {
    ({ dir, args } = resumeRun(resumeDir));
  } else {
    const data = str(v.data);
    if (!data) throw new LeyoloError('BAD_ARGUMENT', 'train needs --data', 'e.g. leyolo train --data coco8.yaml --model nano --epochs 10 --imgsz 320');
    args = { data: resolve(data), images: str(v.images), model: choice('model', v.model, SCALES, 'nano'), weights: str(v.weights), config: resolveTrainConfig(configFrom(v)) };
    dir = nextRunDir(str(v.project) ?? join('runs', 'train'), str(v.name));
  }
  const cfg = resolveTrainConfig(args.config);
  const trainDs = await loadDataset(args.data, { split: 'train', images: args.images });
  const valDs = await loadDataset(args.data, { split: 'val', images: args.images });
  for (const p of [...trainDs.problems, ...(valDs?.problems ?? [])]) process.stderr.write(`warning: ${p.file}: ${p.reason}${p.skipped ? ' (skipped)' : ''}\n`);
  const ckPath = resumeDir ? join(dir, 'weights', 'last.safetensors') : args.weights ? await resolveWeights({ weights: args.weights }) : undefined;
  const ck = ckPath ? await loadCheckpointFile(ckPath) : null;
  // The run folder's own files are rewritten by this run: they are not inputs to protect.
  if (resumeDir && ckPath) releaseInput(ckPath);
  const scale = ck ? modelOfCheckpoint(ck).scale : args.model;
  let stop = false;
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nstopping after this batch (Ctrl-C again to quit now)...\n');
  });
  process.stderr.write(`Training LeYOLO-${scale} on ${trainDs.items.length} images (${trainDs.names.length} classes) for ${cfg.epochs} epochs at ${cfg.imgsz}, batch ${cfg.batch}; run folder ${dir}\n`);
  let bar: Progress | undefined;
  const res = await train({ scale, ck }, { train: trainDs, val: valDs }, cfg, { dir, resume: Boolean(resumeDir), args: { data: args.data, images: args.images, weights: args.weights } }, {
    shouldStop: () => stop,
    onProblem: (p) => void process.stderr.write(`\nwarning: ${p.file}: ${p.reason} (does not decode any more: trained on as a blank background image)\n`),
    onEpochStart: (s) => { bar = new Progress(`epoch ${s.epoch + 1}/${cfg.epochs}`, s.batches, 'batch'); },
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
  process.stderr.write(`${res.stopped === 'interrupted' ? `Interrupted: weights saved to ${join(dir, 'weights', 'interrupted.safetensors')}; continue with leyolo train --resume ${dir}` : `Done (${res.stopped})`}. Results in ${dir}\n`);
  if (res.stopped === 'interrupted') process.exitCode = 130;
}
