/**
 * Train mode (Ultralytics `model.train(data=..., epochs=...)`): datasets, the run folder, fine-tuning
 * from a checkpoint or training from scratch, and `resume` of a run folder (validated: a missing,
 * damaged or finished state is BAD_RESUME, never a silent restart over the run's results).
 */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { loadDataset } from '../data/dataset.js';
import type { DatasetProblem } from '../data/types.js';
import { LeyoloError, guard } from '../errors.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import type { ScaleName } from '../model/table.js';
import { parseOptions, TrainOptionsSchema, type TrainOptions } from '../options.js';
import { TrainConfigSchema, type TrainConfig } from '../train/config.js';
import type { EpochRecord } from '../train/report.js';
import { readLoopState } from '../train/state.js';
import { train as trainLoop, type TrainHooks, type TrainResult } from '../train/trainer.js';
import type { Checkpoint } from '../weights/pt.js';
import { loadCheckpointFile } from '../weights/node.js';
import { nextRunDir, readTextFile, releaseInput } from './fs.js';
import { resolveWeights } from './hub.js';

/** What {@link train} returns. */
export interface TrainRun extends TrainResult {
  /** The run folder (weights/, results.csv, results.png, args.json). */
  dir: string;
  /** The last epoch's row (losses, P, R, mAP50, mAP50-95), if any epoch finished. */
  final?: EpochRecord;
  /** The training settings the run used (defaults filled in). */
  config: TrainConfig;
}

/** Hooks of {@link train}: the trainer's, plus the loaded datasets. */
export interface TrainRunHooks extends TrainHooks {
  onDataset?: (d: { train: number; val: number; classes: number; problems: DatasetProblem[]; dir: string; scale: ScaleName; config: TrainConfig }) => void | Promise<void>;
}

/** Where the model comes from: a loaded checkpoint (fine-tune), a weights path, or nothing (scratch). */
export interface TrainSource {
  checkpoint?: Checkpoint;
  weights?: string;
  /** A run folder (or its weights/last.safetensors) to continue exactly. */
  resume?: string;
}

/** args.json of a run folder: what `resume` needs to continue it (validated; it may be damaged). */
const RunArgsSchema = z.object({
  data: z.string().min(1),
  images: z.string().optional(),
  model: z.enum(['nano', 'small', 'medium', 'large']),
  weights: z.string().optional(),
  config: TrainConfigSchema,
});
type RunArgs = z.infer<typeof RunArgsSchema>;

const RESUME_HINT = "resume a folder written by leyolo train that finished at least one epoch (e.g. resume: 'runs/train/3')";

/** The run folder of `resume`, its validated args.json, and the check that it has epochs left. */
function resumeRun(resume: string): { dir: string; args: RunArgs } {
  let st;
  try {
    st = statSync(resume, { throwIfNoEntry: false });
  } catch (e) {
    throw new LeyoloError('BAD_RESUME', `resume: cannot read ${resume}: ${(e as Error).message}`, RESUME_HINT, { cause: e });
  }
  if (!st) throw new LeyoloError('BAD_RESUME', `resume: ${resume} does not exist`, RESUME_HINT);
  const dir = st.isDirectory() ? resume : dirname(dirname(resume));
  let raw: unknown;
  try {
    raw = JSON.parse(readTextFile(join(dir, 'args.json'), { what: 'run arguments file', input: false }));
  } catch (e) {
    throw new LeyoloError('BAD_RESUME', `resume: cannot read ${join(dir, 'args.json')}: ${(e as Error).message}`, RESUME_HINT, { cause: e });
  }
  const parsed = RunArgsSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new LeyoloError('BAD_RESUME', `resume: ${join(dir, 'args.json')} is damaged (${i.path.join('.') || 'root'}: ${i.message})`, 'restore it, or start a new run');
  }
  const loop = readLoopState(join(dir, 'weights', 'last.state.safetensors'));
  if (loop.epoch >= parsed.data.config.epochs) {
    throw new LeyoloError('BAD_RESUME', `resume: ${dir} already finished its ${parsed.data.config.epochs} epochs; nothing to resume`, 'start a new run, e.g. fine-tune from its weights/best.safetensors');
  }
  return { dir, args: parsed.data };
}

/** The run's arguments and folder: from `resume`, or from the options (a new numbered folder). */
function runOf(options: TrainOptions, src: TrainSource): { dir: string; args: RunArgs } {
  if (src.resume) return resumeRun(src.resume);
  const o = parseOptions(TrainOptionsSchema, options, 'train');
  const { data, images, model, project, name, ...config } = o;
  return { dir: nextRunDir(project, name), args: { data: resolve(data), images, model, weights: src.weights, config } };
}

/**
 * Train or fine-tune a LeYOLO model. With `checkpoint` or `weights` the model is fine-tuned from
 * them (a COCO checkpoint on a dataset with other classes keeps everything but the class branch's
 * last conv); without, it trains `options.model` from scratch. `resume` continues a run folder.
 *
 * @example
 * const run = await train({ data: 'coco8.yaml', epochs: 10, imgsz: 320 }, { weights: 'LeYOLONano.pt' });
 * console.log(run.dir, run.final?.['metrics/mAP50-95(B)']);
 */
export function train(options: TrainOptions, src: TrainSource = {}, hooks: TrainRunHooks = {}): Promise<TrainRun> {
  return guard('train', async () => {
    const { dir, args } = runOf(options, src);
    const cfg = TrainConfigSchema.parse(args.config);
    const trainDs = await loadDataset(args.data, { split: 'train', images: args.images });
    const valDs = await loadDataset(args.data, { split: 'val', images: args.images });
    const ckPath = src.resume ? join(dir, 'weights', 'last.safetensors') : args.weights ? await resolveWeights({ weights: args.weights }) : undefined;
    const ck = ckPath ? await loadCheckpointFile(ckPath) : (src.checkpoint ?? null);
    // The run folder's own files are rewritten by this run: they are not inputs to protect.
    if (src.resume && ckPath) releaseInput(ckPath);
    const scale = ck ? modelOfCheckpoint(ck).scale : args.model;
    await hooks.onDataset?.({ train: trainDs.items.length, val: valDs.items.length, classes: trainDs.names.length, problems: [...trainDs.problems, ...valDs.problems], dir, scale, config: cfg });
    const res = await trainLoop({ scale, ck }, { train: trainDs, val: valDs }, cfg, { dir, resume: Boolean(src.resume), args: { data: args.data, images: args.images, weights: args.weights } }, hooks);
    return { ...res, dir, final: res.epochs[res.epochs.length - 1], config: cfg };
  });
}
