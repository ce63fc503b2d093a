/**
 * Multi-object tracking: ByteTrack and BoT-SORT as in Ultralytics 8.1.4 (`model.track()`), one frame
 * of detections at a time. Browser-safe: no Node imports (tracker yaml files are read by
 * `src/node/tracker-yaml.ts`).
 *
 * Official track-mode rules kept by {@link Tracker.update}:
 * - a frame with no detections skips the tracker entirely (`on_predict_postprocess_end` continues):
 *   no Kalman predict, no aging of lost tracks, no GMC, the tracker's frame counter does not advance;
 * - the tracker is built with frame_rate 30 whatever the video's fps, so a lost track is dropped
 *   after `track_buffer` tracker updates, not seconds;
 * - matching is class-agnostic; a track takes the class and score of its latest detection.
 * What the official API then shows ({@link rowsToTracked}): the rows' boxes clipped to the frame,
 * in tracker order, each tied to its detection by the row's det index. When the tracker returns no
 * rows (no activated track yet) the official Results keep the frame's detections WITHOUT ids.
 */
import type { Detection } from '../postprocess/candidates.js';
import { guardSync } from '../errors.js';
import { BotSort } from './bot-sort.js';
import { ByteTracker, TRACK_COLS } from './byte-tracker.js';
import { resolveTrackerConfig } from './config.js';
import type { TrackerConfig, TrackerConfigInput } from './config.js';
import { NoGmc } from './gmc.js';
import { SparseOptFlowGmc } from './gmc-sparse.js';
import type { Gmc, GmcFrame } from './gmc.js';

export { BotSort } from './bot-sort.js';
export { ByteTracker, TRACK_COLS } from './byte-tracker.js';
export { BOTSORT_DEFAULTS, BYTETRACK_DEFAULTS, TrackerConfigSchema, parseTrackerYaml, resolveTrackerConfig } from './config.js';
export type { TrackerConfig, TrackerConfigInput } from './config.js';
export { IDENTITY_WARP, NoGmc, RecordedGmc } from './gmc.js';
export { SparseOptFlowGmc, type SparseOptFlowOptions } from './gmc-sparse.js';
export type { Gmc, GmcFrame } from './gmc.js';
export { KalmanFilter, KalmanFilterXYAH, KalmanFilterXYWH } from './kalman.js';
export { lapjv } from './lapjv.js';
export { fuseScore, iouDistance, linearAssignment } from './matching.js';

/** One tracked object as the API reports it: the box clipped to the frame (xyxy, pixels). */
export interface TrackedDetection {
  box: [number, number, number, number];
  /** Track id, from 1, stable while the object is tracked. */
  id: number;
  score: number;
  classId: number;
  label: string;
  /** Index of the detection (in the frame's input list) this track was matched to. */
  detIndex: number;
}

/** Detections of one frame: `Detection`s, or float32 rows [n * 6] of x1, y1, x2, y2, score, class. */
export type TrackInput = readonly Detection[] | Float32Array;

/** Options of {@link createTracker}. */
export interface CreateTrackerOptions {
  /** BoT-SORT motion compensation (default: from `gmc_method`, SparseOptFlowGmc or none), e.g. RecordedGmc. */
  gmc?: Gmc;
}

/**
 * A tracker fed one frame at a time. `update` returns the tracker's own rows: float32 [n * 8] of
 * x1, y1, x2, y2 (the Kalman box, unclipped), id, score, class, det index.
 *
 * @example
 * const tracker = createTracker({ tracker_type: 'bytetrack' });
 * for (const { dets, frame } of video) {
 *   const rows = tracker.update(dets, frame);
 *   const objects = rowsToTracked(rows, frame.width, frame.height, names);
 * }
 */
export class Tracker {
  readonly config: TrackerConfig;
  readonly core: ByteTracker;

  constructor(config: TrackerConfig, core: ByteTracker) {
    this.config = config;
    this.core = core;
  }

  /** Tracker updates so far (frames that had detections). */
  get updates(): number {
    return this.core.frameId;
  }

  /**
   * Track one frame. With no detections the tracker is not called (the official rule, see the
   * module notes) and the result is empty. `frame` feeds BoT-SORT's GMC (RGB pixels).
   */
  update(dets: TrackInput, frame: GmcFrame | null = null): Float32Array {
    return guardSync('track', () => {
      const rows = dets instanceof Float32Array ? dets : detectionsToRows(dets);
      if (rows.length === 0) return new Float32Array(0);
      return this.core.update(rows, frame);
    });
  }

  /** Forget all tracks (a new video): ids restart at 1. */
  reset(): void {
    this.core.reset();
  }
}

/**
 * A tracker from settings (any subset of the yaml keys; `tracker_type` picks the defaults, BoT-SORT
 * when absent). Unknown keys or bad values are BAD_ARGUMENT.
 *
 * @example
 * const bt = createTracker({ tracker_type: 'bytetrack' });
 * const bs = createTracker({ tracker_type: 'botsort', gmc_method: 'none' });
 */
export function createTracker(cfg: TrackerConfigInput | TrackerConfig = {}, opts: CreateTrackerOptions = {}): Tracker {
  const config = resolveTrackerConfig(cfg);
  if (config.tracker_type === 'bytetrack') return new Tracker(config, new ByteTracker(config));
  // sparseOptFlow: OpenCV 4.6's GMC reimplemented exactly (gmc-sparse.ts); it needs the frames.
  const gmc = opts.gmc ?? (config.gmc_method === 'none' ? new NoGmc() : new SparseOptFlowGmc());
  return new Tracker(config, new BotSort(config, gmc));
}

/** `Detection`s as the tracker's float32 rows (the official boxes and scores are float32). */
export function detectionsToRows(dets: readonly Detection[]): Float32Array {
  const out = new Float32Array(dets.length * 6);
  dets.forEach((d, i) => out.set([...d.box, d.score, d.classId], 6 * i));
  return out;
}

/**
 * Tracker rows as API objects: boxes clipped to `[0, width] x [0, height]` (Ultralytics
 * `clip_boxes` on `Results.update`), in tracker order. `names[classId]` is the label (else the id).
 *
 * @example
 * rowsToTracked(new Float32Array([-3, 5, 50, 90, 1, 0.9, 0, 0]), 640, 480, ['person']);
 * // [{ box: [0, 5, 50, 90], id: 1, score: 0.9, classId: 0, label: 'person', detIndex: 0 }]
 */
export function rowsToTracked(rows: Float32Array, width: number, height: number, names: readonly string[] = []): TrackedDetection[] {
  const out: TrackedDetection[] = [];
  const clip = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  for (let k = 0; k + TRACK_COLS <= rows.length; k += TRACK_COLS) {
    const classId = rows[k + 6];
    out.push({
      box: [clip(rows[k], width), clip(rows[k + 1], height), clip(rows[k + 2], width), clip(rows[k + 3], height)],
      id: rows[k + 4],
      score: rows[k + 5],
      classId,
      label: names[classId] ?? String(classId),
      detIndex: rows[k + 7],
    });
  }
  return out;
}
