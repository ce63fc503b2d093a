/**
 * Checks an ONNX file must pass before onnxruntime loads it as a detector (browser-safe: no Node
 * built-ins, no protobuf library). Layers:
 * 1. model-info.ts walks the bytes strictly (malformed framing, subgraphs, functions, external or
 *    mismatched tensor data, size caps);
 * 2. {@link checkGraph}: op allow-list, wiring, bounds on attributes and constants that size
 *    allocations;
 * 3. detector-spec.ts: inputs, outputs and metadata must describe a detector.
 *
 * Op policy: an ALLOW-list, not a deny-list of control flow. Refusing Loop/Scan/If alone would
 * still let a file reach every other op of every domain onnxruntime registers (contrib ops, ops
 * that allocate from a constant shape such as ConstantOfShape/Tile/Pad, string and sequence ops);
 * a detector needs a small fixed set. The list is the union of what `leyolo export` writes
 * (plain, --nms, --half, --int8: src/onnx/inference.ts, decode.ts, src/export/*) and what the
 * official Ultralytics 8.1.4 exports in ../shared/reference/onnx use (adds Constant, Div,
 * Identity), plus a few pure elementwise or pooling ops other Ultralytics-style exporters emit
 * (their output is never larger than their input). Only the default ONNX domain is accepted.
 */
import { LeyoloError, guardSync } from '../errors.js';
import { detectorSpec, type DetectorSpec } from './detector-spec.js';
import { ONNX_LIMITS, readModelInfo, type NodeInfo, type OnnxModelInfo, type TensorInfo } from './model-info.js';
import { LEN, int64s } from './wire.js';

/** Op types (default domain) a detector file may contain. See the module comment for the policy. */
export const ALLOWED_OPS: ReadonlySet<string> = new Set([
  // leyolo exports: backbone/head, in-graph decode, NMS, fp16 casts, int8 QDQ.
  'Conv', 'Sigmoid', 'Tanh', 'Mul', 'Add', 'Sub', 'MaxPool', 'Concat', 'Resize', 'Reshape', 'Softmax', 'ReduceSum',
  'Split', 'Shape', 'Slice', 'Cast', 'Squeeze', 'Unsqueeze', 'Range', 'Expand', 'Transpose', 'ReduceMax', 'ArgMax',
  'NonMaxSuppression', 'Gather', 'GatherND', 'QuantizeLinear', 'DequantizeLinear',
  // official Ultralytics exports.
  'Constant', 'Div', 'Identity',
  // elementwise/pooling ops of other detector exporters: outputs no larger than inputs.
  'Relu', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Clip', 'Flatten', 'BatchNormalization', 'AveragePool', 'GlobalAveragePool',
]);

/** Spatial attributes (kernel, stride, dilation, padding) above this are refused: real ones are <= 7. */
export const MAX_SPATIAL_ATTR = 64;
/** Resize scale factors above this are refused (LeYOLO upsamples by 2). */
export const MAX_RESIZE_SCALE = 64;

const bad = (msg: string, hint = 'load a LeYOLO/Ultralytics detector export (leyolo export or Ultralytics `export format=onnx`)'): LeyoloError =>
  new LeyoloError('BAD_MODEL', msg, hint);

function nodeName(n: NodeInfo, i: number): string {
  return n.name ? `'${n.name}' (${n.opType})` : `#${i} (${n.opType})`;
}

function checkOps(info: OnnxModelInfo): void {
  for (const o of info.opsets) {
    if (o.domain !== '' && o.domain !== 'ai.onnx') throw bad(`ONNX model imports the operator set '${o.domain}', which a detector does not use`);
  }
  info.nodes.forEach((n, i) => {
    if (n.domain !== '' && n.domain !== 'ai.onnx') throw bad(`ONNX node ${nodeName(n, i)} is from domain '${n.domain}', which a detector does not use`);
    if (!ALLOWED_OPS.has(n.opType)) throw bad(`ONNX op '${n.opType}' (node ${nodeName(n, i)}) is not one a LeYOLO detector uses; leyolo refuses it`);
  });
}

/**
 * Every node input is defined before the node (graph input, initializer or an output of an earlier
 * node: ONNX requires topological order), every output name is defined once, every node feeds
 * something and every initializer is used. Real exports satisfy all of this (checked on every
 * reference and leyolo export); a corrupted name or field typically breaks one of them.
 */
function checkWiring(info: OnnxModelInfo): void {
  const defined = new Set<string>(info.initializers.map((t) => t.name));
  if (defined.size !== info.initializers.length) throw bad('ONNX model defines an initializer name twice');
  for (const v of info.inputs) defined.add(v.name);
  const later = new Set<string>(info.nodes.flatMap((n) => n.outputs));
  const used = new Set<string>(info.outputs.map((o) => o.name));
  info.nodes.forEach((n, i) => {
    for (const x of n.inputs) {
      if (x !== '' && !defined.has(x)) throw bad(`ONNX node ${nodeName(n, i)} reads '${x}', which ${later.has(x) ? 'is only computed after it (nodes must be in topological order)' : 'nothing defines'}`);
      used.add(x);
    }
    for (const o of n.outputs) {
      if (o === '') continue;
      if (defined.has(o)) throw bad(`ONNX node ${nodeName(n, i)} redefines '${o}'`);
      defined.add(o);
    }
  });
  for (const o of info.outputs) if (!defined.has(o.name)) throw bad(`ONNX output '${o.name}' is not computed by the graph`);
  info.nodes.forEach((n, i) => {
    if (!n.outputs.some((o) => used.has(o))) throw bad(`ONNX node ${nodeName(n, i)} computes nothing the graph uses (a corrupt file?)`);
  });
  for (const t of info.initializers) if (!used.has(t.name)) throw bad(`ONNX initializer '${t.name}' is never used (a corrupt file?)`);
}

