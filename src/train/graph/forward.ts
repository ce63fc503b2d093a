/**
 * Training forward pass of a resolved LeYOLO model, emitted into a Graph. Weights are graph INPUTS
 * (named like the state dict) because they change every step; convs are not folded.
 *
 * The same emitter runs in two modes:
 * - `forward`: real Convs; training-mode BatchNorm computes batch mean / biased variance and
 *   normalises with them. Every batch mean/var [C] is a graph output (running-stat update, backward);
 *   so is the raw conv output z of the units `savesZ` selects (none by default).
 * - `recompute` (inside the backward graph): the activations are rebuilt with BN statistics replaced
 *   by the saved batch mean/var (no statistics pass); convs are redone unless their z was saved.
 * The network is routed by the shared walker (src/model/walk.ts, also used by the inference graph);
 * this file only says what each primitive becomes and records what the backward needs.
 */
import type { ConvUnit, ResolvedLayer, ResolvedModel } from '../../model/resolve.js';
import type { BnSettings } from '../../onnx/fold.js';
import { Graph, attr } from '../../onnx/ir.js';
import type { AttrValue } from '../../onnx/ir.js';
import { onnxAttrs } from '../../onnx/inference.js';
import { walkModel } from '../../model/walk.js';
import type { Walk, WalkOps } from '../../model/walk.js';
import { LeyoloError } from '../../errors.js';
import { batchMean, batchVar, bnSetting, savedZ } from './names.js';
import { dwConvNchwc, useNchwcDw } from './depthwise.js';

export type BnMode = 'train' | 'eval';
export type EmitMode = 'forward' | 'recompute';

/** One executed conv unit: its input x, raw conv output z, BN output u, sigmoid(u) s, output a. */
export interface UnitRecord {
  unit: ConvUnit;
  x: string;
  z: string;
  u: string;
  s: string;
  a: string;
  /** BN statistics actually used for normalisation (batch stats in train mode, running in eval). */
  mean: string;
  var: string;
}

/** One executed layer: inputs, output, conv units, and for SPPF the pool outputs and their argmax. */
export interface LayerRecord {
  layer: ResolvedLayer;
  ins: string[];
  out: string;
  units: UnitRecord[];
  /** SPPF: per max-pool its output y and (recompute mode) its argmax indices, else ''. */
  pools?: { y: string; idx: string }[];
  /** Detect: per level the (box, cls) unit chains. */
  levels?: { box: UnitRecord[]; cls: UnitRecord[] }[];
}

export interface ForwardRecord {
  layers: LayerRecord[];
  /** Every conv unit in emission order. */
  units: UnitRecord[];
  /** Per Detect level the box and class branch outputs, and (forward mode only) the head p3..p5. */
  levels: Walk<string>['levels'];
}

/** Shape bookkeeping: every emitted value's static shape. */
export type Shapes = Map<string, number[]>;

const convOut = (h: number, k: number, s: number, p: number): number => Math.floor((h + 2 * p - k) / s) + 1;

/**
 * Whether the forward hands this unit's raw conv output z to the backward (else the backward
 * recomputes the conv from its input). Policy: recompute everything. Handing z over costs a copy out
 * of ORT into JS per step (~25 MB per image at 320; measured ~2 ms/MB under load, several elementwise
 * passes' worth) and the memory to hold it; redoing the convs in the backward graph costs about the
 * same time (measured at B 8: CPU time 'none' <= 'dw' <= 'all' by ~10%) and keeps the working set small.
 */
export function savesZ(u: ConvUnit): boolean {
  void u;
  return false;
}

export class ForwardEmitter {
  /** What model() emitted, for its records: conv units by weight name, SPPF pools by layer index. */
  private readonly units = new Map<string, UnitRecord>();
  private readonly pools = new Map<number, { y: string; idx: string }[]>();

  constructor(
    readonly g: Graph,
    readonly mode: EmitMode,
    readonly bnMode: BnMode,
    readonly bn: BnSettings,
    readonly shapes: Shapes,
    /** NCHWc block size for depthwise convs (0 = plain ONNX Conv everywhere). */
    readonly blk = 0,
  ) {}

