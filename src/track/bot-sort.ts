/**
 * BOTSORT of Ultralytics 8.1.4 (`trackers/bot_sort.py`) without ReID: ByteTrack's association with
 * the XYWH Kalman filter (`BOTrack`: width and height velocities both zeroed for non-Tracked tracks)
 * and global motion compensation of the predicted tracks. Browser-safe.
 *
 * ReID is off: 8.1.4 has no encoder (`with_reid: True` leaves `encoder = None`, so the appearance
 * distance and the proximity mask never take part); the costs are exactly ByteTrack's fused IoU.
 */
import { LeyoloError } from '../errors.js';
import { ByteTracker } from './byte-tracker.js';
import type { TrackerConfig } from './config.js';
import type { Gmc, GmcFrame } from './gmc.js';
import { NoGmc } from './gmc.js';
import { motionModel, multiGmc } from './strack.js';
import type { STrack } from './strack.js';

/**
 * BoT-SORT. `gmc` estimates the camera motion each update ({@link NoGmc} for `gmc_method: none`, a
 * sparse optical flow for `sparseOptFlow`); its warp moves the tracked, lost and unconfirmed tracks
 * after the Kalman predict, before association.
 *
 * @example
 * const bs = new BotSort({ ...BOTSORT_DEFAULTS, gmc_method: 'none' }, new NoGmc());
 * const rows = bs.update(new Float32Array([10, 20, 50, 90, 0.9, 0]));
 */
export class BotSort extends ByteTracker {
  readonly gmc: Gmc;

  constructor(cfg: TrackerConfig, gmc: Gmc = new NoGmc()) {
    super(cfg, motionModel('xywh'));
    this.gmc = gmc;
  }

  /** Forget every track and the GMC's previous frame. */
  override reset(): void {
    super.reset();
    this.gmc.reset?.();
  }

  /** GMC is called with the high-score detections; the same warp moves pool and unconfirmed tracks. */
  protected override compensate(pool: STrack[], unconfirmed: STrack[], frame: GmcFrame | null, high: Float32Array): void {
    const warp = this.gmc.apply(frame, high);
    if (warp.length !== 6 || !warp.every(Number.isFinite)) {
      throw new LeyoloError('INTERNAL', `GMC returned ${warp.length === 6 ? 'a non-finite' : `${warp.length} numbers for a`} 2x3 warp`, 'a Gmc must return six finite numbers [a, b, tx, c, d, ty]');
    }
    multiGmc(pool, warp);
    multiGmc(unconfirmed, warp);
  }
}
