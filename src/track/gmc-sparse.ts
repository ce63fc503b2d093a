/**
 * BoT-SORT's `gmc_method: sparseOptFlow` without OpenCV: the Ultralytics 8.1.4 GMC
 * (`trackers/utils/gmc.py`, `applySparseOptFlow`) rebuilt on this folder's OpenCV 4.6 re-implementations.
 * Browser-safe: no Node imports.
 *
 * Per call, like the official code:
 * 1. grey = cvtColor(BGR2GRAY) (here from RGB), resized to (w // downscale, h // downscale) INTER_LINEAR;
 * 2. corners = goodFeaturesToTrack(grey, maxCorners 1000, qualityLevel 0.01, minDistance 1, blockSize 3);
 * 3. first frame: remember grey and corners, return the identity;
 * 4. later frames: track the previous frame's corners with calcOpticalFlowPyrLK, keep status 1 pairs,
 *    and if more than 4 remain fit estimateAffinePartial2D(prev, cur, RANSAC) and multiply its
 *    translation by `downscale` (the official `np.size(prevPoints, 0) == np.size(prevPoints, 0)` test
 *    is always true); otherwise the identity;
 * 5. remember this frame's grey and corners.
 * The detections are ignored (the official sparseOptFlow ignores them too).
 *
 * Where the official code would crash, this returns the identity instead: no corners in the previous
 * frame, a RANSAC that finds no model, or a frame whose size changed (this one then starts afresh).
 * A `null` frame returns the identity and leaves the state untouched.
 *
 * Measured on vtest.avi frames 0-299 (bench/gmc.ts): every warp within 5e-8 of the recorded official
 * ones (their 7-decimal rounding; within 4e-15 / 2e-12 px of an unrounded cv2 4.6.0 run), and
 * BoT-SORT keeps every official id. Cost: ~100-140 ms a 768x576 frame in Node on a 2-core test box,
 * ~70% of it the LK tracking (scalar integer/float32 arithmetic, no SIMD).
 */
import { LeyoloError } from '../errors.js';
import type { Gmc, GmcFrame } from './gmc.js';
import { IDENTITY_WARP } from './gmc.js';
import { GMC_CORNERS, downscaleGrey, goodFeatures, rgbToGrey } from './features.js';
import type { CornerOptions } from './features.js';
import { LK_DEFAULTS, calcOpticalFlowPyrLK } from './optflow.js';
import type { LkOptions } from './optflow.js';
import { buildPyramid } from './pyramid.js';
import type { PyrLevel } from './pyramid.js';
import { RANSAC_DEFAULTS, estimateSimilarityRansac } from './ransac.js';
import type { RansacOptions } from './ransac.js';

/**
 * Settings of {@link SparseOptFlowGmc}; every default is the official GMC's.
 *
 * @example
 * new SparseOptFlowGmc({ downscale: 2, corners: { maxCorners: 1000 } });
 */
export interface SparseOptFlowOptions {
  /** Integer downscale of the grey frame before feature work (official: 2). */
  downscale?: number;
  corners?: Partial<CornerOptions>;
  lk?: Partial<LkOptions>;
  ransac?: Partial<RansacOptions>;
}

/** What the previous call left for the next one. */
interface PrevFrame {
  width: number;
  height: number;
  pyramid: PyrLevel[];
  corners: Float32Array;
}

/**
 * Global motion compensation by sparse optical flow, `gmc_method: sparseOptFlow`: one call per tracker
 * update, returning the 2x3 warp `[a, b, tx, c, d, ty]` from the previous frame's full-resolution
 * pixels to this frame's.
 *
 * @example
 * const gmc = new SparseOptFlowGmc();
 * const tracker = createTracker({ tracker_type: 'botsort', gmc_method: 'sparseOptFlow' }, { gmc });
 * for (const frame of frames) tracker.update(detections, frame); // frame: RgbImage
 */
export class SparseOptFlowGmc implements Gmc {
  private readonly downscale: number;
  private readonly corners: Readonly<CornerOptions>;
  private readonly lk: Readonly<LkOptions>;
  private readonly ransac: Readonly<RansacOptions>;
  private prev: PrevFrame | null = null;

  constructor(opts: SparseOptFlowOptions = {}) {
    const ds = opts.downscale ?? 2;
    if (!Number.isFinite(ds)) {
      throw new LeyoloError('BAD_ARGUMENT', `GMC downscale ${ds} is not a number`, 'use an integer >= 1 (the official default is 2)');
    }
    // The official code: self.downscale = max(1, int(downscale)).
    this.downscale = Math.max(1, Math.trunc(ds));
    this.corners = { ...GMC_CORNERS, ...opts.corners };
    this.lk = { ...LK_DEFAULTS, ...opts.lk };
    this.ransac = { ...RANSAC_DEFAULTS, ...opts.ransac };
  }

  /** The warp for this frame (`dets` is accepted for the {@link Gmc} interface and ignored). */
  apply(frame: GmcFrame | null, _dets?: Float32Array): number[] {
    if (!frame) return [...IDENTITY_WARP];
    const grey = downscaleGrey(rgbToGrey(frame), this.downscale);
    const corners = goodFeatures(grey, this.corners);
    const pyramid = buildPyramid(grey, this.lk.win, this.lk.maxLevel);
    const prev = this.prev;
    this.prev = { width: grey.width, height: grey.height, pyramid, corners };
    if (!prev || prev.width !== grey.width || prev.height !== grey.height || prev.corners.length === 0) return [...IDENTITY_WARP];
    return this.estimate(prev, pyramid);
  }

  /** Forgets the previous frame: the next call is a first frame again. */
  reset(): void {
    this.prev = null;
  }

  private estimate(prev: PrevFrame, pyramid: PyrLevel[]): number[] {
    const flow = calcOpticalFlowPyrLK(prev.pyramid, pyramid, prev.corners, this.lk);
    const n = flow.status.reduce((s, v) => s + v, 0);
    if (n <= 4) return [...IDENTITY_WARP];
    const src = new Float32Array(2 * n);
    const dst = new Float32Array(2 * n);
    for (let i = 0, k = 0; i < flow.status.length; i++) {
      if (!flow.status[i]) continue;
      src[k] = prev.corners[2 * i];
      src[k + 1] = prev.corners[2 * i + 1];
      dst[k] = flow.next[2 * i];
      dst[k + 1] = flow.next[2 * i + 1];
      k += 2;
    }
    const fit = estimateSimilarityRansac(src, dst, this.ransac);
    if (!fit) return [...IDENTITY_WARP];
    const h = fit.model;
    h[2] *= this.downscale;
    h[5] *= this.downscale;
    return h;
  }
}
