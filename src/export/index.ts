/**
 * `leyolo export`: a checkpoint -> one self-describing ONNX file (float32 by default, or fp16, or
 * static-INT8 QDQ), optionally with in-graph NMS. The file carries Ultralytics' metadata keys in
 * Ultralytics' formats (stride as an int, names as a Python dict repr, batch, imgsz, ...: official
 * tools load it) plus leyolo's nc, scale, `leyolo_export` (JSON of the export settings) and, with NMS,
 * `detections_layout` (metadata.ts).
 */
import { LeyoloError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import type { ScaleName } from '../model/table.js';
import { inferenceGraph } from '../onnx/inference.js';
import { serializeModel } from '../onnx/ir.js';
import type { Checkpoint } from '../weights/pt.js';
import { calibrate, letterboxedInputs, type CalibrationMethod } from './calibrate.js';
import { toHalf } from './half.js';
import { appendNms, type NmsSettings } from './nms.js';
import { exportMetadata } from './metadata.js';
import { decodeModel, encodeModel, setMetadata } from './proto.js';
import { quantizableTensors, quantizeQdq, type QuantizeOptions } from './quantize.js';
import { sensitivity, sensitivityCandidates } from './sensitivity.js';
import { opt } from '../hints.js';

export type { NmsSettings } from './nms.js';

/** INT8 settings: calibration images and method. */
export interface Int8Options extends QuantizeOptions {
  /** Calibration images (loaded lazily, one at a time). */
  images: readonly (() => Promise<RgbImage>)[];
  /** Range method (default 'mse', see calibrate.ts). */
  method?: CalibrationMethod;
  percentile?: number;
  /**
   * Mixed precision: leave the `keep` activation tensors whose quantization alone moves the output
   * most (sensitivity.ts, measured on the first `sensitivityImages` calibration images) in float32.
   * Default {@link DEFAULT_INT8_KEEP}; 0 = quantize everything. Ignored when `keepFloat` is given.
   */
  keep?: number;
  /** Calibration images used for the sensitivity ranking (default 2). */
  sensitivityImages?: number;
  /** Progress of the int8 stages (calibration pass, range search, sensitivity ranking): done of total. */
  onProgress?: (stage: 'calibrate' | 'ranges' | 'sensitivity', done: number, total: number) => void;
}

/** Options of {@link exportOnnx}. */
export interface ExportOptions {
  /** Square input size, a multiple of 32 (default: the scale's, 640). Calibration uses it too. */
  imgsz?: number;
  /** Fixed batch size (default 1; ignored with dynamic). */
  batch?: number;
  /** Dynamic batch, height and width. */
  dynamic?: boolean;
  /** Also output the raw heads p3, p4, p5 (not with nms). */
  heads?: boolean;
  /** In-graph NMS with a single `detections` output. */
  nms?: NmsSettings;
  /** float16 weights and activations (float32 interface). */
  half?: boolean;
  /** Static INT8 QDQ quantization. */
  int8?: Int8Options;
  scale?: ScaleName;
  threads?: number;
  /** ONNX opset, {@link MIN_OPSET}..{@link MAX_OPSET} (default 17). */
  opset?: number;
  /** Metadata `date` (default: the checkpoint's, so that exports are reproducible; else now). */
  date?: string;
}

/**
 * Opsets the graph builder supports: its Split/ReduceSum/Squeeze/Unsqueeze take axes as inputs and
 * Softmax works on one axis (opset 13 semantics), and the NMS tail's ReduceMax takes `axes` as an
 * attribute (gone in opset 18).
 *
 * @example
 * await exportOnnx(ck, { opset: MIN_OPSET }); // the oldest opset the graph is valid in
 */
export const MIN_OPSET = 13;
export const MAX_OPSET = 17;

/** Layout string stored in the metadata of NMS exports. */
export const DETECTIONS_LAYOUT = '[K,7] float32 rows: batch, x1, y1, x2, y2 (input pixels), score, class; per batch by descending score';

function checkOptions(o: ExportOptions): void {
  if (o.half && o.int8) throw new LeyoloError('BAD_ARGUMENT', `${opt('half')} and ${opt('int8')} cannot be combined`, `choose one of ${opt('half')} (GPU/WebGPU) or ${opt('int8')} (CPU)`);
  if (o.nms && o.heads) throw new LeyoloError('BAD_ARGUMENT', `${opt('heads')} cannot be combined with ${opt('nms')} (single detections output)`, `drop ${opt('heads')}, or export without ${opt('nms')}`);
  if (o.imgsz !== undefined && (!Number.isInteger(o.imgsz) || o.imgsz < 32 || o.imgsz % 32 !== 0)) {
    throw new LeyoloError('BAD_ARGUMENT', `imgsz must be a positive multiple of 32, got ${o.imgsz}`, `e.g. ${opt('imgsz', '640')}`);
  }
  if (o.opset !== undefined && (!Number.isInteger(o.opset) || o.opset < MIN_OPSET || o.opset > MAX_OPSET)) {
    throw new LeyoloError('BAD_ARGUMENT', `opset must be an integer in ${MIN_OPSET}..${MAX_OPSET}, got ${o.opset}`, `pass an opset from ${MIN_OPSET} to ${MAX_OPSET} (default 17): the graph uses opset-13 operator forms, and the NMS tail is not valid in 18+`);
  }
}

/**
 * Export a checkpoint to ONNX bytes.
 *
 * @example
 * const ck = await loadCheckpointFile('LeYOLONano.pt');
 * const bytes = await exportOnnx(ck, { imgsz: 640, nms: { conf: 0.25, iou: 0.7, maxDet: 300 } });
 * writeFileSync('nano-nms.onnx', bytes);
 */
export async function exportOnnx(ck: Checkpoint, o: ExportOptions = {}): Promise<Uint8Array> {
  checkOptions(o);
  const m = modelOfCheckpoint(ck, o.scale);
  const imgsz = o.imgsz ?? m.imgsz;
  const size = o.dynamic ? 'dynamic' : imgsz;
  const g = inferenceGraph(m, ck.stateDict, ck.bn, { batch: o.dynamic ? 'dynamic' : o.batch ?? 1, height: size, width: size, heads: o.heads ?? false, decode: true });
  if (o.nms) {
    const det = appendNms(g, 'decoded', m.nc, o.nms);
    g.outputs.splice(0, g.outputs.length, { name: det, dtype: 'float32', shape: ['detections', 7] });
  }
  const names = ck.names.length === ck.nc ? ck.names : Array.from({ length: ck.nc }, (_, i) => ck.names[i] ?? String(i));
  const settings = {
    imgsz, dynamic: o.dynamic ?? false, batch: o.dynamic ? 'dynamic' : o.batch ?? 1, heads: o.heads ?? false,
    precision: o.half ? 'fp16' : o.int8 ? 'int8' : 'fp32', nms: o.nms ?? null,
    ...(o.int8 ? { int8: { method: o.int8.method ?? 'mse', images: o.int8.images.length, ops: o.int8.ops ?? 'all', keepHeadFp32: o.int8.keepHeadFp32 ?? true } } : {}),
  };
  const metadata = exportMetadata({ ck, m, names, imgsz, batch: o.dynamic ? 1 : o.batch ?? 1, settings, date: o.date, ...(o.nms ? { detectionsLayout: DETECTIONS_LAYOUT } : {}) });
  let bytes = serializeModel(g, { opset: o.opset ?? 17, metadata });
  if (o.half) bytes = toHalf(bytes);
  if (o.int8) {
    const r = await toInt8(bytes, imgsz, o.int8, o.threads);
    bytes = r.bytes;
    metadata.leyolo_export = JSON.stringify({ ...settings, int8: { ...settings.int8, keepFloat: r.keepFloat } });
  }
  const model = decodeModel(bytes);
  setMetadata(model, metadata);
  return encodeModel(model);
}

/**
 * Default number of activation tensors left in float32 by the sensitivity ranking. Nano on coco128
 * (64 calibration images, mse ranges), int8 vs fp32 mAP50-95: keep 16 -> 42.13 vs 42.30 at 640 and
 * 33.98 vs 33.52 at 320; keep 8 -> 41.32 (640) and 32.30 (320), more than 1 point off.
 */
export const DEFAULT_INT8_KEEP = 16;

async function toInt8(fp32: Uint8Array, imgsz: number, q: Int8Options, threads?: number): Promise<{ bytes: Uint8Array; keepFloat: readonly string[] }> {
  const tensors = quantizableTensors(fp32, { ...q, keepFloat: [] });
  const ranges = await calibrate(fp32, tensors.filter((t) => t !== 'images'), q.images, { imgsz, method: q.method, percentile: q.percentile, threads, onProgress: q.onProgress });
  // The input is pixel / 255: [0, 1] exactly, so uint8 scale 1/255 represents every pixel value.
  ranges.set('images', { min: 0, max: 1 });
  let keepFloat = q.keepFloat ?? [];
  const keep = q.keep ?? DEFAULT_INT8_KEEP;
  if (!q.keepFloat && keep > 0) {
    const inputs = await letterboxedInputs(q.images, imgsz, q.sensitivityImages ?? 2);
    const err = await sensitivity(fp32, sensitivityCandidates(fp32, tensors), ranges, inputs, imgsz, threads, (d, n) => q.onProgress?.('sensitivity', d, n));
    keepFloat = [...err].sort((a, b) => b[1] - a[1]).slice(0, keep).map(([t]) => t);
  }
  return { bytes: quantizeQdq(fp32, ranges, { ...q, keepFloat }), keepFloat };
}
