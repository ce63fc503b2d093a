/**
 * The onnxruntime-node side of a user's ONNX detector file (validated by src/onnx/validate.ts):
 * feeds the spec's input, fetches only the outputs the detector reads, maps every onnxruntime
 * failure to a LeyoloError and checks each forward pass's shapes (symbolic graphs are only known
 * at run time), so a file that computes something else fails with BAD_MODEL instead of decoding
 * as garbage boxes.
 */
import * as ort from 'onnxruntime-node';
import type { Engine, ForwardOutput } from '../engine.js';
import { LeyoloError } from '../errors.js';
import { checkForward, type DetectorSpec } from '../onnx/detector-spec.js';
import { ortError, type Session } from './session.js';
import { opt } from '../hints.js';

/**
 * Run `session` on one [B, 3, H, W] float32 batch; returns the spec's outputs (float32 only).
 *
 * @example
 * const res = await runDetectorSession(session, spec, x, [1, 3, 640, 640]); // res.output0.dims: [1, 84, 8400]
 */
export async function runDetectorSession(session: Session, spec: DetectorSpec, input: Float32Array, dims: readonly [number, number, number, number]): Promise<Record<string, ort.Tensor>> {
  if (spec.batch !== null && dims[0] !== spec.batch) {
    throw new LeyoloError('BAD_ARGUMENT', `this ONNX model takes batches of exactly ${spec.batch} image(s), got ${dims[0]}`, `pass ${spec.batch} image(s) at a time, or export with ${opt('dynamic')}`);
  }
  let res: ort.InferenceSession.OnnxValueMapType;
  try {
    res = await session.run({ [spec.input]: new ort.Tensor('float32', input, [...dims]) }, spec.outputs);
  } catch (e) {
    throw ortError(e, 'onnxruntime failed to run the model', 'BAD_MODEL', 'the file is corrupt or not a detector export; export or download it again');
  }
  for (const k of spec.outputs) {
    const t = res[k];
    if (!t || t.type !== 'float32') throw new LeyoloError('BAD_MODEL', `the ONNX model's output '${k}' came out as ${t ? t.type : 'nothing'}, not float32`, 'load a LeYOLO/Ultralytics detector export');
  }
  return res;
}

/**
 * Engine over a validated ONNX file with a decoded or heads output (NMS exports use NmsDetector).
 *
 * @example
 * const engine = new OnnxFileEngine(await createSession(bytes, { refusedCode: 'BAD_MODEL' }), inspectOnnxDetector(bytes));
 */
export class OnnxFileEngine implements Engine {
  readonly backend = 'onnxruntime-node/cpu';
  constructor(readonly session: Session, readonly spec: DetectorSpec) {}

  async run(input: Float32Array, dims: [number, number, number, number]): Promise<ForwardOutput> {
    const res = await runDetectorSession(this.session, this.spec, input, dims);
    const t = (k: string) => ({ shape: [...res[k].dims], data: res[k].data as Float32Array });
    const out: ForwardOutput = this.spec.kind === 'decoded' ? { decoded: t(this.spec.outputs[0]) } : { heads: this.spec.outputs.map(t) };
    checkForward(this.spec, out, dims);
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
