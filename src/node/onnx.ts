/**
 * Loading ONNX files in Node, exported ones included. The bytes are validated first
 * (src/onnx/validate.ts: a strict walk of the file, an op allow-list, detector-shaped inputs and
 * outputs, metadata consistent with the graph, size caps) so a broken, hostile or non-detector file
 * is refused with a typed error before onnxruntime allocates anything; then the spec picks:
 * - an NMS export (`detections` output) -> NmsDetector;
 * - a static-shape file -> a Detector that letterboxes to the file's square size (a static graph
 *   cannot take predict's minimal rectangles; Ultralytics does the same for exported models);
 * - otherwise the plain Detector on `decoded` / `output0` / heads.
 * Every forward pass's output shapes are checked too (file-engine.ts).
 */
import { Detector, type Detection, type DetectOptions, type ModelMeta } from '../detector.js';
import { LeyoloError, guard } from '../errors.js';
import type { LetterboxMode } from '../image/letterbox.js';
import type { RgbImage } from '../image/types.js';
import { nodeDecoder, type NodeDetector, type NodeImageInput } from './load.js';
import { MAX_INPUT_SIDE } from '../onnx/detector-spec.js';
import { readModelInfo } from '../onnx/model-info.js';
import { createSession } from './session.js';
import { inspectOnnxDetector } from '../onnx/validate.js';
import { OnnxFileEngine } from './onnx-engine.js';
import { NmsDetector } from './nms-detector.js';

/** A Detector whose letterbox defaults to the square input size of a static-shape file. */
class SquareDetector extends Detector<NodeImageInput> {
  override detectImages(images: RgbImage[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    return super.detectImages(images, opts, mode ?? 'square');
  }
}

/**
 * Metadata, the static input [H, W] (null if either is symbolic) and the output names of ONNX
 * bytes. Throws BAD_MODEL / LIMIT_EXCEEDED for a malformed file (no detector checks).
 *
 * @example
 * onnxInfo(bytes); // { metadata: { nc: '80', ... }, fixed: [640, 640], outputs: ['decoded'] }
 */
export function onnxInfo(bytes: Uint8Array): { metadata: Record<string, string>; fixed: [number, number] | null; outputs: string[] } {
  const info = readModelInfo(bytes); // throws only LeyoloErrors
  const dims = info.inputs[0]?.dims ?? [];
  const hw = dims.slice(2);
  const fixed: [number, number] | null = hw.length === 2 && hw.every((v) => typeof v === 'number' && v > 0) ? [hw[0] as number, hw[1] as number] : null;
  return { metadata: info.metadata, fixed, outputs: info.outputs.map((o) => o.name) };
}

/**
 * A Node detector for ONNX bytes (exported by leyolo, or an official Ultralytics export). Throws
 * only LeyoloErrors: BAD_MODEL for a file that is not a valid detector (with a hint),
 * LIMIT_EXCEEDED for sizes over the caps, MODEL_MISMATCH for a non-square static input.
 *
 * @example
 * const det = await loadOnnxBytes(readFileSync('nano-int8.onnx'), { imgsz: 640 });
 * const dets = await det.detect('bus.jpg');
 */
export function loadOnnxBytes(bytes: Uint8Array, o: { imgsz: number; threads?: number; maxPixels?: number }): Promise<NodeDetector> {
  return guard('load ONNX model', () => loadImpl(bytes, o));
}

async function loadImpl(bytes: Uint8Array, o: { imgsz: number; threads?: number; maxPixels?: number }): Promise<NodeDetector> {
  if (!(bytes instanceof Uint8Array)) throw new LeyoloError('BAD_ARGUMENT', 'ONNX model bytes must be a Uint8Array', 'pass the bytes of a .onnx file');
  if (!Number.isInteger(o.imgsz) || o.imgsz < 32 || o.imgsz > MAX_INPUT_SIDE) {
    throw new LeyoloError(o.imgsz > MAX_INPUT_SIDE ? 'LIMIT_EXCEEDED' : 'BAD_ARGUMENT', `imgsz must be an integer in 32..${MAX_INPUT_SIDE}, got ${o.imgsz}`, 'e.g. imgsz 640');
  }
  const spec = inspectOnnxDetector(bytes);
  const session = await createSession(bytes, { threads: o.threads, refusedCode: 'BAD_MODEL' });
  const { fixed } = spec;
  // A static file fixes the size: its own imgsz wins over the caller's.
  const meta: ModelMeta = { scale: spec.scale, nc: spec.nc, names: spec.names, strides: spec.strides, imgsz: fixed ? Math.max(...fixed) : o.imgsz };
  const decode = nodeDecoder(o.maxPixels);
  if (spec.kind === 'nms') return new NmsDetector(meta, session, decode, fixed, spec);
  const engine = new OnnxFileEngine(session, spec);
  return fixed ? new SquareDetector(meta, engine, decode) : new Detector(meta, engine, decode);
}
