/**
 * Training checkpoints: `weights/last.safetensors` and `best.safetensors` hold the EMA weights as a
 * normal leyolo checkpoint (predict/val/export load them directly); `last.state.safetensors` holds
 * everything `--resume` needs on its own: the raw model weights, the EMA, the optimizer buffers and
 * the loop counters. It is written last in an epoch, so it is the epoch's commit point.
 */
import { LeyoloError } from '../errors.js';
import { MAX_BYTES, readRegularFileSync, writeFileAtomic } from '../node/fs.js';
import { checkpointToSafetensors, readSafetensors, writeSafetensors } from '../weights/safetensors.js';
import type { Checkpoint } from '../weights/pt.js';
import type { StateDict } from '../tensor.js';
import type { Optimizer } from './optim.js';
import { opt } from '../hints.js';

/** Loop counters and settings saved for an exact resume. */
export interface LoopState {
  /** Next epoch to run (0-based). */
  epoch: number;
  emaUpdates: number;
  optStep: number;
  /** Iteration index of the last optimizer step (Ultralytics `last_opt_step`). */
  lastOptStep: number;
  bestFitness: number;
  bestEpoch: number;
  scale: string;
  config: Record<string, unknown>;
  optimizer: { name: string; lr0: number; momentum: number; weightDecay: number };
}

/** Write a checkpoint file (EMA weights + metadata) atomically. */
export function saveWeights(path: string, ck: Checkpoint): void {
  writeFileAtomic(path, checkpointToSafetensors(ck));
}

/** Write the resume state next to last.safetensors (self-contained: it also carries the EMA). */
export function saveState(path: string, model: StateDict, ema: ReadonlyMap<string, Float32Array>, opt: Optimizer, loop: LoopState): void {
  const t: StateDict = new Map();
  for (const [k, v] of model) t.set(`model/${k}`, v);
  for (const [k, e] of ema) t.set(`ema/${k}`, { shape: model.get(k)?.shape ?? [e.length], data: e });
  for (const [k, s] of opt.state) {
    t.set(`opt.m/${k}`, { shape: [s.m.length], data: s.m });
    if (s.v) t.set(`opt.v/${k}`, { shape: [s.v.length], data: s.v });
  }
  writeFileAtomic(path, writeSafetensors(t, { format: 'leyolo-train-state', loop: JSON.stringify(loop) }));
}

const STATE_HINT = `the run cannot be resumed: start a new one (or fine-tune from its weights/best.safetensors with ${opt('weights')})`;

/** The bytes and metadata of a resume state file, with BAD_RESUME for anything missing or damaged. */
function readStateFile(path: string): { tensors: StateDict; loop: LoopState } {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(path, { maxBytes: MAX_BYTES.weights, what: 'resume state', input: false });
  } catch (e) {
    const missing = e instanceof LeyoloError && e.code === 'FILE_NOT_FOUND';
    throw new LeyoloError('BAD_RESUME', missing ? `no resume state at ${path} (the run stopped before its first epoch ended, or the file was removed)` : `cannot read the resume state ${path}: ${(e as Error).message}`, STATE_HINT, { cause: e });
  }
  let parsed: ReturnType<typeof readSafetensors>;
  try {
    parsed = readSafetensors(bytes);
  } catch (e) {
    throw new LeyoloError('BAD_RESUME', `the resume state ${path} is damaged: ${(e as Error).message}`, STATE_HINT, { cause: e });
  }
  const { tensors, metadata } = parsed;
  if (metadata.format !== 'leyolo-train-state' || !metadata.loop) throw new LeyoloError('BAD_RESUME', `${path} is not a leyolo training state`, 'pass the run folder or its weights/last.safetensors');
  let loop: unknown;
  try {
    loop = JSON.parse(metadata.loop);
  } catch (e) {
    throw new LeyoloError('BAD_RESUME', `the resume state ${path} has damaged loop counters`, STATE_HINT, { cause: e });
  }
  const l = loop as Partial<LoopState> | null;
  const count = (x: unknown, min: number) => typeof x === 'number' && Number.isInteger(x) && x >= min;
  if (!l || !count(l.epoch, 0) || !count(l.emaUpdates, 0) || !count(l.optStep, 0) || !count(l.lastOptStep, -1) || typeof l.bestFitness !== 'number' || !count(l.bestEpoch, -1)) {
    throw new LeyoloError('BAD_RESUME', `the resume state ${path} has damaged loop counters`, STATE_HINT);
  }
  return { tensors, loop: l as LoopState };
}

/**
 * The loop counters of a resume state (cheap validity check before loading datasets).
 *
 * @example
 * readLoopState('runs/train/1/weights/last.state.safetensors').epoch; // next epoch to run
 */
export function readLoopState(path: string): LoopState {
  return readStateFile(path).loop;
}

/** Read a resume state written by {@link saveState}. */
export function loadState(path: string): { model: StateDict; ema: Map<string, Float32Array>; m: Map<string, Float32Array>; v: Map<string, Float32Array>; loop: LoopState } {
  const { tensors, loop } = readStateFile(path);
  const model: StateDict = new Map();
  const ema = new Map<string, Float32Array>();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [k, t] of tensors) {
    if (k.startsWith('model/')) model.set(k.slice(6), t);
    else if (k.startsWith('ema/')) ema.set(k.slice(4), t.data);
    else if (k.startsWith('opt.m/')) m.set(k.slice(6), t.data);
    else if (k.startsWith('opt.v/')) v.set(k.slice(6), t.data);
  }
  return { model, ema, m, v, loop };
}
