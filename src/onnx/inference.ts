/**
 * Build the ONNX inference graph of a resolved LeYOLO model with BatchNorm folded into the convs.
 * Activations are SiLU as Sigmoid + Mul (the pattern of the official export; ORT keeps both in its
 * NCHWc layout). Outputs: raw heads `p3`, `p4`, `p5` [B, 64 + nc, H/s, W/s] (channels: side*16+bin,
 * then class logits) and/or `decoded` [B, 4 + nc, N].
 */
import { LeyoloError } from '../errors.js';
import { getTensor, foldConv } from './fold.js';
import type { BnSettings } from './fold.js';
import { appendDecode } from './decode.js';
import type { LevelShape } from './decode.js';
import { Graph, attr, serializeModel } from './ir.js';
import type { AttrValue } from './ir.js';
import type { ConvUnit, ResolvedLayer, ResolvedModel } from '../model/resolve.js';
import { walkModel } from '../model/walk.js';
import type { WalkOps } from '../model/walk.js';
import type { StateDict } from '../tensor.js';

export interface InferenceGraphOptions {
  batch?: number | 'dynamic';
  height?: number | 'dynamic';
  width?: number | 'dynamic';
  /** Emit the raw head outputs p3, p4, p5 (default true). */
  heads?: boolean;
  /** Emit the decoded [B, 4 + nc, N] output `decoded` (default false). */
  decode?: boolean;
  opset?: number;
  metadata?: Record<string, string>;
  /**
   * SiLU form. 'sigmoid' (default): y = x * Sigmoid(x), the official export's pattern (one fused op
   * in onnxruntime). 'tanh': y = h * (1 + Tanh(h)) with h = x / 2 folded into the conv (weights and
   * bias times 0.5, exact): the same function (max score difference ~1e-6 on LeYOLO-Nano), but
   * onnxruntime-web's wasm kernels run Tanh + Add + Mul ~25% faster than its Sigmoid/QuickGelu.
   */
  silu?: 'sigmoid' | 'tanh';
}

const dim = (v: number | 'dynamic' | undefined, sym: string, dflt: number | string): number | string =>
  v === 'dynamic' ? sym : v ?? dflt;

/**
 * ONNX attributes shared with the training graphs: a conv unit's Conv, an SPPF MaxPool (k x k,
 * stride 1, padding k // 2: shape kept) and nn.Upsample(mode='nearest') as Resize (source pixel floor(y / s)).
 *
 * @example
 * g.op('MaxPool', [x], onnxAttrs.pool(5), 'model.14.m0');
 */
