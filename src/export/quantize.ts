/**
 * Static INT8 quantization in QDQ form, the layout ONNX Runtime's CPU graph optimizer fuses into
 * quantized kernels (QLinearConv, QLinearSigmoid, QLinearMul, QLinearAdd, QLinearConcat; MaxPool and
 * Resize run directly on uint8 when the Q/DQ around them share parameters):
 * - weights: per-output-channel symmetric int8 (scale = max|w_o| / 127, zero point 0) behind a
 *   DequantizeLinear(axis 0); the bias as int32 with scale = s_input * s_weight[o] (what QLinearConv
 *   assumes) behind its own DequantizeLinear, since ORT's Conv selector wants every input from a DQ;
 * - activations: uint8 asymmetric per tensor, QuantizeLinear -> DequantizeLinear right after the
 *   producer (ORT fuses a node only when all of its outputs feed Q nodes), ranges from calibration;
 * - the float32 tail (decode, NMS) and, by default, the last 1x1 conv of every head branch stay
 *   float32: their outputs are box-distribution and class logits read directly by the decode;
 * - mixed precision: `keepFloat` tensors get no Q/DQ, and a conv whose input or output is float
 *   keeps float weights (ORT can only fuse DQ -> Conv -> Q into a QLinearConv).
 */
import { LeyoloError } from '../errors.js';
import { isTailNode } from './half.js';
import { DT, consumerMap, decodeModel, encodeModel, floatData, graphOf, intAttr, nodeP, tensorP } from './proto.js';
import type { ModelP, NodeP, TensorP } from './proto.js';

/** Which nodes run quantized. */
export interface QuantizeOptions {
  /** 'all': every conv, activation, add, concat, pool and resize; 'conv': convs only (SiLU etc. in fp32). Default 'all'. */
  ops?: 'all' | 'conv';
  /** Keep the head's last convs (logit producers) in float32 (default true). */
  keepHeadFp32?: boolean;
  /** Also quantize depthwise convs (group > 1; default true). */
  depthwise?: boolean;
  /** Node-name prefixes left in float32 (e.g. 'model.35.' = the whole Detect head of Nano). */
  exclude?: readonly string[];
  /** Activation tensors left in float32 (no Q/DQ); a conv runs quantized only if its input and output are quantized. */
  keepFloat?: readonly string[];
}

/** A calibrated activation range (min <= 0 <= max after widening). */
export interface Range {
  min: number;
  max: number;
}

/** uint8 affine parameters of one activation tensor. */
export interface U8Params {
  scale: number;
  zeroPoint: number;
}

const ALL_OPS = new Set(['Conv', 'Sigmoid', 'Mul', 'Add', 'Concat', 'MaxPool', 'Resize']);
/** Ops whose uint8 output must reuse the input's parameters (ORT drops their Q/DQ pair). */
const SAME_PARAMS = new Set(['MaxPool', 'Resize']);

/**
 * uint8 parameters of a range: [min(lo, 0), max(hi, 0)] mapped onto 0..255 (0 stays exact).
 *
 * @example
 * u8Params({ min: 0, max: 1 }); // { scale: 1/255, zeroPoint: 0 }
 */
