/**
 * `train(model, data, opts, hooks)`: the Ultralytics 8.1.4 detection recipe on onnxruntime.
 * Per batch: augmented batch (worker threads) -> TrainStep (forward, v8 loss, backward) -> gradient
 * accumulation to a nominal batch of 64 -> clip -> SGD/AdamW -> EMA. Per epoch: validation of the EMA
 * weights, results.csv, plots, last/best checkpoints (atomic), early stopping.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { LeyoloError } from '../errors.js';
import type { Dataset } from '../data/types.js';
import { DataPool } from '../data/worker.js';
import { Rng } from '../data/rng.js';
import { DEFAULT_HYP, mosaicEnabled, type AugmentHyp } from '../data/hyp.js';
import { resolveModel, type ResolvedModel } from '../model/resolve.js';
import { yamlOfScale } from '../model/yaml.js';
import type { ScaleName } from '../model/table.js';
import { fromCheckpoint } from '../node/load.js';
import { readTextFile, writeFileAtomic } from '../node/fs.js';
import { svgToPng } from '../node/plots.js';
import { validate } from '../val/validate.js';
import { pyRound } from '../image/letterbox.js';
import type { Checkpoint } from '../weights/pt.js';
import type { StateDict } from '../tensor.js';
import { TrainStep } from './step.js';
import { Optimizer, autoOptimizer, clipGradNorm, groupOf, linearLf, schedule, type GroupIndex } from './optim.js';
import { Ema } from './ema.js';
import { initParams, bnWeightNames } from './init.js';
import { defaultBn } from '../model/random-weights.js';
import { resultsCsv, resultsSvg, type EpochRecord } from './report.js';
import { loadState, saveState, saveWeights, type LoopState } from './state.js';
import type { TrainConfig } from './config.js';

/** What to train: a scale, optionally starting from a checkpoint. */
export interface TrainModel {
  scale: ScaleName;
  ck: Checkpoint | null;
}
/** Train and (optional) val splits. */
export interface TrainData {
  train: Dataset;
  val?: Dataset;
}
/** Where to write (a run folder) and whether to resume from it. */
export interface TrainOutput {
  dir: string;
  resume?: boolean;
  /** Extra fields for args.json (e.g. the data spec, so `--resume` needs nothing else). */
  args?: Record<string, unknown>;
}
/** Awaited hooks: progress, logging, custom stopping. */
export interface TrainHooks {
  /** Before the first batch of an epoch (0-based epoch, number of batches). */
  onEpochStart?: (s: { epoch: number; batches: number }) => void | Promise<void>;
  onBatchEnd?: (s: { epoch: number; batch: number; batches: number; items: { box: number; cls: number; dfl: number }; imgPerS: number }) => void | Promise<void>;
  onEpochEnd?: (r: EpochRecord) => void | Promise<void>;
  /** Checked between batches: when it returns true, training stops after saving (Ctrl-C). */
  shouldStop?: () => boolean;
  /** A training image failed to decode (once per file): it was replaced by a blank background sample. */
  onProblem?: (p: { file: string; reason: string }) => void | Promise<void>;
}
export interface TrainResult {
  epochs: EpochRecord[];
  best: string;
  last: string;
  stopped: 'done' | 'patience' | 'interrupted';
}

interface Ctx {
  m: ResolvedModel;
  params: StateDict;
  opt: Optimizer;
  ema: Ema;
  step: TrainStep;
  loop: LoopState;
  bn: Checkpoint['bn'];
  names: string[];
  /** Training images already reported as undecodable (each is reported once per run). */
  reported: Set<string>;
}

const toMap = (sd: StateDict) => new Map([...sd].map(([k, t]) => [k, t.data]));

/** The EMA weights as a loadable checkpoint. */
function emaCheckpoint(c: Ctx, epoch: number): Checkpoint {
  const stateDict: StateDict = new Map([...c.params].map(([k, t]) => [k, { shape: t.shape, data: c.ema.state.get(k) ?? t.data }]));
  return { stateDict, nc: c.m.nc, names: c.names, stride: c.m.strides, yaml: yamlOfScale(c.m.scale, c.m.nc), bn: c.bn, meta: { epoch, date: new Date().toISOString(), version: 'leyolo' } };
}

