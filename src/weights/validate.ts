/**
 * Checks shared by both checkpoint formats (.pt and safetensors): values that would otherwise load
 * "fine" and then silently produce NaN boxes or allocate absurd class tables are refused here.
 */
import type { LeyoloError } from '../errors.js';
import type { StateDict } from '../tensor.js';
import { LIMITS, overLimit } from './limits.js';

/** BatchNorm hyper-parameters read from a pickled `BatchNorm2d`. */
export interface BnInfo {
  eps: number;
  momentum: number;
}

/** Builds the format's own BAD_CHECKPOINT error (its hint names the format). */
export type BadFn = (message: string) => LeyoloError;

/** Smallest accepted BatchNorm eps: var + eps must stay a normal float32 whose sqrt is invertible. */
const MIN_EPS = 1e-12;

/**
 * eps/momentum of BatchNorm `where`, validated: eps finite in [1e-12, 1) (PyTorch's default is 1e-5,
 * Ultralytics' 1e-3; eps <= 0 gives NaN or infinite scales), momentum finite in [0, 1].
 *
 * @example
 * checkBn(0.001, 0.03, 'model.0.bn', bad); // { eps: 0.001, momentum: 0.03 }
 */
export function checkBn(eps: unknown, momentum: unknown, where: string, bad: BadFn): BnInfo {
  if (typeof eps !== 'number' || typeof momentum !== 'number') throw bad(`BatchNorm '${where}' lacks eps/momentum`);
  if (!(eps >= MIN_EPS && eps < 1)) throw bad(`BatchNorm '${where}' has eps ${eps} (expected a small positive number such as 1e-3)`);
  if (!(momentum >= 0 && momentum <= 1)) throw bad(`BatchNorm '${where}' has momentum ${momentum} (expected a number in [0, 1])`);
  return { eps, momentum };
}

/**
 * Class count and names: nc an integer in [1, LIMITS.nc] (LIMIT_EXCEEDED above), exactly nc names.
 *
 * @example
 * checkClasses(80, names, bad);
 */
export function checkClasses(nc: unknown, names: readonly unknown[], bad: BadFn): number {
  if (typeof nc === 'number' && nc > LIMITS.nc) throw overLimit(`checkpoint has nc=${nc}, over the limit of ${LIMITS.nc} classes`);
  if (typeof nc !== 'number' || !Number.isInteger(nc) || nc < 1) throw bad(`checkpoint has nc=${String(nc)} (expected a positive integer)`);
  if (names.length !== nc) throw bad(`checkpoint has nc=${nc} but ${names.length} class names`);
  return nc;
}

/**
 * Detection strides: 1..LIMITS.strides finite positive numbers.
 *
 * @example
 * checkStride([8, 16, 32], bad);
 */
export function checkStride(stride: readonly number[], bad: BadFn): number[] {
  if (stride.length === 0 || stride.length > LIMITS.strides || !stride.every((s) => Number.isFinite(s) && s > 0)) {
    throw bad(`checkpoint has strides [${stride.slice(0, LIMITS.strides).join(', ')}] (expected a few positive numbers such as [8, 16, 32])`);
  }
  return [...stride];
}

/**
 * Every weight must be finite (NaN/Inf weights only ever produce NaN boxes: a diverged or corrupt
 * model) and BatchNorm running variances must be >= 0 (sqrt of a negative variance is NaN).
 * About 2 ms for the largest official model.
 *
 * @example
 * checkWeights(ck.stateDict, bad);
 */
export function checkWeights(sd: StateDict, bad: BadFn): void {
  for (const [name, t] of sd) {
    const d = t.data;
    // x - x is 0 for finite x and NaN for NaN and +-Infinity: one branch-free test per element.
    let acc = 0;
    for (let i = 0; i < d.length; i++) acc += d[i] - d[i];
    if (acc !== 0) throw bad(`'${name}' holds NaN or infinite values (a diverged or corrupt model)`);
    if (name.endsWith('.running_var')) {
      for (let i = 0; i < d.length; i++) if (d[i] < 0) throw bad(`'${name}' holds a negative variance (${d[i]})`);
    }
  }
}
