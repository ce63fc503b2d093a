/**
 * One training step on onnxruntime: training-mode forward graph -> v8 loss in TS (d loss / d heads)
 * -> backward graph -> parameter gradients; BatchNorm running statistics are updated in place the
 * way PyTorch does (momentum from the checkpoint, unbiased batch variance).
 *
 * Two sessions per input shape, created once and reused. The forward session hands its batch
 * statistics (and any saved conv outputs, see graph/forward.ts savesZ) to the backward session as ORT
 * tensors; the backward graph recomputes the activations.
 */
import * as ort from 'onnxruntime-node';
import { LeyoloError } from '../errors.js';
import type { ResolvedModel } from '../model/resolve.js';
import type { BnSettings } from '../onnx/fold.js';
import { createSession } from '../node/session.js';
import type { Session } from '../node/session.js';
import type { StateDict, Tensor } from '../tensor.js';
import { backwardGraph, bnSetting, CLS_SCALE, forwardGraph, gradOf, headGrad, headName, serializeTrainGraph } from './graph/index.js';
import { nchwcBlockSize } from '../node/nchwc.js';
import type { BnMode, ForwardGraph } from './graph/index.js';
import { v8LossDetailed } from './loss/index.js';
import type { LossGains, LossTargets } from './loss/index.js';

export interface TrainStepOptions {
  /** eps / momentum per BatchNorm (Checkpoint.bn), or one eps for all (momentum 0.03). */
  bn: BnSettings;
  /** 'train' (default): batch statistics + running-stat update; 'eval': running statistics, frozen. */
  bnMode?: BnMode;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
  /** Use ORT's NCHWc kernels for depthwise convs when the CPU build has them (default true). */
  nchwc?: boolean;
}

/** A batch: images [B, 3, H, W] in 0..1 and Ultralytics-layout targets. */
export interface TrainBatch {
  images: Float32Array;
  shape: [number, number, number, number];
  targets: LossTargets;
}

export interface StepTimings {
  forward: number;
  loss: number;
  backward: number;
}

export interface StepResult {
  /** (box + cls + dfl) * B, what is backpropagated */
  loss: number;
  items: LossGains;
  /** d loss / d parameter for every trainable parameter (not the frozen DFL, not dead layers). */
  grads: Map<string, Float32Array>;
  /** wall-clock milliseconds per phase */
  timings: StepTimings;
}

/** Upstream gradient provider: the v8 loss by default; tests may substitute another scalar loss. */
export type HeadLoss = (heads: Tensor[], targets: LossTargets) => { loss: number; items: LossGains; grads: Tensor[] };

interface Engine {
  fwd: Session;
  bwd: Session;
  fg: ForwardGraph;
  fwdParams: string[];
  bwdParams: string[];
}

const feed = (data: Float32Array, shape: readonly number[]): ort.Tensor => new ort.Tensor('float32', data, shape);

/**
 * Forward + loss + backward for a LeYOLO model with parameters in a mutable state dict.
 *
 * @example
 * const step = new TrainStep(resolveModel({ scale: 'nano' }), { bn: ck.bn, threads: 2 });
 * const { loss, grads } = await step.run(ck.stateDict, { images, shape: [8, 3, 320, 320], targets });
 */
export class TrainStep {
  private readonly engines = new Map<string, Promise<Engine>>();
  private readonly bnMode: BnMode;

  constructor(readonly model: ResolvedModel, readonly opts: TrainStepOptions) {
    this.bnMode = opts.bnMode ?? 'train';
  }

  private engine(shape: readonly number[]): Promise<Engine> {
    const key = shape.join('x');
    let e = this.engines.get(key);
    if (!e) {
      e = this.createEngine([...shape]);
      this.engines.set(key, e);
    }
    return e;
  }

  private async createEngine(shape: number[]): Promise<Engine> {
    const blk = this.opts.nchwc === false ? 0 : await nchwcBlockSize();
    const fg = forwardGraph(this.model, shape, this.bnMode, this.opts.bn, blk);
    const bg = backwardGraph(this.model, shape, this.bnMode, this.opts.bn, blk);
    const threads = this.opts.threads === undefined ? {} : { threads: this.opts.threads };
    const fwd = await createSession(serializeTrainGraph(fg.graph), threads);
    const bwd = await createSession(serializeTrainGraph(bg.graph), threads);
    const special = new Set(['images', CLS_SCALE, ...fg.saved, ...fg.heads.flatMap((_, i) => [headGrad(i), headName(i)])]);
    const params = (names: readonly string[]): string[] => names.filter((n) => !special.has(n));
    return { fwd, bwd, fg, fwdParams: params(fwd.inputNames), bwdParams: params(bwd.inputNames) };
  }

  private paramFeeds(params: StateDict, names: string[], into: Record<string, ort.Tensor>): void {
    for (const n of names) {
      const t = params.get(n);
      if (!t) throw new LeyoloError('MODEL_MISMATCH', `parameters lack '${n}'`, 'load weights that match this model scale and nc');
      into[n] = feed(t.data, t.shape);
    }
  }