function setup(model: TrainModel, data: TrainData, cfg: TrainConfig, out: TrainOutput): Ctx {
  const nc = data.train.names.length;
  const m = resolveModel({ scale: model.scale, nc });
  const { params } = initParams(m, model.ck, cfg.seed);
  const bn = model.ck?.bn.size ? model.ck.bn : defaultBn(params);
  const accumulate = Math.max(pyRound(cfg.nbs / cfg.batch), 1);
  const weightDecay = (cfg.weightDecay * cfg.batch * accumulate) / cfg.nbs;
  const iterations = Math.ceil(data.train.items.length / Math.max(cfg.batch, cfg.nbs)) * cfg.epochs;
  const oc = autoOptimizer({ nc, iterations, weightDecay, name: cfg.optimizer, lr0: cfg.lr0, momentum: cfg.momentum });
  const bnW = bnWeightNames(params);
  const groups = new Map<string, GroupIndex>();
  for (const l of m.layers) for (const p of l.params) if (p.kind === 'param') groups.set(p.name, groupOf(p.name, bnW));
  const opt = new Optimizer(oc, groups);
  let loop: LoopState = { epoch: 0, emaUpdates: 0, optStep: 0, lastOptStep: -1, bestFitness: -1, bestEpoch: -1, scale: m.scale, config: cfg, optimizer: oc };
  let ema = new Ema(toMap(params));
  const statePath = join(out.dir, 'weights', 'last.state.safetensors');
  if (out.resume) {
    const s = loadState(statePath);
    checkStateShapes(s, params, statePath);
    for (const [k, t] of s.model) params.get(k)?.data.set(t.data);
    for (const [k, mm] of s.m) opt.state.set(k, { m: mm, v: s.v.get(k) });
    opt.step = s.loop.optStep;
    loop = s.loop;
    ema = new Ema(toMap(params), s.loop.emaUpdates);
    // States written before the EMA moved into them: the EMA is last.safetensors' weights.
    const saved = s.ema.size ? s.ema : new Map([...(model.ck?.stateDict ?? [])].map(([k, t]) => [k, t.data]));
    for (const [k, e] of ema.state) { const t = saved.get(k); if (t) e.set(t); }
  }
  return { m, params, opt, ema, step: new TrainStep(m, { bn, threads: cfg.threads }), loop, bn, names: data.train.names, reported: new Set() };
}

/** Every tensor of a resume state must match the model it resumes (same names, same sizes). */
function checkStateShapes(s: ReturnType<typeof loadState>, params: ReadonlyMap<string, { data: Float32Array }>, path: string): void {
  const bad = (what: string) => new LeyoloError('BAD_RESUME', `the resume state ${path} does not match the model (${what})`, 'the run folder was changed by hand or written by another version; start a new run');
  if (s.model.size !== params.size) throw bad(`${s.model.size} weight tensors, the model has ${params.size}`);
  for (const [k, t] of s.model) if (params.get(k)?.data.length !== t.data.length) throw bad(`'${k}'`);
  for (const group of [s.ema, s.m, s.v]) for (const [k, t] of group) if (params.get(k)?.data.length !== t.length) throw bad(`'${k}'`);
}

/** Shuffled batches of indices for an epoch (seeded: the same seed and epoch give the same batches). */
function epochBatches(n: number, batch: number, rng: Rng): number[][] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const out: number[][] = [];
  for (let i = 0; i < n; i += batch) out.push(idx.slice(i, i + batch));
  return out;
}

function hypOf(cfg: TrainConfig): AugmentHyp {
  return { ...DEFAULT_HYP, hsv_h: cfg.hsvH, hsv_s: cfg.hsvS, hsv_v: cfg.hsvV, translate: cfg.translate, scale: cfg.scale, fliplr: cfg.fliplr, mosaic: cfg.mosaic, closeMosaic: cfg.closeMosaic };
}

