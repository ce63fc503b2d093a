/**
 * The whole inference flow in one place (platform-neutral):
 * image -> letterbox -> tensor -> forward -> decode -> NMS -> undo letterbox.
 * Each stage lives in its own module; this file only wires them together.
 */
import type { Engine } from './engine.js';
import type { RgbImage, LetterboxInfo } from './image/types.js';
import { letterbox, toTensor, type LetterboxMode } from './image/letterbox.js';
import { candidatesFromDecoded, candidatesFromHeads, nms, scaleBoxes, type Detection } from './postprocess/index.js';
import type { Candidates } from './postprocess/index.js';

/** Thresholds and filters of one detection call (Ultralytics names and defaults in `resolveDetectOptions`). */
export interface PipelineOptions {
  conf: number;
  iou: number;
  maxDet: number;
  classes?: readonly number[];
  agnostic: boolean;
  multiLabel: boolean;
}

/** What the pipeline needs to know about the network. */
export interface PipelineModel {
  engine: Engine;
  nc: number;
  strides: readonly number[];
  /** Largest stride: letterbox rectangles are multiples of it. */
  stride: number;
}

/** Per-stage wall time of one call in ms (Ultralytics reports the same three). */
export interface StageTimes {
  preprocess: number;
  inference: number;
  postprocess: number;
}

/**
 * Run detection on a batch of decoded images. Returns, per image, detections in ORIGINAL image pixels
 * (xyxy), sorted by score as NMS keeps them.
 *
 * Letterbox: predict mode pads each image to the smallest stride-multiple rectangle when all images
 * share one shape (Ultralytics `auto=True`), else to a `imgsz` square; `mode` overrides it (val uses
 * squares and its own rounding).
 *
 * @example
 * const [dets] = await runPipeline(model, [img], 640, { conf: 0.25, iou: 0.7, maxDet: 300, agnostic: false, multiLabel: false });
 */
export async function runPipeline(
  model: PipelineModel,
  images: readonly RgbImage[],
  imgsz: number | [number, number],
  opts: PipelineOptions,
  mode?: LetterboxMode,
  times?: StageTimes,
): Promise<Detection[][]> {
  const t0 = performance.now();
  // 1-2. letterbox every image to one common network shape, then pack NCHW [B, 3, H, W] / 255.
  const sameShape = images.every((im) => im.width === images[0].width && im.height === images[0].height);
  const lbMode: LetterboxMode = mode ?? (sameShape ? 'predict' : 'square');
  const boxed = images.map((im) => letterbox(im, { size: imgsz, mode: lbMode, stride: model.stride }));
  const { width: W, height: H } = boxed[0].image;
  const plane = 3 * W * H;
  const input = new Float32Array(images.length * plane);
  boxed.forEach((b, i) => toTensor(b.image, input.subarray(i * plane, (i + 1) * plane)));
  if (times) times.preprocess += performance.now() - t0;
  return runTensor(model, input, [images.length, 3, H, W], boxed.map((b) => b.info), opts, times);
}

/**
 * Stages 3-6 on an already letterboxed input [B, 3, H, W] (`infos[i]`: image i's letterbox): forward,
 * candidates above conf, class-offset NMS, boxes back to original pixels. For callers that build the
 * tensor themselves (the browser's fused canvas -> tensor path).
 *
 * @example
 * const [dets] = await runTensor(model, tensor, [1, 3, 256, 320], [info], opts);
 */
export async function runTensor(
  model: PipelineModel,
  input: Float32Array,
  shape: [number, number, number, number],
  infos: readonly LetterboxInfo[],
  opts: PipelineOptions,
  times?: StageTimes,
): Promise<Detection[][]> {
  const [, , H, W] = shape;
  // 3. forward: in-graph decoded [B, 4+nc, N] (fast path) or raw heads [B, 64+nc, H/s, W/s] per level.
  const t0 = performance.now();
  const out = await model.engine.run(input, shape);
  const t1 = performance.now();
  if (times) times.inference += t1 - t0;

  // 4-6. candidates above conf -> class-offset NMS -> boxes back to original pixels.
  const results = infos.map((info, i) => {
    const cand = candidates(model, out, opts, i);
    const dets = nms(cand, opts);
    return scaleBoxes(dets, { w: W, h: H }, { w: info.srcW, h: info.srcH }, ratioPadOf(info));
  });
  if (times) times.postprocess += performance.now() - t1;
  return results;
}

function candidates(model: PipelineModel, out: Awaited<ReturnType<Engine['run']>>, opts: PipelineOptions, i: number): Candidates {
  if (out.decoded) {
    const N = out.decoded.shape[2];
    return candidatesFromDecoded(out.decoded.data, model.nc, N, opts.conf, opts.multiLabel, i);
  }
  if (!out.heads) throw new Error('engine returned neither decoded nor head outputs');
  return candidatesFromHeads(out.heads, model.strides, model.nc, { conf: opts.conf, multiLabel: opts.multiLabel, batchIndex: i });
}

function ratioPadOf(info: LetterboxInfo): { gain: number; padX: number; padY: number } {
  return { gain: info.ratio, padX: info.padX, padY: info.padY };
}
