import { basename } from 'node:path';
import { LeyoloError } from '../errors.js';
import { Progress } from './progress.js';
import { DEFAULT_INT8_KEEP } from '../export/index.js';
import { exportModel } from '../node/export.js';
import type { ExportModelOptions } from '../options.js';
import { resolveWeights } from '../node/hub.js';
import { loadCheckpointFile } from '../weights/node.js';
import { parse, num, int, choice, str, type Options } from './args.js';
import { MODEL_OPTIONS, modelOptions } from './common.js';

export const HELP = `Usage: leyolo export --weights W [options] -o model.onnx
Export the inference graph to ONNX (loads in onnxruntime-node/web and in leyolo's load()).

  --weights PATH     .pt or .safetensors (default: $LEYOLO_WEIGHTS, cache, download)
  --model NAME       nano|small|medium|large when no --weights (default nano)
  --imgsz N          square input size, multiple of 32 (default 640)
  --device cpu       (Node runs on CPU)
  --threads N        intra-op threads for --int8 calibration (default: all cores)
  --format onnx      the only format
  --opset N          ONNX opset, 13..17 (default 17)
  --dynamic          dynamic batch, height and width
  --batch N          fixed batch size (default 1; not with --dynamic)
  --heads            also output the raw heads p3, p4, p5 (not with --nms)
  --nms              in-graph NMS, single output detections [K, 7]:
                     batch, x1, y1, x2, y2 (input pixels), score, class
  --conf X           NMS confidence threshold (default 0.25)
  --iou X            NMS IoU threshold (default 0.7)
  --max-det N        NMS detections per image (default 300)
  --agnostic         class-agnostic NMS
  --half             fp16 weights and activations (float32 inputs/outputs; for GPU/WebGPU)
  --int8             static INT8 (QDQ: per-channel int8 weights, uint8 activations)
  --calib DIR        calibration images for --int8 (letterboxed like val at --imgsz)
  --calib-n N        use at most N calibration images (default 64)
  --calib-method M   mse|hybrid|percentile|minmax (default mse: per-tensor clip with the least expected
                     error, judged after the SiLU for pre-activations; measured best on coco128)
  --int8-keep N      leave the N most quantization-sensitive tensors in fp32 (default 16; 0 = none;
                     ranking them takes a few minutes). Default settings: within 0.5 mAP50-95 of fp32
                     on coco128 at 320 and 640
  -o, --output FILE  output path (default: <weights name>[-fp16|-int8][-nms].onnx in the current folder)
`;

/** One progress bar per int8 stage (calibration pass, range search, sensitivity ranking). */
function int8Progress(): (stage: string, done: number, total: number) => void {
  const bars = new Map<string, Progress>();
  const unit = (stage: string): string => (stage === 'sensitivity' ? 'run' : 'img');
  return (stage, done, total) => {
    let bar = bars.get(stage);
    if (!bar) bars.set(stage, (bar = new Progress(`int8 ${stage}`, total, unit(stage))));
    bar.tick();
    if (done === total) bar.done();
  };
}

/**
 * The first `n` calibration images of a folder (searched recursively, sorted) that decode: each file
 * that does not is reported through `failed` and skipped, so one bad image never aborts an export.
 */
/** The library's export options from the flags (all checked before any work). */
function exportOptions(v: Record<string, string | boolean | undefined>, imgsz: number): ExportModelOptions {
  const o: ExportModelOptions = { imgsz, dynamic: v.dynamic === true, heads: v.heads === true, half: v.half === true };
  if (v.opset !== undefined) o.opset = int('opset', v.opset, 17, 13, 17);
  if (v.batch !== undefined) {
    if (v.dynamic) throw new LeyoloError('BAD_ARGUMENT', '--batch cannot be combined with --dynamic', 'drop one of them');
    o.batch = int('batch', v.batch, 1, 1, 1024);
  }
  if (v.nms) o.nms = { conf: num('conf', v.conf, 0.25, 0, 1), iou: num('iou', v.iou, 0.7, 0, 1), maxDet: int('max-det', v['max-det'], 300), agnostic: v.agnostic === true };
  else if (v.conf !== undefined || v.iou !== undefined || v['max-det'] !== undefined || v.agnostic) {
    throw new LeyoloError('BAD_ARGUMENT', '--conf/--iou/--max-det/--agnostic only apply with --nms', 'add --nms, or drop them (predict applies them at run time)');
  }
  const calib = str(v.calib);
  if (v.int8 && !calib) throw new LeyoloError('BAD_ARGUMENT', '--int8 needs calibration images', 'pass --calib DIR (a few dozen representative images)');
  if (calib && !v.int8) throw new LeyoloError('BAD_ARGUMENT', '--calib only applies with --int8', 'add --int8');
  if (v.int8 && calib) {
    o.int8 = {
      calib, calibN: int('calib-n', v['calib-n'], 64, 1, 100_000), method: choice('calib-method', v['calib-method'], ['mse', 'hybrid', 'percentile', 'minmax'] as const, 'mse'),
      keep: int('int8-keep', v['int8-keep'], DEFAULT_INT8_KEEP, 0, 1000),
    };
  }
  return o;
}

/** export's options (every one is described in {@link HELP}). */
export const OPTIONS = {
  ...MODEL_OPTIONS, format: { type: 'string' }, opset: { type: 'string' }, dynamic: { type: 'boolean' }, batch: { type: 'string' }, heads: { type: 'boolean' },
  nms: { type: 'boolean' }, conf: { type: 'string' }, iou: { type: 'string' }, 'max-det': { type: 'string' }, agnostic: { type: 'boolean' },
  half: { type: 'boolean' }, int8: { type: 'boolean' }, calib: { type: 'string' }, 'calib-n': { type: 'string' }, 'calib-method': { type: 'string' }, 'int8-keep': { type: 'string' },
  output: { type: 'string', short: 'o' },
} satisfies Options;

/** `leyolo export`: write one ONNX file (fp32, fp16 or int8; optional in-graph NMS). */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('export', argv, OPTIONS, 0);
  if (v.help) return void process.stdout.write(HELP);
  choice('format', v.format, ['onnx'] as const, 'onnx');
  const mo = modelOptions(v);
  const opts = { ...exportOptions(v, mo.imgsz), scale: v.model === undefined ? undefined : mo.model, threads: mo.threads };
  const weights = await resolveWeights({ weights: mo.weights, scale: mo.model });
  const output = str(v.output) ?? `${basename(weights).replace(/\.(pt|safetensors)$/i, '')}${opts.half ? '-fp16' : opts.int8 ? '-int8' : ''}${opts.nms ? '-nms' : ''}.onnx`;
  const ck = await loadCheckpointFile(weights);
  const t0 = performance.now();
  const res = await exportModel(ck, { ...opts, output }, {
    onProgress: opts.int8 ? int8Progress() : undefined,
    onProblem: (f) => process.stderr.write(`error[${f.code}]: ${f.message} (skipped)\n`),
  });
  if (opts.int8) process.stderr.write('\n');
  const kind = opts.half ? 'fp16' : opts.int8 ? 'int8 (QDQ)' : 'fp32';
  process.stderr.write(`exported ${kind}${opts.nms ? ' + NMS' : ''} ${opts.dynamic ? 'dynamic' : `${mo.imgsz}x${mo.imgsz}`} to ${output} (${(res.bytes.length / 1e6).toFixed(2)} MB, ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  if (res.failures.length > 0) {
    throw new LeyoloError('SOME_INPUTS_FAILED', `${res.failures.length} calibration image(s) failed (listed above) and were skipped; the model was exported`, 'fix or remove the images listed above');
  }
}