/** Small constant values (initializers and Constant outputs) by name, for the bound checks. */
function constants(info: OnnxModelInfo, bytes: Uint8Array): (name: string) => number[] | undefined {
  const byName = new Map<string, TensorInfo>(info.initializers.map((t) => [t.name, t]));
  for (const n of info.nodes) {
    const v = n.opType === 'Constant' ? n.attrs.find((a) => a.name === 'value')?.t : undefined;
    if (v && n.outputs[0]) byName.set(n.outputs[0], v);
  }
  return (name) => {
    const t = byName.get(name);
    const d = t?.data;
    if (!t || !d || d.end - d.start > 128) return undefined;
    if (d.num === 7 || (d.num === 9 && t.dataType === 7)) {
      if (d.num === 7) return int64s(bytes, d, 16);
      const view = new DataView(bytes.buffer, bytes.byteOffset + d.start, d.end - d.start);
      return Array.from({ length: view.byteLength / 8 }, (_, i) => Number(view.getBigInt64(8 * i, true)));
    }
    // float32 in raw_data or packed float_data: the same little-endian layout.
    if (t.dataType === 1 && (d.num === 9 || (d.num === 4 && d.wire === LEN))) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + d.start, d.end - d.start);
      return Array.from({ length: view.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
    }
    return undefined;
  };
}

/** Bounds on what sizes allocations: spatial attributes, constant Resize scales/sizes, Expand shapes, Range lengths. */
function checkBounds(info: OnnxModelInfo, bytes: Uint8Array): void {
  const value = constants(info, bytes);
  const tooBig = (n: NodeInfo, i: number, what: string): LeyoloError =>
    new LeyoloError('LIMIT_EXCEEDED', `ONNX node ${nodeName(n, i)} ${what}`, 'check the file; it is not a detector export');
  info.nodes.forEach((n, i) => {
    for (const a of n.attrs) {
      if (!['kernel_shape', 'strides', 'dilations', 'pads'].includes(a.name)) continue;
      if ((a.ints ?? []).some((v) => !(v >= 0 && v <= MAX_SPATIAL_ATTR))) throw tooBig(n, i, `has ${a.name} ${JSON.stringify(a.ints)} (limit 0..${MAX_SPATIAL_ATTR})`);
    }
    const product = (v: number[] | undefined): number => (v ? v.reduce((p, x) => p * Math.max(x, 1), 1) : 0);
    if (n.opType === 'Resize') {
      const scales = value(n.inputs[2] ?? '');
      if (scales?.some((s) => !(s > 0 && s <= MAX_RESIZE_SCALE))) throw tooBig(n, i, `scales by ${JSON.stringify(scales)} (limit ${MAX_RESIZE_SCALE})`);
      if (product(value(n.inputs[3] ?? '')) > ONNX_LIMITS.tensorElements) throw tooBig(n, i, 'resizes to more elements than the tensor limit');
    }
    if (n.opType === 'Expand' && product(value(n.inputs[1] ?? '')) > ONNX_LIMITS.tensorElements) throw tooBig(n, i, 'expands to more elements than the tensor limit');
    if (n.opType === 'Range') {
      const [s, l, d] = n.inputs.map((x) => value(x)?.[0]);
      if (s !== undefined && l !== undefined && d !== undefined && !(Math.abs((l - s) / d) <= ONNX_LIMITS.tensorElements)) throw tooBig(n, i, 'makes a range longer than the tensor limit');
    }
  });
}

/**
 * Graph-level checks of a walked model (see the module comment). Throws BAD_MODEL or
 * LIMIT_EXCEEDED naming the node.
 *
 * @example
 * checkGraph(readModelInfo(bytes), bytes);
 */
export function checkGraph(info: OnnxModelInfo, bytes: Uint8Array): void {
  checkOps(info);
  checkWiring(info);
  checkBounds(info, bytes);
}

/**
 * Everything leyolo checks before handing ONNX bytes to onnxruntime as a detector: returns what
 * the detector needs (input/output names, kind, classes, strides, static size). Throws only
 * LeyoloErrors (BAD_MODEL, LIMIT_EXCEEDED, MODEL_MISMATCH).
 *
 * @example
 * const spec = inspectOnnxDetector(bytes); // { kind: 'decoded', input: 'images', outputs: ['output0'], nc: 80, ... }
 */
export function inspectOnnxDetector(bytes: Uint8Array): DetectorSpec {
  return guardSync('validate ONNX model', () => {
    const info = readModelInfo(bytes);
    checkGraph(info, bytes);
    return detectorSpec(info);
  });
}
