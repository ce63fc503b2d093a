/**
 * Global motion compensation (GMC) for BoT-SORT: the interface the tracker calls once per update, and
 * the two trivial implementations (identity, recorded warps). The real OpenCV-free sparse optical flow
 * lives in `gmc-sparse.ts`. Browser-safe: no Node imports.
 *
 * Ultralytics 8.1.4 (`trackers/utils/gmc.py`) returns a 2x3 affine warp mapping the PREVIOUS frame's
 * pixel coordinates to the current frame's (full-resolution pixels: the translation is already scaled
 * back up from the downscaled grey frame). BOTSORT applies it to the tracked+lost tracks and the
 * unconfirmed tracks right after the Kalman predict.
 */
import { LeyoloError } from '../errors.js';
import type { RgbImage } from '../image/types.js';

/**
 * The frame a GMC looks at: the decoded video frame, 8-bit RGB HWC (see {@link RgbImage}). The
 * official code receives OpenCV's BGR frame; an implementation that converts to grey must use the
 * RGB channel order of this type. `null` when the caller has no pixels (the tracker still calls GMC).
 */
export type GmcFrame = RgbImage;

/**
 * A global motion estimator: one call per tracker update, in frame order.
 *
 * `dets` are the high-score detections of this update (score > track_high_thresh) as float32 xyxy
 * rows (`[n * 4]`, original-frame pixels), exactly what the official code passes; sparseOptFlow
 * ignores them. The result is the row-major 2x3 warp `[a, b, tx, c, d, ty]` taking previous-frame
 * coordinates to this frame's: `x' = a*x + b*y + tx`, `y' = c*x + d*y + ty`.
 *
 * @example
 * const shift: Gmc = { apply: () => [1, 0, 5, 0, 1, 0] }; // everything moved 5 px right
 * const tracker = new BotSort(cfg, shift);
 */
export interface Gmc {
  apply(frame: GmcFrame | null, dets: Float32Array): number[];
  /** Forget the previous frame (tracker reset, new video). */
  reset?(): void;
}

/** The identity warp `np.eye(2, 3)`. */
export const IDENTITY_WARP: readonly number[] = Object.freeze([1, 0, 0, 0, 1, 0]);

/**
 * `gmc_method: none`: always the identity (what the official GMC returns with method None).
 *
 * @example
 * new NoGmc().apply(null, new Float32Array()); // [1, 0, 0, 0, 1, 0]
 */
export class NoGmc implements Gmc {
  apply(): number[] {
    return [...IDENTITY_WARP];
  }
}

/**
 * Replays warps recorded from another run (e.g. the official tracker's `gmc` fixture), one per call,
 * in order. Running out is INTERNAL: the caller fed more updates than it recorded.
 *
 * @example
 * const gmc = new RecordedGmc([[1, 0, 0.5, 0, 1, -0.25]]);
 * gmc.apply(null, new Float32Array()); // [1, 0, 0.5, 0, 1, -0.25]
 */
export class RecordedGmc implements Gmc {
  private next = 0;
  private readonly warps: number[][];

  /** `warps`: one per tracker update, each row-major 2x3 (6 numbers) or nested `[[a, b, tx], [c, d, ty]]`. */
  constructor(warps: readonly (readonly number[] | readonly (readonly number[])[])[]) {
    this.warps = warps.map((w, i) => {
      const flat = (w as readonly (number | readonly number[])[]).flat() as number[];
      if (flat.length !== 6 || !flat.every(Number.isFinite)) {
        throw new LeyoloError('BAD_ARGUMENT', `recorded GMC warp ${i} is not a finite 2x3 matrix`, 'pass six numbers [a, b, tx, c, d, ty] per update');
      }
      return flat;
    });
  }

  apply(): number[] {
    const w = this.warps[this.next++];
    if (!w) throw new LeyoloError('INTERNAL', `RecordedGmc: no warp recorded for update ${this.next}`, 'record one warp per tracker update');
    return [...w];
  }

  reset(): void {
    this.next = 0;
  }
}
