/**
 * The ONNX protobuf messages model-info.ts walks, as wire.ts schemas (field number -> wire type,
 * repeated or not; field numbers of onnx.proto, IR version 10 / ONNX 1.17), and the size caps.
 */
import { I32, I64, LEN, VARINT, type Schema } from './wire.js';

/** Caps checked while walking (any real detector export is far below each). */
export const ONNX_LIMITS = {
  /** Whole file; callers read with the same cap (protobuf itself stops at 2 GiB). */
  fileBytes: 1 << 30,
  nodes: 100_000,
  initializers: 100_000,
  /** Graph inputs or outputs. */
  values: 1000,
  /** Inputs or outputs of one node, attributes of one node. */
  perNode: 1000,
  /** Elements of one tensor (initializer or constant): 2^28 float32 = 1 GiB. */
  tensorElements: 2 ** 28,
  /** Tensor rank. */
  rank: 8,
  metadataEntries: 1000,
  /** One metadata value (names of 10,000 classes fit easily). */
  metadataValueBytes: 1 << 20,
  /** A name or other identifier string. */
  nameBytes: 4096,
  /** All strings decoded from one file (names, metadata): real exports hold well under 1 MiB. */
  stringBytes: 64 << 20,
  /** Node inputs + outputs + attributes over the whole graph (an int8 export has ~5,000). */
  edges: 200_000,
} as const;

/** Bytes per element of the tensor data types accepted (TensorProto.DataType; no strings). */
export const ELEM_BYTES: Readonly<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

const L = { wire: LEN };
const LR = { wire: LEN, repeated: true };
const V = { wire: VARINT };
// Repeated scalars may be packed (LEN) or not.
const packed = (w: number) => ({ wire: [w, LEN], repeated: true });

// Field numbers of onnx.proto (IR version 10 / ONNX 1.17).
export const MODEL: Schema = { 1: V, 2: L, 3: L, 4: L, 5: V, 6: L, 7: L, 8: LR, 14: LR, 20: LR, 25: LR, 26: LR };
export const OPSET: Schema = { 1: L, 2: V };
export const ENTRY: Schema = { 1: L, 2: L };
export const GRAPH: Schema = { 1: LR, 2: L, 5: LR, 15: LR, 10: L, 11: LR, 12: LR, 13: LR, 14: LR, 16: LR };
export const NODE: Schema = { 1: LR, 2: LR, 3: L, 4: L, 5: LR, 6: L, 7: L, 8: L, 9: LR, 10: LR };
export const ATTR: Schema = {
  1: L, 21: L, 13: L, 20: V, 2: { wire: I32 }, 3: V, 4: L, 5: L, 6: L, 22: L, 14: L,
  7: packed(I32), 8: packed(VARINT), 9: LR, 10: LR, 11: LR, 23: LR, 15: LR,
};
export const TENSOR: Schema = {
  1: packed(VARINT), 2: V, 3: L, 4: packed(I32), 5: packed(VARINT), 6: LR, 7: packed(VARINT), 8: L, 12: L, 9: L,
  13: LR, 14: V, 10: packed(I64), 11: packed(VARINT), 16: LR,
};
export const VALUE_INFO: Schema = { 1: L, 2: L, 3: L, 4: LR };
export const TYPE: Schema = { 1: L, 4: L, 5: L, 6: L, 7: L, 8: L, 9: L };
export const TENSOR_TYPE: Schema = { 1: V, 2: L };
export const SHAPE: Schema = { 1: LR };
export const DIM: Schema = { 1: V, 2: L, 3: L };

