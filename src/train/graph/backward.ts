/**
 * Reverse-mode differentiation of the training forward pass, emitted as an ONNX graph.
 *
 * Inputs: `images`, all parameters, the forward's saved conv outputs z and batch statistics (see
 * forward.ts), and the upstream gradients dp3..dp5 (d loss / d raw heads, from the TS loss).
 * Outputs: `grad:<param>` for every trainable parameter the heads depend on (the DFL conv is frozen
 * and not part of the graph at all).
 *
 * The activations are first rebuilt from z with elementwise ops (ForwardEmitter in recompute mode);
 * then layers are walked in reverse, accumulating the gradient of every value from its consumers
 * (residual adds, concats, Detect levels) and summing them once all consumers are done.
 */
import type { ConvUnit, ResolvedModel } from '../../model/resolve.js';
import type { BnSettings } from '../../onnx/fold.js';
import { Graph, attr } from '../../onnx/ir.js';
import { bnGrad, channelSum, siluGrad } from './bn-grad.js';
import { convInputGrad, convWeightGrad } from './conv-grad.js';
import { useNchwcDw } from './depthwise.js';
import { ForwardEmitter, savesZ } from './forward.js';
import type { BnMode, LayerRecord, Shapes, UnitRecord } from './forward.js';
import { bnSetting, CLS_SCALE, gradOf, headGrad, headName } from './names.js';

const convOut = (h: number, k: number, s: number, p: number): number => Math.floor((h + 2 * p - k) / s) + 1;

class Backward {
  private readonly acc = new Map<string, string[]>();
  private counter = 0;
  /** Every parameter with a gradient output, with its shape. */
  readonly grads: { param: string; shape: number[] }[] = [];

  constructor(readonly g: Graph, readonly fwd: ForwardEmitter, readonly bnMode: BnMode, readonly bn: BnSettings, readonly images: string) {
    this.shapes = fwd.shapes;
  }

  readonly shapes: Shapes;

  /** Register a gradient contribution to value `v` (ignored for the input image). */
  add(v: string, grad: string): void {
    if (v === this.images) return;
    const list = this.acc.get(v) ?? [];
    list.push(grad);
    this.acc.set(v, list);
  }

  /** The total gradient of `v` (Sum of its contributions), or null when nothing reached it. */
  take(v: string): string | null {
    const list = this.acc.get(v);
    if (!list || list.length === 0) return null;
    this.acc.delete(v);
    if (list.length === 1) return list[0];
    const s = this.g.op('Sum', list, {}, `${v}:gsum${this.counter++}`);
    this.shapes.set(s, this.shapes.get(v) ?? []);
    return s;
  }

  private out(param: string, value: string, shape: number[]): void {
    const name = gradOf(param);
    if (value !== name) this.g.op('Identity', [value], {}, name);
    this.g.output(name, 'float32', shape);
    this.grads.push({ param, shape });
  }

  /** Backward of one conv unit given d(output a); returns d(input x) or null for the image. */
  unit(r: UnitRecord, da: string): string | null {
    const u: ConvUnit = r.unit;
    const xShape = this.shapes.get(r.x) ?? [];
    const [B, , H, W] = xShape;
    const zShape = [B, u.cOut, convOut(H, u.k, u.s, u.pad), convOut(W, u.k, u.s, u.pad)];
    const wShape = [u.cOut, u.cIn / u.groups, u.k, u.k];
    let d = u.act ? siluGrad(this.g, r, da) : da;
    // With BN, d becomes dz / k (k = gamma istd per output channel, see bn-grad.ts): dW and the bias
    // grad are scaled by k afterwards, dx is computed with the weights scaled by k.
    let k4: string | null = null;
    let dbeta = '';
    if (u.bn) {
      const b = bnGrad(this.g, r, d, this.bnMode, bnSetting(this.bn, u.bn).eps, zShape);
      this.out(`${u.bn}.weight`, b.dgamma, [u.cOut]);
      this.out(`${u.bn}.bias`, b.dbeta, [u.cOut]);
      d = b.dzs;
      dbeta = b.dbeta;
      k4 = this.g.op('Reshape', [b.k, this.g.constI64(`${u.bn}:k4s`, [4], [u.cOut, 1, 1, 1])], {}, `${u.bn}:g_k4`);
    }
    this.shapes.set(d, zShape);
    if (u.bias) this.out(u.bias, this.biasGrad(u, d, dbeta), [u.cOut]);
    let dx: string | null = null;
    if (r.x !== this.images) {
      this.fwd.input(u.weight, wShape);
      const w = k4 ? this.g.op('Mul', [u.weight, k4], {}, `${u.weight}:wk`) : u.weight;
      dx = convInputGrad(this.g, this.shapes, d, u, xShape, this.fwd.blk, w);
      this.shapes.set(dx, xShape);
    }
    // NCHWc copies made above that the depthwise weight gradient can reuse (dwConvNchwc names the
    // reordered input '<output>:rin'): x from the recompute (if its conv was redone), dz from dx (stride 1).
    const dw = useNchwcDw(u, this.fwd.blk);
    const blocked = {
      x: dw && r.z && !savesZ(u) ? `${r.z}:rin` : undefined,
      dz: dw && dx && u.s === 1 ? `${dx}:rin` : undefined,
    };
    const dW = convWeightGrad(this.g, this.shapes, r.x, d, u, this.fwd.blk, blocked);
    this.out(u.weight, k4 ? this.g.op('Mul', [dW, k4], {}, `${u.weight}:dWk`) : dW, wShape);
    return dx;
  }

