/** ONNX graph IR, the inference graph builder, and the onnxruntime-node session helpers. */
export { Graph, attr, serializeModel } from './ir.js';
export type { IrNode, IrTensor, IrValue, AttrValue, DType, SerializeOptions } from './ir.js';
export { buildInferenceGraph, inferenceGraph } from './inference.js';
export type { InferenceGraphOptions } from './inference.js';
export { foldConv, bnEps, getTensor } from './fold.js';
export type { BnSettings } from './fold.js';
export { appendDecode } from './decode.js';
export type { LevelShape } from './decode.js';
// session.ts (onnxruntime-node) is deliberately NOT re-exported: this barrel stays browser-safe.
