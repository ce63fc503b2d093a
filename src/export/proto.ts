/**
 * Editing serialized ONNX models at the ModelProto level (decode -> rewrite nodes/initializers ->
 * encode). The export transforms (fp16, int8 QDQ, calibration outputs) work here rather than on the
 * builder IR of src/onnx because they need tensor types the builder does not carry (float16, int8,
 * uint8), and because they then apply to any float32 ONNX file.
 */
import onnxProto from 'onnx-proto';
import { LeyoloError } from '../errors.js';

const { onnx } = onnxProto;

export type ModelP = onnxProto.onnx.IModelProto;
export type NodeP = onnxProto.onnx.INodeProto;
export type TensorP = onnxProto.onnx.ITensorProto;

/** ONNX TensorProto.DataType codes used here. */
export const DT = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 } as const;

/** Decode ModelProto bytes (RUNTIME error if they are not an ONNX model). */
export function decodeModel(bytes: Uint8Array): ModelP {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new LeyoloError('RUNTIME', `not an ONNX model: ${(e as Error).message}`, 'pass the .onnx file written by leyolo export');
  }
}

/** Encode a (possibly edited) ModelProto. */
export function encodeModel(m: ModelP): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}

/** The graph of a model (throws if absent). */
export function graphOf(m: ModelP): onnxProto.onnx.IGraphProto {
  if (!m.graph) throw new LeyoloError('RUNTIME', 'ONNX model has no graph', 'pass a complete .onnx file');
  return m.graph;
}

/** A tensor initializer from a typed array (raw little-endian bytes). */
export function tensorP(name: string, dataType: number, dims: number[], data: ArrayBufferView): TensorP {
  return { name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The float32 values of a FLOAT initializer (raw_data or float_data), or undefined for other types. */
export function floatData(t: TensorP): Float32Array | undefined {
  if (t.dataType !== DT.float) return undefined;
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    // Copy into a fresh buffer: raw_data may be an unaligned view into a shared (Node Buffer pool) one.
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return new Float32Array(copy.buffer, 0, raw.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** A node; attributes are given as ready AttributeProtos. */
export function nodeP(op: string, name: string, inputs: string[], outputs: string[], attribute: onnxProto.onnx.IAttributeProto[] = []): NodeP {
  return { opType: op, name, input: inputs, output: outputs, attribute };
}

/** INT attribute proto. */
export function intAttr(name: string, i: number): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

/** Consumers of each tensor name: node and input position. */
export function consumerMap(nodes: readonly NodeP[]): Map<string, { node: NodeP; index: number }[]> {
  const out = new Map<string, { node: NodeP; index: number }[]>();
  for (const node of nodes) {
    (node.input ?? []).forEach((name, index) => {
      if (!name) return;
      let list = out.get(name);
      if (!list) out.set(name, (list = []));
      list.push({ node, index });
    });
  }
  return out;
}

/** Set (add or replace) metadata_props entries. */
export function setMetadata(m: ModelP, kv: Record<string, string>): void {
  const rest = (m.metadataProps ?? []).filter((p) => !(p.key && p.key in kv));
  m.metadataProps = [...rest, ...Object.entries(kv).map(([key, value]) => ({ key, value }))];
}

