/**
 * Ultralytics 8.1.4's optimizer recipe on typed arrays: three parameter groups (biases, weights with
 * decay, BatchNorm weights), SGD (Nesterov) or AdamW chosen by the 'auto' rule, linear LR decay with
 * warm-up, gradient-norm clipping at 10.
 */
import { LeyoloError } from '../errors.js';
import { pyRound } from '../image/letterbox.js';

/** Group index as Ultralytics orders them: 0 = biases (no decay), 1 = weights (decay), 2 = BN weights (no decay). */
export type GroupIndex = 0 | 1 | 2;

/** Which group a trainable parameter belongs to (Ultralytics `build_optimizer`). */
export function groupOf(name: string, bnWeights: ReadonlySet<string>): GroupIndex {
  if (name.endsWith('.bias')) return 0;
  if (bnWeights.has(name)) return 2;
  return 1;
}

export interface OptimizerConfig {
  name: 'SGD' | 'AdamW';
  lr0: number;
  momentum: number;
  /** Already scaled by batch * accumulate / nbs. */
  weightDecay: number;
  /** The 'auto' rule forces the warm-up bias lr to 0 ("no higher than 0.01 for Adam"). */
  warmupBiasLr?: number;
}

/**
 * The 'auto' rule: SGD lr 0.01 momentum 0.9 for runs over 10k iterations, else AdamW with
 * lr = round(0.002 * 5 / (4 + nc), 6) and betas (0.9, 0.999).
 *
 * @example
 * autoOptimizer({ nc: 80, iterations: 1200, weightDecay: 5e-4 }); // { name: 'AdamW', lr0: 0.000119, ... }
 */
export function autoOptimizer(o: { nc: number; iterations: number; weightDecay: number; name?: 'auto' | 'SGD' | 'AdamW'; lr0?: number; momentum?: number }): OptimizerConfig {
  const name = o.name ?? 'auto';
  if (name === 'auto') {
    if (o.iterations > 10000) return { name: 'SGD', lr0: 0.01, momentum: 0.9, weightDecay: o.weightDecay, warmupBiasLr: 0 };
    return { name: 'AdamW', lr0: Math.round((0.002 * 5) / (4 + o.nc) * 1e6) / 1e6, momentum: 0.9, weightDecay: o.weightDecay, warmupBiasLr: 0 };
  }
  return { name, lr0: o.lr0 ?? 0.01, momentum: o.momentum ?? 0.937, weightDecay: o.weightDecay };
}

/** Per-parameter optimizer state (momentum buffer / Adam moments). */
export interface ParamState {
  m: Float32Array;
  v?: Float32Array;
}

/** Optimizer over named Float32Array parameters with per-group lr/momentum (mutated by the schedule). */
export class Optimizer {
  readonly lr: [number, number, number];
  momentum: number;
  step = 0;
  readonly state = new Map<string, ParamState>();

  constructor(readonly cfg: OptimizerConfig, private readonly groups: Map<string, GroupIndex>) {
    this.lr = [cfg.lr0, cfg.lr0, cfg.lr0];
    this.momentum = cfg.momentum;
  }

  /** Apply one update to `params` with gradients `grads` (same names). */
  update(params: Map<string, Float32Array>, grads: Map<string, Float32Array>): void {
    this.step++;
    for (const [name, g] of grads) {
      const p = params.get(name);
      const grp = this.groups.get(name);
      if (!p || grp === undefined) throw new LeyoloError('RUNTIME', `no parameter/group for gradient ${name}`, 'this is a bug');
      const wd = grp === 1 ? this.cfg.weightDecay : 0;
      let s = this.state.get(name);
      const fresh = !s;
      if (!s) {
        s = { m: new Float32Array(p.length), v: this.cfg.name === 'AdamW' ? new Float32Array(p.length) : undefined };
        this.state.set(name, s);
      }
      if (this.cfg.name === 'SGD') sgd(p, g, s.m, this.lr[grp], this.momentum, wd, fresh);
      else adamw(p, g, s, this.lr[grp], this.cfg.momentum, wd, this.step); // Adam's beta1 is not warmed up
    }
  }
}

/** torch.optim.SGD(nesterov=True, dampening=0): buf = mu*buf + (g + wd*p); p -= lr*(g' + mu*buf). */
function sgd(p: Float32Array, g: Float32Array, buf: Float32Array, lr: number, mu: number, wd: number, first: boolean): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + wd * p[i];
    buf[i] = first ? gi : mu * buf[i] + gi;
    p[i] -= lr * (gi + mu * buf[i]);
  }
}

/** torch.optim.AdamW (decoupled decay, bias-corrected, eps 1e-8, beta2 0.999). */
function adamw(p: Float32Array, g: Float32Array, s: ParamState, lr: number, b1: number, wd: number, t: number): void {
  const v = s.v as Float32Array;
  const b2 = 0.999;
  const c1 = 1 - b1 ** t;
  const c2 = Math.sqrt(1 - b2 ** t);
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - lr * wd;
    s.m[i] = b1 * s.m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= (lr * (s.m[i] / c1)) / (Math.sqrt(v[i]) / c2 + 1e-8);
  }
}

/** torch.nn.utils.clip_grad_norm_(max_norm): scale all gradients so their global L2 norm <= max. Returns the norm. */
export function clipGradNorm(grads: Map<string, Float32Array>, maxNorm = 10): number {
  let ss = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  const norm = Math.sqrt(ss);
  const k = maxNorm / (norm + 1e-6);
  if (k < 1) for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] *= k;
  return norm;
}

/** Linear schedule factor: lf(e) = (1 - e/epochs) * (1 - lrf) + lrf. */
export const linearLf = (epochs: number, lrf: number) => (e: number) => Math.max(1 - e / epochs, 0) * (1 - lrf) + lrf;

const interp = (x: number, x0: number, x1: number, y0: number, y1: number) => (x <= x0 ? y0 : x >= x1 ? y1 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0));

/**
 * Set the learning rates (and SGD momentum) for iteration `ni` of epoch `epoch`: during warm-up
 * (ni <= nw) the bias group ramps down from warmupBiasLr and the others up from 0 to lr0*lf(epoch);
 * momentum ramps from warmupMomentum. Returns the accumulation count for this iteration.
 */
export function schedule(opt: Optimizer, o: { ni: number; nw: number; epoch: number; lf: (e: number) => number; warmupBiasLr: number; warmupMomentum: number; nbs: number; batch: number }): number {
  const target = opt.cfg.lr0 * o.lf(o.epoch);
  if (o.ni > o.nw) {
    opt.lr.fill(target);
    opt.momentum = opt.cfg.momentum;
    return Math.max(pyRound(o.nbs / o.batch), 1);
  }
  for (const j of [0, 1, 2] as const) opt.lr[j] = interp(o.ni, 0, o.nw, j === 0 ? o.warmupBiasLr : 0, target);
  opt.momentum = interp(o.ni, 0, o.nw, o.warmupMomentum, opt.cfg.momentum);
  // numpy's .round(): ties to even (Math.round would round 2.5 up)
  return Math.max(1, pyRound(interp(o.ni, 0, o.nw, 1, o.nbs / o.batch)));
}
