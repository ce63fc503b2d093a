/**
 * The ONE routing of a resolved LeYOLO layer table. The ONNX inference graph and the training
 * forward (and its recompute in the backward graph) all walk the network through `walkModel` and
 * only say what each primitive becomes. Shapes are for an input [B, 3, H, W].
 */
import { LeyoloError } from '../errors.js';
import type { ConvUnit, ResolvedLayer, ResolvedModel } from './resolve.js';

/**
 * How one graph builder emits each primitive; `V` is its value handle (an ONNX value name today).
 * Layer-level ops get their layer `l` so the builder can name what it emits (`model.<l.index>...`).
 *
 * @example
 * const ops: WalkOps<string> = { conv: (x, u) => emitConv(x, u), add: (x, y, l) => g.op('Add', [x, y], {}, `model.${l.index}.add`), ... };
 */
export interface WalkOps<V> {
  /** One conv unit, conv -> [BN] -> [SiLU] as `u` says: [B, u.cIn, H, W] -> [B, u.cOut, H', W']. */
  conv(x: V, u: ConvUnit): V;
  /** Residual x + y, both [B, C, H, W]. */
  add(x: V, y: V, l: ResolvedLayer): V;
  /** The i-th (0..2) of an SPPF's chained k x k max-pools, stride 1, padding k // 2 (shape kept). */
  maxPool(x: V, k: number, l: ResolvedLayer, i: number): V;
  /** Nearest-neighbour upsample [B, C, H, W] -> [B, C, scale H, scale W]. */
  upsample(x: V, scale: number, l: ResolvedLayer): V;
  /** Channel concat (Concat layers and the SPPF's four parts) -> [B, sum C_i, H, W]. */
  concat(xs: V[], l: ResolvedLayer): V;
  /** Optional raw head of level i, concat(box [B, 4 regMax, h, w], cls [B, nc, h, w]); after all levels' branches. */
  head?(box: V, cls: V, level: number): V;
}

/** What a walk emitted: each live layer's inputs and output (Detect: null), and the Detect levels P3..P5. */
export interface Walk<V> {
  layers: { layer: ResolvedLayer; ins: V[]; out: V | null }[];
  levels: { box: V; cls: V; head: V | null }[];
}

const chain = <V>(ops: WalkOps<V>, x: V, units: ConvUnit[]): V => units.reduce((y, u) => ops.conv(y, u), x);

/**
 * MobileNetV3-style inverted bottleneck: [1x1 expand, SiLU] -> k x k depthwise (stride s), SiLU ->
 * 1x1 linear projection + BN (no activation); x + f(x) when c_in == c_out and s == 1.
 */
function block<V>(ops: WalkOps<V>, l: ResolvedLayer, x: V): V {
  const n = l.convs.length;
  const expand = n === 3 ? l.convs[0] : null; // rows with pw: false have none (c_mid = c_in)
  const [depthwise, project] = l.convs.slice(n - 2);
  const e = expand ? ops.conv(x, expand) : x; // [B, cMid, H, W]
  const d = ops.conv(e, depthwise); // [B, cMid, H/s, W/s]
  const y = ops.conv(d, project); // [B, cOut, H/s, W/s]
  return l.residual ? ops.add(x, y, l) : y;
}

/** SPPF: 1x1 to c/2, three chained k x k max-pools, concat of the four (2c channels), 1x1 out. */
function sppf<V>(ops: WalkOps<V>, l: ResolvedLayer, x: V): V {
  const [cv1, cv2] = l.convs;
  const k = l.kernel ?? 5;
  const y0 = ops.conv(x, cv1); // [B, c/2, H, W]
  const y1 = ops.maxPool(y0, k, l, 0);
  const y2 = ops.maxPool(y1, k, l, 1);
  const y3 = ops.maxPool(y2, k, l, 2);
  return ops.conv(ops.concat([y0, y1, y2, y3], l), cv2); // [B, 2c, H, W] -> [B, cOut, H, W]
}

/**
 * DNiN head over P3, P4, P5 [B, c_i, H/s_i, W/s_i]: per level a box branch (to 4 regMax) and a
 * class branch (to nc), each 1x1 -> dw 3x3 -> dw 3x3 -> 1x1 (the last one plain: no BN, no SiLU).
 */
function detect<V>(ops: WalkOps<V>, l: ResolvedLayer, ins: V[]): Walk<V>['levels'] {
  const levels = (l.branches ?? []).map((b, i) => ({ box: chain(ops, ins[i], b.box), cls: chain(ops, ins[i], b.cls) }));
  return levels.map((v, i) => ({ ...v, head: ops.head ? ops.head(v.box, v.cls, i) : null }));
}

/** One layer other than Detect. */
function layer<V>(ops: WalkOps<V>, l: ResolvedLayer, ins: V[]): V {
  switch (l.kind) {
    case 'mn_conv':
      return ops.conv(ins[0], l.convs[0]);
    case 'MobileNetV3_BLOCK':
      return block(ops, l, ins[0]);
    case 'SPPF':
      return sppf(ops, l, ins[0]);
    case 'Upsample':
      return ops.upsample(ins[0], l.row.kind === 'Upsample' ? l.row.scale : 2, l);
    case 'Concat':
      return ops.concat(ins, l);
    case 'Detect':
      throw new LeyoloError('INTERNAL', 'Detect is not a plain layer', 'report a bug');
  }
}

/**
 * Walk the live layers of `m` from `input` [B, 3, H, W]: the backbone, then the FPAN neck top-down
 * (upsample + concat) and bottom-up (stride-2 conv + concat) as the table routes them by `from`,
 * then the head. Dead layers (Medium/Large 38-41) are never emitted.
 *
 * @example
 * const { levels } = walkModel(resolveModel({ scale: 'nano' }), 'images', ops);
 * levels.map((v) => v.box); // the box-branch outputs of P3, P4, P5
 */
export function walkModel<V>(m: ResolvedModel, input: V, ops: WalkOps<V>): Walk<V> {
  const outs = new Map<number, V>([[-1, input]]); // -1: the image
  const value = (f: number): V => {
    const v = outs.get(f);
    if (v === undefined) throw new LeyoloError('MODEL_MISMATCH', `layer ${f} is used before it is computed`, 'check the layer table');
    return v;
  };
  const walk: Walk<V> = { layers: [], levels: [] };
  for (const l of m.layers.filter((x) => !x.dead)) {
    const ins = l.from.map(value);
    if (l.kind === 'Detect') walk.levels = detect(ops, l, ins);
    else outs.set(l.index, layer(ops, l, ins));
    walk.layers.push({ layer: l, ins, out: outs.get(l.index) ?? null });
  }
  return walk;
}