/** One epoch of optimisation; returns mean loss items and throughput, or null when stopped. */
async function runEpoch(c: Ctx, pool: DataPool, ds: Dataset, cfg: TrainConfig, epoch: number, hooks: TrainHooks): Promise<{ items: [number, number, number]; imgPerS: number } | null> {
  const batches = epochBatches(ds.items.length, cfg.batch, new Rng(cfg.seed * 1000003 + epoch));
  const nb = batches.length;
  // Ultralytics: max(round(warmup_epochs * nb), 100), or no warmup at all (-1) when warmup_epochs is 0
  const nw = cfg.warmupEpochs > 0 ? Math.max(pyRound(cfg.warmupEpochs * nb), 100) : -1;
  const lf = linearLf(cfg.epochs, cfg.lrf);
  const opts = { imgsz: cfg.imgsz, mosaic: mosaicEnabled(epoch, cfg.epochs, hypOf(cfg)), hyp: hypOf(cfg) };
  const sum: [number, number, number] = [0, 0, 0];
  let acc: Map<string, Float32Array> | null = null;
  let seen = 0;
  await hooks.onEpochStart?.({ epoch, batches: nb });
  const t0 = performance.now();
  let i = 0;
  for await (const b of pool.trainEpoch(batches, opts, new Rng(cfg.seed * 7919 + epoch))) {
    if (hooks.shouldStop?.()) return null;
    for (const p of b.problems ?? []) {
      if (c.reported.has(p.file)) continue;
      c.reported.add(p.file);
      await hooks.onProblem?.(p);
    }
    const ni = i + nb * epoch;
    const accumulate = schedule(c.opt, { ni, nw, epoch, lf, warmupBiasLr: c.opt.cfg.warmupBiasLr ?? cfg.warmupBiasLr, warmupMomentum: cfg.warmupMomentum, nbs: cfg.nbs, batch: cfg.batch });
    const r = await c.step.run(c.params, { images: b.images, shape: [b.batchSize, 3, b.imgsz, b.imgsz], targets: { batchIdx: b.batchIdx, cls: b.cls, boxes: b.boxes } });
    if (!acc) acc = r.grads;
    else for (const [k, g] of r.grads) { const a = acc.get(k); if (a) for (let j = 0; j < a.length; j++) a[j] += g[j]; }
    if (ni - c.loop.lastOptStep >= accumulate) {
      clipGradNorm(acc, 10);
      c.opt.update(toMap(c.params), acc);
      c.ema.update(toMap(c.params));
      acc = null;
      c.loop.lastOptStep = ni;
    }
    sum[0] += r.items.box;
    sum[1] += r.items.cls;
    sum[2] += r.items.dfl;
    seen += b.batchSize;
    i++;
    const imgPerS = seen / ((performance.now() - t0) / 1000);
    await hooks.onBatchEnd?.({ epoch, batch: i, batches: nb, items: { box: sum[0] / i, cls: sum[1] / i, dfl: sum[2] / i }, imgPerS });
  }
  return { items: [sum[0] / i, sum[1] / i, sum[2] / i], imgPerS: seen / ((performance.now() - t0) / 1000) };
}

/**
 * Validate the EMA weights; returns Ultralytics P, R, mAP50, mAP50-95 and COCO AP. As in Ultralytics,
 * `val: false` skips every epoch but the last.
 */
async function evaluate(c: Ctx, val: Dataset | undefined, cfg: TrainConfig, epoch: number): Promise<[number, number, number, number, number]> {
  if (!val || (!cfg.val && epoch + 1 < cfg.epochs)) return [NaN, NaN, NaN, NaN, NaN];
  const det = await fromCheckpoint(emaCheckpoint(c, epoch), { imgsz: cfg.imgsz, threads: cfg.threads, scale: c.m.scale });
  try {
    const n = Math.max(1, Math.round(val.items.length * cfg.valFraction));
    const r = await validate(det, { ...val, items: val.items.slice(0, n), coco: n === val.items.length ? val.coco : undefined });
    const u = r.ultralytics;
    return [u.precision, u.recall, u.mAP50, u.mAP5095, r.coco.AP];
  } finally {
    await det.dispose();
  }
}

