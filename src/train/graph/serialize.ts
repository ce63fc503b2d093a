/**
 * Serialize a training graph: `serializeModel` plus the `com.microsoft` opset import that the
 * contrib ops used here need (FusedMatMul in com.microsoft; NchwcConv, ReorderInput/Output in com.microsoft.nchwc).
 */
import onnxProto from 'onnx-proto';
import type { Graph } from '../../onnx/ir.js';
import { serializeModel } from '../../onnx/ir.js';

const { onnx } = onnxProto;

/**
 * ONNX ModelProto bytes (opset 17 + com.microsoft 1 + com.microsoft.nchwc 1).
 *
 * @example
 * const bytes = serializeTrainGraph(forwardGraph(m, [8, 3, 320, 320], 'train', ck.bn).graph);
 */
export function serializeTrainGraph(g: Graph): Uint8Array {
  const model = onnx.ModelProto.decode(serializeModel(g, { opset: 17 }));
  for (const domain of ['com.microsoft', 'com.microsoft.nchwc']) model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain, version: 1 }));
  return onnx.ModelProto.encode(model).finish();
}
