/**
 * Export mode (Ultralytics `model.export(format='onnx')`): one self-describing ONNX file, float32 by
 * default, or fp16, or static INT8 calibrated on a folder of images (an image that does not decode is
 * reported and skipped, never aborting the export), optionally with in-graph NMS.
 */
import { statSync } from 'node:fs';
import { isImagePath } from '../data/paths.js';
import { LeyoloError, guard, asLeyoloError, type ErrorCode } from '../errors.js';
import { exportOnnx, type ExportOptions } from '../export/index.js';
import { decodeImage } from './decode.js';
import { ExportOptionsSchema, parseOptions, type ExportModelOptions } from '../options.js';
import type { Checkpoint } from '../weights/pt.js';
import { assertWritableOutput, walkFiles, writeFileAtomic } from './fs.js';

/** What {@link exportModel} returns. */
export interface ExportRun {
  /** The ONNX file's bytes. */
  bytes: Uint8Array;
  /** Where it was written, when `output` was given. */
  path?: string;
  /** Calibration images that were skipped, and why. */
  failures: { file: string; code: ErrorCode; message: string }[];
}

/** Hooks of {@link exportModel}. */
export interface ExportHooks {
  /** INT8 stages: calibration pass, range search, sensitivity ranking (done of total). */
  onProgress?: (stage: 'calibrate' | 'ranges' | 'sensitivity', done: number, total: number) => void;
  /** A calibration image that was skipped. */
  onProblem?: (f: { file: string; code: ErrorCode; message: string }) => void;
}

/** The first `n` images of a folder (recursive, sorted) that decode; the others are reported. */
async function calibImages(dir: string, n: number, fail: (file: string, e: unknown) => void): Promise<string[]> {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new LeyoloError('FILE_NOT_FOUND', `calibration folder not found: ${dir}`, "pass int8.calib: a folder of images (e.g. 'datasets/coco128/images/train2017')");
  }
  const walked = walkFiles(dir);
  for (const p of walked.problems) fail(p.file, new LeyoloError('BAD_PATH', `${p.file}: ${p.reason}`));
  const good: string[] = [];
  for (const f of walked.files.filter((p) => isImagePath(p))) {
    if (good.length >= n) break;
    try {
      await decodeImage(f);
      good.push(f);
    } catch (e) {
      fail(f, e);
    }
  }
  if (good.length === 0) throw new LeyoloError('BAD_ARGUMENT', `no usable calibration images in ${dir}`, 'int8.calib must hold .jpg/.png images');
  return good;
}

/**
 * Export a checkpoint to ONNX; with `output`, the file is written atomically (never over the weights,
 * an input, a link or a device).
 *
 * @example
 * const { path } = await exportModel(ck, { imgsz: 320, int8: { calib: 'datasets/coco128/images/train2017' }, output: 'nano-int8.onnx' });
 */
export function exportModel(ck: Checkpoint, options: ExportModelOptions = {}, hooks: ExportHooks = {}, imgszDefault = 640): Promise<ExportRun> {
  return guard('export', async () => {
    const o = parseOptions(ExportOptionsSchema, options, 'export');
    if (o.output) {
      if (!o.output.endsWith('.onnx')) throw new LeyoloError('BAD_ARGUMENT', `the output must end in .onnx, got ${o.output}`, "e.g. output: 'model.onnx'");
      assertWritableOutput(o.output);
    }
    if (o.batch !== undefined && o.dynamic) throw new LeyoloError('BAD_ARGUMENT', 'batch cannot be combined with dynamic', 'drop one of them');
    const failures: ExportRun['failures'] = [];
    const fail = (file: string, e: unknown) => {
      const err = asLeyoloError(e, file);
      if (err.code === 'INTERNAL') throw err;
      const f = { file, code: err.code, message: err.message.split('\n')[0] };
      failures.push(f);
      hooks.onProblem?.(f);
    };
    const low: ExportOptions = { imgsz: o.imgsz ?? imgszDefault, dynamic: o.dynamic, heads: o.heads, half: o.half, batch: o.batch, nms: o.nms, scale: o.scale, threads: o.threads, opset: o.opset };
    if (o.int8) {
      const files = await calibImages(o.int8.calib, o.int8.calibN, fail);
      low.int8 = { images: files.map((f) => () => decodeImage(f)), method: o.int8.method, keep: o.int8.keep, onProgress: hooks.onProgress };
    }
    const bytes = await exportOnnx(ck, low);
    if (o.output) writeFileAtomic(o.output, bytes);
    return { bytes, path: o.output, failures };
  });
}