/**
 * Train or fine-tune a LeYOLO model.
 *
 * @example
 * const res = await train({ scale: 'nano', ck }, { train, val }, resolveTrainConfig({ epochs: 10, imgsz: 320 }), { dir: 'runs/train/1' });
 */
export async function train(model: TrainModel, data: TrainData, cfg: TrainConfig, out: TrainOutput, hooks: TrainHooks = {}): Promise<TrainResult> {
  const c = setup(model, data, cfg, out);
  const wdir = join(out.dir, 'weights');
  const last = join(wdir, 'last.safetensors');
  const best = join(wdir, 'best.safetensors');
  const rows: EpochRecord[] = out.resume ? await previousRows(out.dir, c.loop.epoch) : [];
  writeFileAtomic(join(out.dir, 'args.json'), `${JSON.stringify({ ...out.args, model: c.m.scale, nc: c.m.nc, config: cfg, optimizer: c.opt.cfg }, null, 1)}\n`);
  const pool = new DataPool(data.train, { workers: cfg.workers });
  let stopped: TrainResult['stopped'] = 'done';
  try {
    for (let epoch = c.loop.epoch; epoch < cfg.epochs; epoch++) {
      const e = await runEpoch(c, pool, data.train, cfg, epoch, hooks);
      if (!e) {
        saveWeights(join(wdir, 'interrupted.safetensors'), emaCheckpoint(c, epoch));
        stopped = 'interrupted';
        break;
      }
      const [p, r, m50, m5095, cocoAP] = await evaluate(c, data.val, cfg, epoch);
      const rec: EpochRecord = {
        epoch: epoch + 1, 'train/box_loss': e.items[0], 'train/cls_loss': e.items[1], 'train/dfl_loss': e.items[2], 'metrics/precision(B)': p,
        'metrics/recall(B)': r, 'metrics/mAP50(B)': m50, 'metrics/mAP50-95(B)': m5095, 'metrics/cocoAP(B)': cocoAP,
        'lr/pg0': c.opt.lr[0], 'lr/pg1': c.opt.lr[1], 'lr/pg2': c.opt.lr[2], 'train/img_per_s': e.imgPerS,
      };
      rows.push(rec);
      const fitness = Number.isFinite(m5095) ? 0.1 * m50 + 0.9 * m5095 : -e.items.reduce((a, b) => a + b, 0);
      const ck = emaCheckpoint(c, epoch);
      if (fitness > c.loop.bestFitness) {
        c.loop.bestFitness = fitness;
        c.loop.bestEpoch = epoch;
        saveWeights(best, ck);
      }
      Object.assign(c.loop, { epoch: epoch + 1, emaUpdates: c.ema.updates, optStep: c.opt.step });
      // The state file is the commit point of an epoch (--resume reads the weights, EMA and counters
      // from it alone), so results.csv is written before it: a kill between two writes at worst
      // repeats this epoch, and never resumes past a results.csv row that is missing.
      writeFileAtomic(join(out.dir, 'results.csv'), resultsCsv(rows));
      saveWeights(last, ck);
      saveState(join(wdir, 'last.state.safetensors'), c.params, c.ema.state, c.opt, c.loop);
      await svgToPng(resultsSvg(rows), join(out.dir, 'results.png'));
      await hooks.onEpochEnd?.(rec);
      if (cfg.patience > 0 && epoch - c.loop.bestEpoch >= cfg.patience) {
        stopped = 'patience';
        break;
      }
    }
  } finally {
    await pool.close();
    await c.step.dispose();
  }
  return { epochs: rows, best, last, stopped };
}

async function previousRows(dir: string, upTo: number): Promise<EpochRecord[]> {
  const { parseResultsCsv } = await import('./report.js');
  const f = join(dir, 'results.csv');
  if (!existsSync(f)) return [];
  try {
    return parseResultsCsv(readTextFile(f, { what: 'results file', input: false })).filter((r) => r.epoch <= upTo);
  } catch (e) {
    throw new LeyoloError('BAD_RESUME', `cannot read ${f}: ${(e as Error).message}`, 'restore results.csv or remove it (its rows are then lost)', { cause: e });
  }
}
