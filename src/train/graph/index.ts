/**
 * Training graphs (ONNX, executed by onnxruntime): a training-mode forward graph and its backward
 * graph, generated from a resolved model table.
 *
 * @example
 * const fwd = forwardGraph(m, [8, 3, 320, 320], 'train', ck.bn);
 * const bwd = backwardGraph(m, [8, 3, 320, 320], 'train', ck.bn);
 */
import type { ResolvedModel } from '../../model/resolve.js';
import type { BnSettings } from '../../onnx/fold.js';
import { Graph, attr } from '../../onnx/ir.js';
import { ForwardEmitter } from './forward.js';
import type { BnMode, ForwardRecord, Shapes } from './forward.js';
import { clsSoftplus } from './names.js';

export { backwardGraph } from './backward.js';
export type { BackwardGraph } from './backward.js';
export { ForwardEmitter } from './forward.js';
export type { BnMode, EmitMode, ForwardRecord, LayerRecord, UnitRecord, Shapes } from './forward.js';
export { convInputGrad, convWeightGrad } from './conv-grad.js';
export { bnGrad, siluGrad } from './bn-grad.js';
export { useNchwcDw, dwConvNchwc, dwWeightGradNchwc } from './depthwise.js';
export { serializeTrainGraph } from './serialize.js';
export * from './names.js';

export interface ForwardGraph {
  graph: Graph;
  /** Head outputs p3, p4, p5 with shapes [B, 64 + nc, H/s, W/s]. */
  heads: { name: string; shape: number[] }[];
  /** Per level the [B] sums of softplus over the class logits (the dense part of the BCE loss). */
  softplus: string[];
  /** Outputs the backward graph takes as inputs (saved z, batch mean/var). */
  saved: string[];
  /** Train mode: every BatchNorm with its channel count and the sample count N = B H W of its stats. */
  bnStats: { bn: string; channels: number; n: number }[];
}

/**
 * The training-mode forward graph for a fixed input shape [B, 3, H, W] (weights are graph inputs).
 *
 * @example
 * const { graph, heads, saved } = forwardGraph(resolveModel({ scale: 'nano' }), [2, 3, 320, 320], 'train', 1e-3);
 */
export function forwardGraph(m: ResolvedModel, inputShape: number[], bnMode: BnMode, bn: BnSettings, nchwcBlock = 0): ForwardGraph {
  const g = new Graph(`leyolo-${m.scale}-train-forward`);
  const shapes: Shapes = new Map();
  const fwd = new ForwardEmitter(g, 'forward', bnMode, bn, shapes, nchwcBlock);
  fwd.input('images', inputShape);
  const rec = fwd.model(m, 'images');
  const saved = g.outputs.map((o) => o.name);
  const heads = rec.levels.flatMap(({ head }) => (head === null ? [] : [{ name: head, shape: fwd.shape(head) }]));
  for (const h of heads) g.output(h.name, 'float32', h.shape);
  const softplus = softplusSums(g, rec, fwd);
  // Same order as the saved `mean:` outputs: one per BN unit, in emission order.
  const bnStats = bnMode === 'train'
    ? rec.units.flatMap(({ unit, z }) => (unit.bn ? [{ bn: unit.bn, shape: fwd.shape(z) }] : []))
      .map(({ bn: b, shape: [B, C, H, W] }) => ({ bn: b, channels: C, n: B * H * W }))
    : [];
  return { graph: g, heads, saved, softplus, bnStats };
}

/**
 * Per level, sum over (class, y, x) of softplus(class logit) -> [B]: the BCE loss against all-zero
 * targets, which the loss in TS would otherwise compute in a scalar loop over B N nc logits (the
 * largest cost of the loss). Summed per image (~nc H W <= 1e5 terms in float32) and then in float64 in TS.
 */
function softplusSums(g: Graph, rec: ForwardRecord, fwd: ForwardEmitter): string[] {
  return rec.levels.map(({ cls }, i) => {
    const [B] = fwd.shape(cls);
    // softplus(x) = relu(x) + log(1 + exp(-|x|)): ORT's own Softplus kernel is scalar (~28 ns per
    // element, measured), this form ~12 ns; the float32 sum agrees with the float64 value to ~1e-5.
    const n = clsSoftplus(i);
    const e = g.op('Exp', [g.op('Neg', [g.op('Abs', [cls], {}, `${n}:abs`)], {}, `${n}:nabs`)], {}, `${n}:exp`);
    const l = g.op('Log', [g.op('Add', [e, g.constF(`${n}:one`, [], [1])], {}, `${n}:1p`)], {}, `${n}:log`);
    const sp = g.op('Add', [l, g.op('Relu', [cls], {}, `${n}:relu`)], {}, `${n}:sp`);
    const out = g.op('ReduceSum', [sp, g.constI64(`${n}:ax`, [3], [1, 2, 3])], { keepdims: attr.int(0) }, n);
    g.output(out, 'float32', [B]);
    return out;
  });
}