  /**
   * d loss / d conv bias = sum dz. Before a training-mode BN the bias cancels in the normalisation,
   * so its gradient is exactly 0 (PyTorch returns round-off); before an eval-mode BN dz = k du, so
   * it is k dbeta; without BN it is the channel sum of dz.
   */
  private biasGrad(u: ConvUnit, dz: string, dbeta: string): string {
    const name = gradOf(u.bias ?? '');
    if (!u.bn) return channelSum(this.g, dz, name);
    if (this.bnMode === 'train') return this.g.constF(`${u.bias}:zero`, [u.cOut], new Float32Array(u.cOut));
    return this.g.op('Mul', [dbeta, `${u.bn}:g_k`], {}, name);
  }

  /** Backward through a chain of units; returns d(chain input) or null. */
  chain(units: UnitRecord[], dOut: string): string | null {
    let d: string | null = dOut;
    for (let i = units.length - 1; i >= 0 && d; i--) d = this.unit(units[i], d);
    return d;
  }

  layer(rec: LayerRecord): void {
    const l = rec.layer;
    if (l.kind === 'Detect') return this.detect(rec);
    const dOut = this.take(rec.out);
    if (!dOut) return;
    const x = rec.ins[0];
    switch (l.kind) {
      case 'mn_conv':
      case 'MobileNetV3_BLOCK': {
        if (l.residual) this.add(x, dOut);
        const dx = this.chain(rec.units, dOut);
        if (dx) this.add(x, dx);
        return;
      }
      case 'SPPF':
        return this.sppf(rec, dOut);
      case 'Upsample': {
        // nearest x s: each input pixel feeds an s x s block, so dx = s^2 avgpool_s(dy) (exact: s is a power of 2).
        const s = (this.shapes.get(rec.out) ?? [])[2] / (this.shapes.get(x) ?? [])[2];
        const p = this.g.op('AveragePool', [dOut], { kernel_shape: attr.ints([s, s]), strides: attr.ints([s, s]) }, `${rec.out}:gpool`);
        return this.add(x, this.g.op('Mul', [p, this.g.constF(`${rec.out}:four`, [], [s * s])], {}, `${rec.out}:gup`));
      }
      case 'Concat':
        return this.split(rec.ins, dOut, `${rec.out}:gsplit`);
    }
  }

  private split(ins: string[], d: string, name: string): void {
    const sizes = ins.map((i) => (this.shapes.get(i) ?? [0, 0])[1]);
    const outs = this.g.node('Split', [d, this.g.constI64(`${name}:sizes`, [sizes.length], sizes)], { axis: attr.int(1) }, { name, outputs: sizes.length });
    outs.forEach((o, i) => {
      this.shapes.set(o, this.shapes.get(ins[i]) ?? []);
      this.add(ins[i], o);
    });
  }