  /** Declare a float32 graph input once (parameters are shared by several emit calls). */
  input(name: string, shape: number[]): string {
    if (!this.g.inputs.some((v) => v.name === name)) this.g.input(name, 'float32', shape);
    this.shapes.set(name, shape);
    return name;
  }

  private set(name: string, shape: number[]): string {
    this.shapes.set(name, shape);
    return name;
  }

  shape(name: string): number[] {
    const s = this.shapes.get(name);
    if (!s) throw new LeyoloError('RUNTIME', `training graph: no shape for '${name}'`, 'report a bug');
    return s;
  }

  /** Conv -> [BN] -> [SiLU]. In recompute mode a unit without BN is skipped (nothing reads its z). */
  unit(x: string, u: ConvUnit): UnitRecord {
    const [B, , H, W] = this.shape(x);
    const zShape = [B, u.cOut, convOut(H, u.k, u.s, u.pad), convOut(W, u.k, u.s, u.pad)];
    const base = u.weight.replace(/\.weight$/, '');
    let z: string;
    const saved = u.bn !== null && u.bn !== undefined && savesZ(u);
    if (this.mode === 'forward' || (u.bn && !saved)) {
      const w = this.input(u.weight, [u.cOut, u.cIn / u.groups, u.k, u.k]);
      const b = u.bias ? this.input(u.bias, [u.cOut]) : null;
      const name = saved ? savedZ(u.weight) : `${base}:conv`;
      z = this.set(useNchwcDw(u, this.blk)
        ? dwConvNchwc(this.g, x, w, b, { c: u.cOut, k: u.k, s: u.s, pad: u.pad, blk: this.blk }, name)
        : this.g.op('Conv', b ? [x, w, b] : [x, w], onnxAttrs.conv(u), name), zShape);
    } else if (saved) {
      z = this.input(savedZ(u.weight), zShape);
    } else {
      return { unit: u, x, z: '', u: '', s: '', a: '', mean: '', var: '' };
    }
    if (this.mode === 'forward' && saved) this.g.output(z, 'float32', zShape);
    let y = z;
    let mean = '';
    let vr = '';
    if (u.bn) {
      const gamma = this.input(`${u.bn}.weight`, [u.cOut]);
      const beta = this.input(`${u.bn}.bias`, [u.cOut]);
      const eps = { epsilon: attr.float(bnSetting(this.bn, u.bn).eps) };
      if (this.mode === 'forward' && this.bnMode === 'train') {
        [y, mean, vr] = this.trainBn(z, gamma, beta, u.bn, u.cOut, eps);
        this.set(y, zShape);
      } else {
        [mean, vr] = this.stats(u.bn, u.cOut);
        y = this.set(this.g.op('BatchNormalization', [z, gamma, beta, mean, vr], eps, `${u.bn}:bn`), zShape);
      }
    }
    if (!u.act) return { unit: u, x, z, u: y, s: '', a: y, mean, var: vr };
    const s = this.set(this.g.op('Sigmoid', [y], {}, `${base}:sig`), zShape);
    const a = this.set(this.g.op('Mul', [y, s], {}, `${base}:silu`), zShape);
    return { unit: u, x, z, u: y, s, a, mean, var: vr };
  }

  /** Statistics BN normalises with in recompute or eval mode: saved batch stats or running stats. */
  private stats(bn: string, c: number): [string, string] {
    if (this.bnMode === 'eval') return [this.input(`${bn}.running_mean`, [c]), this.input(`${bn}.running_var`, [c])];
    return [this.input(batchMean(bn), [c]), this.input(batchVar(bn), [c])];
  }