export const onnxAttrs = {
  conv: (u: ConvUnit): Record<string, AttrValue> => ({
    kernel_shape: attr.ints([u.k, u.k]), strides: attr.ints([u.s, u.s]), pads: attr.ints([u.pad, u.pad, u.pad, u.pad]),
    group: attr.int(u.groups), dilations: attr.ints([1, 1]),
  }),
  pool: (k: number): Record<string, AttrValue> => ({ kernel_shape: attr.ints([k, k]), strides: attr.ints([1, 1]), pads: attr.ints(Array<number>(4).fill(k >> 1)) }),
  nearest: { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') },
};

/** What the conv emitter needs: the graph, the weights, BN settings and the SiLU form. */
type Emit = { g: Graph; sd: StateDict; bn: BnSettings; silu: 'sigmoid' | 'tanh' };

/**
 * Conv (BN folded) + optional SiLU. Returns the output name. SiLU 'tanh': x sigmoid(x) = h (1 + tanh h)
 * with h = x / 2, the halving folded into the conv's weights and bias (a power of two: exact).
 */
function emitConv(e: Emit, x: string, u: ConvUnit): string {
  const { g } = e;
  const { weight, bias } = foldConv(u, e.sd, e.bn);
  const half = e.silu === 'tanh' && u.act;
  const base = u.weight.replace(/\.weight$/, '');
  const w = g.constF(`${base}.w`, [u.cOut, u.cIn / u.groups, u.k, u.k], half ? weight.map((v) => v * 0.5) : weight);
  const b = g.constF(`${base}.b`, [u.cOut], half ? bias.map((v) => v * 0.5) : bias);
  const y = g.op('Conv', [x, w, b], onnxAttrs.conv(u), `${base}.conv`);
  if (!u.act) return y;
  if (half) {
    const t = g.op('Tanh', [y], {}, `${base}.tanh`);
    return g.op('Mul', [y, g.op('Add', [t, g.constF(`${base}.one`, [], [1])], {}, `${base}.tanh1`)], {}, `${base}.silu`);
  }
  const s = g.op('Sigmoid', [y], {}, `${base}.sigmoid`);
  return g.op('Mul', [y, s], {}, `${base}.silu`);
}

/** The walker's primitives as inference ops (values named `model.<i>.<what>`). */
function inferenceOps(e: Emit): WalkOps<string> {
  const { g } = e;
  const at = (l: ResolvedLayer, what: string): string => `model.${l.index}.${what}`;
  return {
    conv: (x, u) => emitConv(e, x, u),
    add: (x, y, l) => g.op('Add', [x, y], {}, at(l, 'add')),
    maxPool: (x, k, l, i) => g.op('MaxPool', [x], onnxAttrs.pool(k), at(l, `m${i}`)),
    upsample: (x, s, l) => g.op('Resize', [x, '', g.constF(at(l, 'scales'), [4], [1, 1, s, s])], onnxAttrs.nearest, at(l, 'resize')),
    concat: (xs, l) => g.op('Concat', xs, { axis: attr.int(1) }, at(l, 'cat')),
  };
}

/**
 * Serialized ONNX ModelProto (opset 17) of the model with these weights.
 *
 * @example
 * const ck = readCheckpoint(bytes);
 * const m = resolveModel({ scale: 'nano', nc: ck.nc });
 * const onnxBytes = buildInferenceGraph(m, ck.stateDict, ck.bn, { height: 640, width: 640, decode: true });
 */
export function buildInferenceGraph(m: ResolvedModel, weights: StateDict, bn: BnSettings, opts: InferenceGraphOptions = {}): Uint8Array {
  return serializeModel(inferenceGraph(m, weights, bn, opts), {
    opset: opts.opset ?? 17,
    metadata: { nc: String(m.nc), scale: m.scale, stride: JSON.stringify(m.strides), ...opts.metadata },
  });
}

/** The graph IR (before serialization), for inspection and tests. */
export function inferenceGraph(m: ResolvedModel, weights: StateDict, bn: BnSettings, opts: InferenceGraphOptions = {}): Graph {
  const heads = opts.heads ?? true;
  const decode = opts.decode ?? false;
  if (!heads && !decode) throw new LeyoloError('BAD_ARGUMENT', 'the graph needs at least one output', 'set heads or decode to true');
  const B = dim(opts.batch, 'batch', 1);
  const H = dim(opts.height, 'height', m.imgsz);
  const W = dim(opts.width, 'width', m.imgsz);
  const maxStride = Math.max(...m.strides);
  for (const v of [H, W]) {
    if (typeof v === 'number' && (v <= 0 || v % maxStride !== 0)) {
      throw new LeyoloError('BAD_ARGUMENT', `input size ${v} is not a positive multiple of ${maxStride}`, `use a size divisible by ${maxStride}, e.g. 640`);
    }
  }
  const g = new Graph(`leyolo-${m.scale}`);
  g.input('images', 'float32', [B, 3, H, W]);
  const ops = inferenceOps({ g, sd: weights, bn, silu: opts.silu ?? 'sigmoid' });
  const side = (v: number | string, s: number): number | null => (typeof v === 'number' ? v / s : null);
  const no = 4 * m.regMax + m.nc;
  // Raw heads p3/p4/p5 [B, no, h, w] = concat(box, cls) per level, only when asked for (the decode reads the branches).
  if (heads) {
    ops.head = (box, cls, i) => {
      const name = g.op('Concat', [box, cls], { axis: attr.int(1) }, `p${i + 3}`);
      return g.output(name, 'float32', [B, no, side(H, m.strides[i]) ?? `${name}_h`, side(W, m.strides[i]) ?? `${name}_w`]);
    };
  }
  const levels: LevelShape[] = walkModel(m, 'images', ops).levels.map(({ box, cls }, i) => {
    const s = m.strides[i];
    return { box, cls, stride: s, h: side(H, s), w: side(W, s) };
  });
  if (decode) {
    const n = levels.every((l) => l.h !== null && l.w !== null) ? levels.reduce((a, l) => a + (l.h ?? 0) * (l.w ?? 0), 0) : 'anchors';
    g.output(appendDecode(g, levels, m.nc, m.regMax, dflWeights(m, weights)), 'float32', [B, 4 + m.nc, n]);
  }
  return g;
}

/** The DFL bin values (the checkpoint's fixed 1x1 conv, arange(16)). */
function dflWeights(m: ResolvedModel, sd: StateDict): Float32Array {
  const name = `model.${m.detectIndex}.dfl.conv.weight`;
  return sd.has(name) ? getTensor(sd, name, [1, m.regMax, 1, 1]).data : Float32Array.from({ length: m.regMax }, (_, k) => k);
}