  /** Training-mode forward only: raw heads and the saved tensors (also updates BN running stats). */
  async forward(params: StateDict, images: Float32Array, shape: readonly number[], updateStats = true): Promise<{ heads: Tensor[]; saved: Record<string, ort.Tensor> }> {
    const e = await this.engine(shape);
    const feeds: Record<string, ort.Tensor> = { images: feed(images, shape) };
    this.paramFeeds(params, e.fwdParams, feeds);
    const out = await e.fwd.run(feeds);
    const heads = e.fg.heads.map((h) => ({ shape: h.shape, data: out[h.name].data as Float32Array }));
    if (updateStats && this.bnMode === 'train') this.updateRunningStats(params, e.fg, out);
    return { heads, saved: out };
  }

  /** running = (1 - m) running + m batch, with the unbiased batch variance (PyTorch semantics). */
  private updateRunningStats(params: StateDict, fg: ForwardGraph, out: Record<string, ort.Tensor>): void {
    for (const s of fg.bnStats) {
      const m = bnSetting(this.opts.bn, s.bn).momentum;
      const mean = out[`mean:${s.bn}`].data as Float32Array;
      const vr = out[`var:${s.bn}`].data as Float32Array;
      const rm = params.get(`${s.bn}.running_mean`)?.data;
      const rv = params.get(`${s.bn}.running_var`)?.data;
      if (!rm || !rv) continue;
      const unbias = s.n / Math.max(s.n - 1, 1);
      for (let c = 0; c < s.channels; c++) {
        rm[c] = (1 - m) * rm[c] + m * mean[c];
        rv[c] = (1 - m) * rv[c] + m * vr[c] * unbias;
      }
    }
  }

  /**
   * Backward from upstream head gradients, given the forward's outputs (saved tensors and heads).
   * The class-logit gradient is `clsScale * sigmoid(x) + dHeads` (the dense part is added in-graph,
   * see V8LossOptions.clsSoftplusSum); pass clsScale 0 when dHeads is the whole gradient.
   */
  async backward(params: StateDict, images: Float32Array, shape: readonly number[], saved: Record<string, ort.Tensor>, dHeads: Tensor[], clsScale = 0): Promise<Map<string, Float32Array>> {
    const e = await this.engine(shape);
    const feeds: Record<string, ort.Tensor> = { images: feed(images, shape), [CLS_SCALE]: feed(Float32Array.of(clsScale), [1]) };
    this.paramFeeds(params, e.bwdParams, feeds);
    for (const s of e.fg.saved) feeds[s] = saved[s];
    e.fg.heads.forEach((h, i) => { feeds[headName(i)] = saved[h.name]; });
    dHeads.forEach((d, i) => { feeds[headGrad(i)] = feed(d.data, d.shape); });
    const out = await e.bwd.run(feeds);
    const grads = new Map<string, Float32Array>();
    for (const [k, v] of Object.entries(out)) grads.set(k.slice(gradOf('').length), v.data as Float32Array);
    return grads;
  }

  /** forward -> loss -> backward. `loss` substitutes the v8 loss (tests). */
  async run(params: StateDict, batch: TrainBatch, loss?: HeadLoss): Promise<StepResult> {
    const t0 = performance.now();
    const { heads, saved } = await this.forward(params, batch.images, batch.shape);
    const t1 = performance.now();
    const [, , H, W] = batch.shape;
    const l = loss ? { ...loss(heads, batch.targets), clsScale: 0 } : this.v8(heads, batch.targets, [H, W], await this.softplusSum(batch.shape, saved));
    const t2 = performance.now();
    const grads = await this.backward(params, batch.images, batch.shape, saved, l.grads, l.clsScale);
    const t3 = performance.now();
    return { loss: l.loss, items: l.items, grads, timings: { forward: t1 - t0, loss: t2 - t1, backward: t3 - t2 } };
  }

  /** The forward's per-image softplus sums of the class logits, added up in float64. */
  private async softplusSum(shape: readonly number[], out: Record<string, ort.Tensor>): Promise<number> {
    const e = await this.engine(shape);
    let sum = 0;
    for (const n of e.fg.softplus) for (const v of out[n].data as Float32Array) sum += v;
    return sum;
  }

  private v8(heads: Tensor[], targets: LossTargets, imgsz: [number, number], clsSoftplusSum: number): { loss: number; items: LossGains; grads: Tensor[]; clsScale: number } {
    // v8LossDetailed, not v8Loss: the step needs no dense official-layout targets (B N nc floats).
    // The dense class term (softplus sum, clsScale sigmoid(x)) runs in the graphs (clsSoftplusSum).
    const r = v8LossDetailed(heads, targets, { nc: this.model.nc, strides: this.model.strides, imgsz, clsSoftplusSum }, true);
    if (!r.grads) throw new LeyoloError('RUNTIME', 'the loss returned no gradients', 'report a bug');
    const grads = r.grads.map((g, i) => ({ shape: [...heads[i].shape], data: g instanceof Float32Array ? g : Float32Array.from(g) }));
    return { loss: r.loss, items: r.items, grads, clsScale: r.clsScale };
  }

  /** Release the onnxruntime sessions. */
  async dispose(): Promise<void> {
    for (const e of this.engines.values()) {
      const { fwd, bwd } = await e;
      await fwd.release();
      await bwd.release();
    }
    this.engines.clear();
  }
}