  /**
   * Training-mode BN as ONE BatchNormalization node (training_mode = 1): ORT computes the batch mean
   * and the centred (two-pass) biased variance and normalises with them in a single kernel. With
   * momentum 0 its "running" outputs ARE the batch mean / biased variance [C] (the input stats are
   * multiplied by 0), which become graph outputs for the running-stat update in TS and the backward.
   * Replaces ReduceMean/Sub/ReduceMean/ReduceSumSquare/... + BN (measured 3-4x cheaper).
   */
  private trainBn(z: string, gamma: string, beta: string, bn: string, c: number, eps: Record<string, AttrValue>): [string, string, string] {
    const zeros = this.g.constF(`${bn}:m0`, [c], new Float32Array(c));
    const ones = this.g.constF(`${bn}:v1`, [c], new Float32Array(c).fill(1));
    const outs = this.g.node('BatchNormalization', [z, gamma, beta, zeros, ones], { ...eps, momentum: attr.float(0), training_mode: attr.int(1) },
      { name: `${bn}:bn`, outputs: [`${bn}:bn`, batchMean(bn), batchVar(bn)] });
    this.g.output(batchMean(bn), 'float32', [c]);
    this.g.output(batchVar(bn), 'float32', [c]);
    this.set(batchMean(bn), [c]);
    this.set(batchVar(bn), [c]);
    return [outs[0], outs[1], outs[2]];
  }

  /** Channel concat with its static shape: [B, sum C_i, H, W]. */
  private cat(xs: string[], name: string): string {
    const sh = xs.map((i) => this.shape(i));
    const c = sh.reduce((a, s) => a + s[1], 0);
    return this.set(this.g.op('Concat', xs, { axis: attr.int(1) }, name), [sh[0][0], c, sh[0][2], sh[0][3]]);
  }

  /**
   * The walker's primitives as training ops (values named `model.<i>:<what>`, static shapes recorded).
   * Each conv unit's record goes to `units` (by weight name), each SPPF pool to `pools` (by layer);
   * only the forward emits the heads p3..p5 (the recompute has no use for them).
   */
  private ops(): WalkOps<string> {
    const { g, units, pools } = this;
    const at = (l: ResolvedLayer, what: string): string => `model.${l.index}:${what}`;
    const ops: WalkOps<string> = {
      conv: (x, u) => {
        const r = this.unit(x, u);
        units.set(u.weight, r);
        return r.a;
      },
      add: (x, y, l) => this.set(g.op('Add', [x, y], {}, at(l, 'add')), this.shape(y)),
      maxPool: (x, k, l, i) => {
        const name = at(l, `m${i}`);
        // Recompute: also the argmax (flat NCHW indices) that the max-pool backward scatters dy to.
        const [y, idx = ''] = g.node('MaxPool', [x], onnxAttrs.pool(k), { name, outputs: this.mode === 'recompute' ? [name, `${name}:idx`] : [name] });
        pools.set(l.index, [...(pools.get(l.index) ?? []), { y: this.set(y, this.shape(x)), idx }]);
        return y;
      },
      upsample: (x, s, l) => {
        const [B, C, H, W] = this.shape(x);
        const scales = g.constF(at(l, 'scales'), [4], [1, 1, s, s]);
        return this.set(g.op('Resize', [x, '', scales], onnxAttrs.nearest, at(l, 'up')), [B, C, s * H, s * W]);
      },
      concat: (xs, l) => this.cat(xs, at(l, 'cat')),
    };
    if (this.mode === 'forward') ops.head = (box, cls, i) => this.cat([box, cls], `p${i + 3}`);
    return ops;
  }

  /** The whole model from `images` [B, 3, H, W], routed by the shared walker (src/model/walk.ts). */
  model(m: ResolvedModel, images: string): ForwardRecord {
    const walk = walkModel(m, images, this.ops());
    const rec = (u: ConvUnit): UnitRecord => {
      const r = this.units.get(u.weight);
      if (!r) throw new LeyoloError('INTERNAL', `training graph: conv '${u.weight}' was not emitted`, 'report a bug');
      return r;
    };
    const layers = walk.layers.map(({ layer: l, ins, out }): LayerRecord => ({
      layer: l, ins, out: out ?? '', units: l.kind === 'Detect' ? [] : l.convs.map(rec), pools: this.pools.get(l.index),
      levels: l.branches?.map((b) => ({ box: b.box.map(rec), cls: b.cls.map(rec) })),
    }));
    return { layers, units: [...this.units.values()], levels: walk.levels };
  }
}
