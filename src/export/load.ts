/**
 * Loading ONNX files in Node, exported ones included: reads the metadata `leyolo export` writes
 * (nc, names, stride, scale, imgsz) and picks the right detector:
 * - an NMS export (`detections` output) -> NmsDetector;
 * - a static-shape file -> a Detector that letterboxes to the file's square size (a static graph
 *   cannot take predict's minimal rectangles; Ultralytics does the same for exported models);
 * - otherwise the plain Detector on `decoded` / `output0` / heads.
 * Meant to back `load({ weights: 'x.onnx' })` (see the export report for the one-line change).
 */
import onnxProto from 'onnx-proto';
import { Detector, type Detection, type DetectOptions, type ModelMeta } from '../detector.js';
import type { LetterboxMode } from '../image/letterbox.js';
import type { RgbImage } from '../image/types.js';
import { decodeNodeInput, NodeEngine, type NodeDetector } from '../node/load.js';
import { createSession } from '../onnx/session.js';
import { NmsDetector } from './nms-engine.js';
import { parseNames, parseStrides } from '../web/onnx-meta.js';

/** A Detector whose letterbox defaults to the square input size of a static-shape file. */
class SquareDetector extends Detector<import('../node/load.js').NodeImageInput> {
  override detectImages(images: RgbImage[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    return super.detectImages(images, opts, mode ?? 'square');
  }
}

/** Metadata and the static input [H, W] (null if either is symbolic) of ONNX bytes. */
export function onnxInfo(bytes: Uint8Array): { metadata: Record<string, string>; fixed: [number, number] | null; outputs: string[] } {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  const dims = model.graph?.input?.[0]?.type?.tensorType?.shape?.dim ?? [];
  const hw = dims.slice(2).map((d) => (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? Number(d.dimValue) : NaN));
  const fixed: [number, number] | null = hw.length === 2 && hw.every((v) => v > 0) ? [hw[0], hw[1]] : null;
  return { metadata, fixed, outputs: (model.graph?.output ?? []).map((o) => o.name ?? '') };
}

/**
 * A Node detector for ONNX bytes (exported by leyolo, or an official Ultralytics export).
 *
 * @example
 * const det = await loadOnnxBytes(readFileSync('nano-int8.onnx'), { imgsz: 640 });
 * const dets = await det.detect('bus.jpg');
 */
export async function loadOnnxBytes(bytes: Uint8Array, o: { imgsz: number; threads?: number }): Promise<NodeDetector> {
  const { metadata: md, fixed, outputs } = onnxInfo(bytes);
  const session = await createSession(bytes, { threads: o.threads });
  // leyolo writes JSON; official Ultralytics exports write a Python dict and a single max stride.
  const parsedNames = parseNames(md.names);
  const nc = Number(md.nc ?? (parsedNames.length || 80));
  const names = parsedNames.length === nc ? parsedNames : Array.from({ length: nc }, (_, i) => parsedNames[i] ?? String(i));
  const strides = parseStrides(md.stride);
  // A static file fixes the size: its own imgsz wins over the caller's.
  const meta: ModelMeta = { scale: md.scale ?? 'onnx', nc, names, strides, imgsz: fixed ? Math.max(...fixed) : o.imgsz };
  if (outputs.includes('detections')) return new NmsDetector(meta, session, decodeNodeInput, fixed);
  if (fixed) return new SquareDetector(meta, new NodeEngine(session), decodeNodeInput);
  return new Detector(meta, new NodeEngine(session), decodeNodeInput);
}