export function u8Params(r: Range): U8Params {
  const lo = Math.min(r.min, 0);
  const hi = Math.max(r.max, 0);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

interface Plan {
  /** Nodes that run quantized. */
  quantized: Set<NodeP>;
  /** Activation tensors that get a Q -> DQ pair, in topological order. */
  tensors: string[];
}

function planOf(model: ModelP, o: QuantizeOptions): Plan {
  const g = graphOf(model);
  const nodes = g.node ?? [];
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const outputs = new Set((g.output ?? []).map((v) => v.name ?? ''));
  const consumers = consumerMap(nodes);
  const ops = o.ops === 'conv' ? new Set(['Conv']) : ALL_OPS;
  const feedsOutputSide = (t: string): boolean => outputs.has(t) || (consumers.get(t) ?? []).some((c) => isTailNode(c.node) || (c.node.output ?? []).some((x) => outputs.has(x)));
  const quantized = new Set(nodes.filter((n) => {
    if (isTailNode(n) || !ops.has(n.opType ?? '') || (n.output ?? []).some((x) => outputs.has(x))) return false;
    if (o.exclude?.some((p) => (n.name ?? '').startsWith(p))) return false;
    if (n.opType === 'Conv' && (o.keepHeadFp32 ?? true) && feedsOutputSide(n.output![0])) return false;
    if (n.opType === 'Conv' && o.depthwise === false && (n.attribute ?? []).some((a) => a.name === 'group' && Number(a.i) > 1)) return false;
    return true;
  }));
  const tensors: string[] = [];
  const seen = new Set<string>();
  const add = (t: string) => {
    if (t && !inits.has(t) && !seen.has(t) && !outputs.has(t)) (seen.add(t), tensors.push(t));
  };
  for (const v of g.input ?? []) if ([...quantized].some((n) => n.input?.includes(v.name ?? ''))) add(v.name ?? '');
  for (const n of nodes) {
    if (!quantized.has(n)) continue;
    for (const x of n.input ?? []) if (n.opType !== 'Resize' || x === n.input![0]) add(x);
    for (const x of n.output ?? []) add(x);
  }
  const keep = new Set(o.keepFloat ?? []);
  const kept = tensors.filter((t) => !keep.has(t));
  const has = new Set(kept);
  // A conv with a float input or output cannot become a QLinearConv: it keeps float weights.
  for (const n of quantized) if (n.opType === 'Conv' && !(has.has(n.input![0]) && has.has(n.output![0]))) quantized.delete(n);
  return { quantized, tensors: kept };
}

/**
 * The activation tensors a quantized model needs ranges for (calibrate these on the float32 model).
 *
 * @example
 * const names = quantizableTensors(fp32Bytes); // ['images', 'model.0.conv', ...]
 */
export function quantizableTensors(bytes: Uint8Array, o: QuantizeOptions = {}): string[] {
  return planOf(decodeModel(bytes), o).tensors;
}

/** Per-tensor parameters: calibrated, except MaxPool/Resize outputs which inherit their input's. */
function paramsOf(model: ModelP, plan: Plan, ranges: Map<string, Range>): Map<string, U8Params> {
  const producer = new Map<string, NodeP>();
  for (const n of graphOf(model).node ?? []) for (const x of n.output ?? []) producer.set(x, n);
  const out = new Map<string, U8Params>();
  for (const t of plan.tensors) {
    const p = producer.get(t);
    if (p && plan.quantized.has(p) && SAME_PARAMS.has(p.opType ?? '')) {
      const inherited = out.get(p.input![0]);
      if (inherited) {
        out.set(t, inherited);
        continue;
      }
    }
    const r = ranges.get(t);
    if (!r) throw new LeyoloError('RUNTIME', `no calibration range for tensor '${t}'`, 'calibrate on the same float32 graph that is quantized');
    out.set(t, u8Params(r));
  }
  return out;
}

/** Per-channel symmetric int8 weight and int32 bias of one conv, with their DQ nodes. */
function quantizeConv(n: NodeP, inits: Map<string, TensorP>, sx: number, emit: (node: NodeP, ...ts: TensorP[]) => void): void {
  const [, wName, bName] = n.input ?? [];
  const wT = inits.get(wName);
  const w = wT ? floatData(wT) : undefined;
  if (!wT || !w) throw new LeyoloError('RUNTIME', `conv ${n.name} has no float weight initializer`, 'quantize the graph written by leyolo export');
  const dims = (wT.dims ?? []).map(Number);
  const O = dims[0];
  const per = w.length / O;
  const scale = new Float32Array(O);
  const q = new Int8Array(w.length);
  for (let o = 0; o < O; o++) {
    let m = 0;
    for (let j = o * per; j < (o + 1) * per; j++) m = Math.max(m, Math.abs(w[j]));
    scale[o] = m > 0 ? m / 127 : 1;
    for (let j = o * per; j < (o + 1) * per; j++) q[j] = Math.max(-127, Math.min(127, Math.round(w[j] / scale[o])));
  }
  const p = `${n.name}.wq`;
  const axis = [intAttr('axis', 0)];
  emit(nodeP('DequantizeLinear', `${p}.dq`, [`${p}`, `${p}.scale`, `${p}.zp`], [`${p}.dq`], axis),
    tensorP(p, DT.int8, dims, q), tensorP(`${p}.scale`, DT.float, [O], scale), tensorP(`${p}.zp`, DT.int8, [O], new Int8Array(O)));
  n.input![1] = `${p}.dq`;
  const bT = bName ? inits.get(bName) : undefined;
  const b = bT ? floatData(bT) : undefined;
  if (!b) return;
  const bs = new Float32Array(O);
  const bq = new Int32Array(O);
  for (let o = 0; o < O; o++) {
    bs[o] = Math.fround(sx * scale[o]);
    bq[o] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b[o] / bs[o])));
  }
  const pb = `${n.name}.bq`;
  emit(nodeP('DequantizeLinear', `${pb}.dq`, [pb, `${pb}.scale`, `${pb}.zp`], [`${pb}.dq`], axis),
    tensorP(pb, DT.int32, [O], bq), tensorP(`${pb}.scale`, DT.float, [O], bs), tensorP(`${pb}.zp`, DT.int32, [O], new Int32Array(O)));
  n.input![2] = `${pb}.dq`;
}