  /** Max-pool backward: scatter-add dy to the recorded argmax positions (flat NCHW indices). */
  private poolGrad(dy: string, idx: string, shape: number[], name: string): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const flat = this.g.constI64(`${name}:flat`, [1], [n]);
    const zeros = this.g.op('ConstantOfShape', [flat], { value: attr.tensor({ dims: [1], dtype: 'float32', data: new Float32Array(1) }) }, `${name}:zeros`);
    const sc = this.g.op('ScatterElements', [zeros, this.g.op('Reshape', [idx, flat], {}, `${name}:i`), this.g.op('Reshape', [dy, flat], {}, `${name}:d`)],
      { axis: attr.int(0), reduction: attr.string('add') }, `${name}:scatter`);
    return this.g.op('Reshape', [sc, this.g.constI64(`${name}:shape`, [4], shape)], {}, `${name}:gx`);
  }

  private sppf(rec: LayerRecord, dOut: string): void {
    const [u0, u1] = rec.units;
    const pools = rec.pools ?? [];
    const dcat = this.chain([u1], dOut);
    if (!dcat) return;
    this.split([u0.a, ...pools.map((p) => p.y)], dcat, `${rec.out}:gsplit`);
    const shape = this.shapes.get(u0.a) ?? [];
    for (let i = pools.length - 1; i >= 0; i--) {
      const dy = this.take(pools[i].y);
      if (!dy) continue;
      const src = i === 0 ? u0.a : pools[i - 1].y;
      this.add(src, this.poolGrad(dy, pools[i].idx, shape, `${pools[i].y}:g`));
    }
    const d0 = this.take(u0.a);
    const dx = d0 ? this.chain([u0], d0) : null;
    if (dx) this.add(rec.ins[0], dx);
  }

  /**
   * d loss / d class logits = cls_scale sigmoid(x) + dc: the dense BCE gradient is computed here from
   * the forward's head `p{i+3}` [B, no, h, w] (an input), the loss in TS supplies only the sparse part dc.
   */
  private denseClsGrad(i: number, dc: string, cBox: number, headShape: number[]): string {
    const head = this.g.input(headName(i), 'float32', headShape);
    if (!this.g.inputs.some((v) => v.name === CLS_SCALE)) this.g.input(CLS_SCALE, 'float32', [1]);
    const ax = this.g.constI64(`${head}:clsax`, [1], [1]);
    const x = this.g.op('Slice', [head, this.g.constI64(`${head}:cls0`, [1], [cBox]), this.g.constI64(`${head}:cls1`, [1], [headShape[1]]), ax], {}, `${head}:cls`);
    const sg = this.g.op('Mul', [this.g.op('Sigmoid', [x], {}, `${head}:clssig`), CLS_SCALE], {}, `${head}:clsdense`);
    return this.g.op('Add', [dc, sg], {}, `${head}:dcls`);
  }

  private detect(rec: LayerRecord): void {
    (rec.levels ?? []).forEach((lv, i) => {
      const box = lv.box[lv.box.length - 1];
      const cls = lv.cls[lv.cls.length - 1];
      const [B, , h, w] = this.shapes.get(rec.ins[i]) ?? [];
      const no = box.unit.cOut + cls.unit.cOut;
      const dh = this.g.input(headGrad(i), 'float32', [B, no, h, w]);
      const [db, dc] = this.g.node('Split', [dh, this.g.constI64(`${dh}:sizes`, [2], [box.unit.cOut, cls.unit.cOut])], { axis: attr.int(1) }, { name: `${dh}:split`, outputs: 2 });
      this.shapes.set(db, [B, box.unit.cOut, h, w]);
      const dcAll = this.denseClsGrad(i, dc, box.unit.cOut, [B, no, h, w]);
      this.shapes.set(dcAll, [B, cls.unit.cOut, h, w]);
      for (const [units, d] of [[lv.box, db], [lv.cls, dcAll]] as const) {
        const dx = this.chain(units, d);
        if (dx) this.add(rec.ins[i], dx);
      }
    });
  }
}

export interface BackwardGraph {
  graph: Graph;
  /** Parameters with a gradient output `grad:<name>`, in emission order. */
  grads: { param: string; shape: number[] }[];
}

/**
 * The backward graph for a fixed input shape [B, 3, H, W].
 *
 * @example
 * const { graph, grads } = backwardGraph(resolveModel({ scale: 'nano' }), [8, 3, 320, 320], 'train', ck.bn, 16);
 */
export function backwardGraph(m: ResolvedModel, inputShape: number[], bnMode: BnMode, bn: BnSettings, nchwcBlock = 0): BackwardGraph {
  const g = new Graph(`leyolo-${m.scale}-backward`);
  const shapes: Shapes = new Map();
  const fwd = new ForwardEmitter(g, 'recompute', bnMode, bn, shapes, nchwcBlock);
  fwd.input('images', inputShape);
  const rec = fwd.model(m, 'images');
  const b = new Backward(g, fwd, bnMode, bn, 'images');
  for (let i = rec.layers.length - 1; i >= 0; i--) b.layer(rec.layers[i]);
  return { graph: g, grads: b.grads };
}
