/**
 * Mapping of boxes from the letterboxed input tensor back to the original image, like Ultralytics
 * `ops.scale_boxes` (+ `clip_boxes`): subtract the padding, divide by the gain, clip to the image.
 */
import { LeyoloError } from '../errors.js';
import type { Detection } from './candidates.js';
import { pyRound } from '../image/letterbox.js';

const f32 = Math.fround;

/** Image or tensor size in pixels. */
export interface Size {
  w: number;
  h: number;
}

/** Explicit letterbox geometry: resize gain (new / old) and left/top padding in tensor pixels. */
export interface RatioPad {
  gain: number;
  padX: number;
  padY: number;
}

/**
 * The gain and padding Ultralytics infers when no ratio_pad is given:
 * gain = min(h1 / h0, w1 / w0), pad = round((w1 - w0 * gain) / 2 - 0.1), same for y.
 *
 * @example
 * letterboxRatioPad({ w: 640, h: 384 }, { w: 1280, h: 720 }); // { gain: 0.5, padX: 0, padY: 12 }
 */
export function letterboxRatioPad(from: Size, to: Size): RatioPad {
  for (const [name, s] of [['from', from], ['to', to]] as const) {
    if (!(s.w > 0 && s.h > 0)) throw new LeyoloError('BAD_ARGUMENT', `${name} size must be positive, got ${s.w}x${s.h}`, 'pass {w, h} in pixels');
  }
  const gain = Math.min(from.h / to.h, from.w / to.w);
  return { gain, padX: pyRound((from.w - to.w * gain) / 2 - 0.1), padY: pyRound((from.h - to.h * gain) / 2 - 0.1) };
}

/**
 * Boxes from letterboxed-tensor pixels (`from`, the tensor's w x h) to original-image pixels (`to`),
 * clipped to [0, w] x [0, h]. Returns new detections; the input is not modified. Float32 steps
 * (torch: box - pad, then / float32(gain)) are emulated, so results match the official to ~1 ulp.
 *
 * @example
 * const out = scaleBoxes(dets, { w: 480, h: 640 }, { w: 810, h: 1080 });
 */
export function scaleBoxes(dets: readonly Detection[], from: Size, to: Size, ratioPad?: RatioPad): Detection[] {
  const rp = ratioPad ?? letterboxRatioPad(from, to);
  const g = f32(rp.gain);
  const sx = (v: number) => Math.min(Math.max(f32(f32(v - rp.padX) / g), 0), to.w);
  const sy = (v: number) => Math.min(Math.max(f32(f32(v - rp.padY) / g), 0), to.h);
  return dets.map((d) => ({
    box: [sx(d.box[0]), sy(d.box[1]), sx(d.box[2]), sy(d.box[3])],
    score: d.score,
    classId: d.classId,
  }));
}
