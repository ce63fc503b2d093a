/**
 * Post-processing of LeYOLO outputs: decode -> candidates -> NMS -> original-image boxes.
 * Browser-safe (no Node imports).
 */
import type { Tensor } from '../tensor.js';
import type { Detection } from './candidates.js';
import { candidatesFromDecoded, candidatesFromHeads } from './decode.js';
import { nms, type NmsOptions } from './nms.js';

export type { Candidates, Detection } from './candidates.js';
export { CandidateBuilder } from './candidates.js';
export { REG_MAX, sigmoid32, decodeHeads, candidatesFromHeads, candidatesFromDecoded, type CandidateOptions } from './decode.js';
export { nms, sortByScoreDesc, type NmsOptions } from './nms.js';
export { scaleBoxes, letterboxRatioPad, type Size, type RatioPad } from './scale.js';
export { pyRound } from '../image/letterbox.js';

/** Thresholds for one-call post-processing (Ultralytics names; predict: conf 0.25, iou 0.7). */
export interface PostprocessOptions extends NmsOptions {
  conf: number;
  /** true for validation (every class > conf per anchor), false for prediction. */
  multiLabel?: boolean;
}

/**
 * Raw head outputs -> detections (xyxy in input-tensor pixels; map with scaleBoxes).
 *
 * @example
 * const dets = detectFromHeads([p3, p4, p5], [8, 16, 32], 80, { conf: 0.25, iou: 0.7 });
 */
export function detectFromHeads(
  heads: readonly Tensor[],
  strides: readonly number[],
  nc: number,
  opts: PostprocessOptions,
  batchIndex = 0,
): Detection[] {
  const cand = candidatesFromHeads(heads, strides, nc, { conf: opts.conf, multiLabel: opts.multiLabel, batchIndex });
  return nms(cand, opts);
}

/**
 * Decoded output [B, 4 + nc, N] (official ONNX layout) -> detections in input-tensor pixels.
 *
 * @example
 * const dets = detectFromDecoded(out.data, 80, 8400, { conf: 0.001, iou: 0.7, multiLabel: true });
 */
export function detectFromDecoded(
  decoded: Float32Array,
  nc: number,
  N: number,
  opts: PostprocessOptions,
  batchIndex = 0,
): Detection[] {
  return nms(candidatesFromDecoded(decoded, nc, N, opts.conf, opts.multiLabel ?? false, batchIndex), opts);
}
