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
 */
import type { ConvUnit, ResolvedLayer, ResolvedModel } from '../../model/resolve.js';
import type { BnSettings } from '../../onnx/fold.js';
import { Graph, attr } from '../../onnx/ir.js';
import type { AttrValue } from '../../onnx/ir.js';
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
  pools?: { y: string; idx: string }[];
  /** Detect: per level the (box, cls) unit chains. */
  levels?: { box: UnitRecord[]; cls: UnitRecord[] }[];
}

export interface ForwardRecord {
  layers: LayerRecord[];
  /** Head outputs per level (forward mode only). */
  heads: string[];
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
        : this.g.op('Conv', b ? [x, w, b] : [x, w], {
          kernel_shape: attr.ints([u.k, u.k]), strides: attr.ints([u.s, u.s]), pads: attr.ints([u.pad, u.pad, u.pad, u.pad]),
          group: attr.int(u.groups), dilations: attr.ints([1, 1]),
        }, name), zShape);
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

  chain(x: string, units: ConvUnit[]): UnitRecord[] {
    const out: UnitRecord[] = [];
    let y = x;
    for (const u of units) {
      const r = this.unit(y, u);
      out.push(r);
      y = r.a;
    }
    return out;
  }

  /** One non-Detect layer. */
  layer(l: ResolvedLayer, ins: string[]): LayerRecord {
    const x = ins[0];
    const rec: LayerRecord = { layer: l, ins, out: '', units: [] };
    switch (l.kind) {
      case 'mn_conv':
        rec.units = [this.unit(x, l.convs[0])];
        rec.out = rec.units[0].a;
        break;
      case 'MobileNetV3_BLOCK': {
        rec.units = this.chain(x, l.convs);
        const y = rec.units[rec.units.length - 1].a;
        rec.out = l.residual ? this.set(this.g.op('Add', [x, y], {}, `model.${l.index}:add`), this.shape(y)) : y;
        break;
      }
      case 'SPPF':
        this.sppf(l, x, rec);
        break;
      case 'Upsample': {
        const scales = this.g.constF(`model.${l.index}:scales`, [4], [1, 1, 2, 2]);
        const [B, C, H, W] = this.shape(x);
        rec.out = this.set(this.g.op('Resize', [x, '', scales], {
          mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor'),
        }, `model.${l.index}:up`), [B, C, 2 * H, 2 * W]);
        break;
      }
      case 'Concat': {
        const sh = ins.map((i) => this.shape(i));
        const c = sh.reduce((a, s) => a + s[1], 0);
        rec.out = this.set(this.g.op('Concat', ins, { axis: attr.int(1) }, `model.${l.index}:cat`), [sh[0][0], c, sh[0][2], sh[0][3]]);
        break;
      }
      case 'Detect':
        throw new LeyoloError('RUNTIME', 'Detect is emitted by detect()', 'report a bug');
    }
    return rec;
  }

  /** SPPF: cv1, three chained max-pools, concat, cv2. Recompute mode also emits the argmax indices. */
  private sppf(l: ResolvedLayer, x: string, rec: LayerRecord): void {
    const k = l.kernel ?? 5;
    const p = Math.floor(k / 2);
    const u0 = this.unit(x, l.convs[0]);
    const pool = { kernel_shape: attr.ints([k, k]), strides: attr.ints([1, 1]), pads: attr.ints([p, p, p, p]) };
    const sh = this.shape(u0.a);
    rec.pools = [];
    let y = u0.a;
    for (let i = 0; i < 3; i++) {
      const name = `model.${l.index}:m${i}`;
      const outs = this.mode === 'recompute' ? [name, `${name}:idx`] : [name];
      this.g.node('MaxPool', [y], pool, { name, outputs: outs });
      rec.pools.push({ y: this.set(name, sh), idx: outs[1] ?? '' });
      y = name;
    }
    const cat = this.set(this.g.op('Concat', [u0.a, ...rec.pools.map((q) => q.y)], { axis: attr.int(1) }, `model.${l.index}:cat`),
      [sh[0], 4 * sh[1], sh[2], sh[3]]);
    const u1 = this.unit(cat, l.convs[1]);
    rec.units = [u0, u1];
    rec.out = u1.a;
  }

  /** Detect: per level box and class chains; forward mode concatenates them into the head outputs. */
  detect(l: ResolvedLayer, ins: string[]): { rec: LayerRecord; heads: string[] } {
    const levels = (l.branches ?? []).map((b, i) => ({ box: this.chain(ins[i], b.box), cls: this.chain(ins[i], b.cls) }));
    const heads = this.mode === 'forward'
      ? levels.map((lv, i) => {
        const box = lv.box[lv.box.length - 1].a;
        const cls = lv.cls[lv.cls.length - 1].a;
        const [B, cb, h, w] = this.shape(box);
        return this.set(this.g.op('Concat', [box, cls], { axis: attr.int(1) }, `p${i + 3}`), [B, cb + this.shape(cls)[1], h, w]);
      })
      : [];
    return { rec: { layer: l, ins, out: '', units: [], levels }, heads };
  }

  /** The whole model from `images` [B, 3, H, W]. */
  model(m: ResolvedModel, images: string): ForwardRecord {
    const out = new Map<number, string>([[-1, images]]);
    const layers: LayerRecord[] = [];
    let heads: string[] = [];
    for (const l of m.layers) {
      if (l.dead) continue;
      const ins = l.from.map((f) => out.get(f) ?? images);
      if (l.kind === 'Detect') {
        const d = this.detect(l, ins);
        layers.push(d.rec);
        heads = d.heads;
      } else {
        const r = this.layer(l, ins);
        layers.push(r);
        out.set(l.index, r.out);
      }
    }
    return { layers, heads };
  }
}