/**
 * QDQ-quantize float32 ONNX bytes with calibrated activation ranges (see {@link quantizableTensors}).
 *
 * @example
 * const ranges = await calibrate(fp32, quantizableTensors(fp32), inputs);
 * const int8 = quantizeQdq(fp32, ranges);
 */
export function quantizeQdq(bytes: Uint8Array, ranges: Map<string, Range>, o: QuantizeOptions = {}): Uint8Array {
  const model = decodeModel(bytes);
  const g = graphOf(model);
  const plan = planOf(model, o);
  const params = paramsOf(model, plan, ranges);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const newInits: TensorP[] = [];
  const out: NodeP[] = [];
  const emit = (node: NodeP, ...ts: TensorP[]) => (out.push(node), newInits.push(...ts));
  const qdq = (t: string) => {
    const p = params.get(t)!;
    const sc = tensorP(`${t}.qscale`, DT.float, [], Float32Array.of(p.scale));
    const zp = tensorP(`${t}.qzp`, DT.uint8, [], Uint8Array.of(p.zeroPoint));
    emit(nodeP('QuantizeLinear', `${t}.q`, [t, `${t}.qscale`, `${t}.qzp`], [`${t}.q`]), sc, zp);
    emit(nodeP('DequantizeLinear', `${t}.dq`, [`${t}.q`, `${t}.qscale`, `${t}.qzp`], [`${t}.dq`]));
  };
  for (const v of g.input ?? []) if (params.has(v.name ?? '')) qdq(v.name ?? '');
  for (const n of g.node ?? []) {
    if (n.opType === 'Conv' && plan.quantized.has(n)) quantizeConv(n, inits, params.get(n.input![0])!.scale, emit);
    n.input = (n.input ?? []).map((x) => (params.has(x) ? `${x}.dq` : x));
    out.push(n);
    for (const x of n.output ?? []) if (params.has(x)) qdq(x);
  }
  g.node = out;
  const used = new Set(out.flatMap((n) => n.input ?? []));
  g.initializer = [...(g.initializer ?? []), ...newInits].filter((t) => used.has(t.name ?? ''));
  g.valueInfo = [];
  return encodeModel(model);
}
