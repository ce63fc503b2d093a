/**
 * The NCHWc probe: which block size onnxruntime-node's NCHWc kernels use on this CPU (16 with
 * AVX-512, 8 with AVX2, 0 when unavailable). The training graph's depthwise convolutions use those
 * kernels when the block fits (src/train/graph/depthwise.ts).
 */
import * as ort from 'onnxruntime-node';
import { Graph, attr } from '../onnx/ir.js';
import { serializeTrainGraph } from '../train/graph/serialize.js';

const NCHWC = 'com.microsoft.nchwc';

let probed: Promise<number> | null = null;

/**
 * The NCHWc block size of this CPU's ORT build (ReorderInput pads 4 channels up to it), or 0
 * when the nchwc ops are unavailable. Probed once with a 4-channel graph (the op needs C % 4 == 0).
 *
 * @example
 * const blk = await nchwcBlockSize(); // 16 on AVX-512 machines
 */
export function nchwcBlockSize(): Promise<number> {
  probed ??= probeBlock();
  return probed;
}

async function probeBlock(): Promise<number> {
  try {
    const g = new Graph('probe');
    g.input('x', 'float32', [1, 4, 1, 1]);
    const y = g.node('ReorderInput', ['x'], { channels_last: attr.int(0) }, { name: 'y', domain: NCHWC })[0];
    g.output(y, 'float32', [1, 'c', 1, 1]);
    const s = await ort.InferenceSession.create(serializeTrainGraph(g), { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
    await s.release();
    return Number(out.y.dims[1]);
  } catch {
    return 0;
  }
}

