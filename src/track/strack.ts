/**
 * One tracklet (Ultralytics 8.1.4 `STrack` / `BOTrack`, trackers/byte_tracker.py, bot_sort.py), plus
 * the batched predict and GMC of a list of them. Browser-safe.
 *
 * Numerics follow the official dtypes, because costs feed an exact assignment whose ties must fall
 * the same way:
 * - the detection box is kept as float32 tlwh (w = x2 - x1 in float64, then rounded to float32);
 * - the measurement (xyah / xywh) is computed from it in float32, so a new track's Kalman mean is
 *   float32 numbers until its first predict / update / GMC (numpy keeps the float32 array until a
 *   float64 operand arrives); boxes read from such a mean use float32 arithmetic too;
 * - everything Kalman is float64 afterwards.
 */
import { LeyoloError } from '../errors.js';
import { KalmanFilter } from './kalman.js';
import type { Gaussian, KalmanKind } from './kalman.js';

const f32 = Math.fround;

/** Track life cycle (`TrackState`): New -> Tracked -> Lost -> Removed (Lost may return to Tracked). */
export const TrackState = { New: 0, Tracked: 1, Lost: 2, Removed: 3 } as const;
export type TrackStateValue = (typeof TrackState)[keyof typeof TrackState];

/**
 * The motion model of a tracker: its Kalman filter and the box <-> measurement conversions.
 * 'xyah' (ByteTrack `STrack`) or 'xywh' (BoT-SORT `BOTrack`).
 *
 * @example
 * const m = motionModel('xywh');
 * m.measure(new Float32Array([10, 20, 30, 40])); // [25, 40, 30, 40]
 */
export interface Motion {
  kf: KalmanFilter;
  /** Measurement [4] of a float32 tlwh box, in float32 arithmetic. */
  measure(tlwh: Float32Array): number[];
  /** tlwh [4] of a state mean; float32 arithmetic when the mean is still float32. */
  meanToTlwh(mean: Float64Array, float32: boolean): number[];
  /** Velocity entries zeroed before predicting a track that is not Tracked. */
  zeroVel: readonly number[];
}

/** The motion model of `kind` (see {@link Motion}). @example const m = motionModel('xyah'); */
export function motionModel(kind: KalmanKind): Motion {
  const kf = new KalmanFilter(kind);
  if (kind === 'xyah') {
    return {
      kf,
      measure: (t) => [f32(t[0] + f32(t[2] / 2)), f32(t[1] + f32(t[3] / 2)), f32(t[2] / t[3]), t[3]],
      meanToTlwh: (m, s) => {
        const w = s ? f32(m[2] * m[3]) : m[2] * m[3];
        return s ? [f32(m[0] - f32(w / 2)), f32(m[1] - f32(m[3] / 2)), w, m[3]] : [m[0] - w / 2, m[1] - m[3] / 2, w, m[3]];
      },
      zeroVel: [7],
    };
  }
  return {
    kf,
    measure: (t) => [f32(t[0] + f32(t[2] / 2)), f32(t[1] + f32(t[3] / 2)), t[2], t[3]],
    meanToTlwh: (m, s) => (s ? [f32(m[0] - f32(m[2] / 2)), f32(m[1] - f32(m[3] / 2)), m[2], m[3]] : [m[0] - m[2] / 2, m[1] - m[3] / 2, m[2], m[3]]),
    zeroVel: [6, 7],
  };
}

/**
 * A detection turned tracklet. Built from one detection (float32 xyxy, score, class, index in the
 * frame's detection list); `activate` starts its Kalman state and gives it an id.
 *
 * @example
 * const t = new STrack(motionModel('xyah'), [10, 20, 40, 80], 0.9, 0, 0);
 * t.activate(1, () => 1); // id 1, activated at once on tracker frame 1
 */
export class STrack {
  /** Detection box, float32 tlwh [4]. */
  readonly det: Float32Array;
  gauss: Gaussian | null = null;
  /** True while the mean still holds the float32 numbers `initiate` was given. */
  meanF32 = false;
  trackId = 0;
  isActivated = false;
  state: TrackStateValue = TrackState.New;
  frameId = 0;
  startFrame = 0;
  trackletLen = 0;

  constructor(readonly motion: Motion, xyxy: ArrayLike<number>, public score: number, public cls: number, public idx: number) {
    // official: tlbr_to_tlwh on the float64 row (boxes concatenated with the index column), then float32
    this.det = new Float32Array([xyxy[0], xyxy[1], xyxy[2] - xyxy[0], xyxy[3] - xyxy[1]]);
  }

  /** Current box, tlwh: the Kalman mean once there is one, else the detection. */
  tlwh(): number[] {
    return this.gauss ? this.motion.meanToTlwh(this.gauss.mean, this.meanF32) : Array.from(this.det);
  }

  /** Current box, xyxy (float32 arithmetic when the box is float32). */
  tlbr(): number[] {
    const t = this.tlwh();
    const s = !this.gauss || this.meanF32;
    return s ? [t[0], t[1], f32(t[2] + t[0]), f32(t[3] + t[1])] : [t[0], t[1], t[2] + t[0], t[3] + t[1]];
  }

  /** Start a new tracklet: Kalman initiate, a new id; activated at once only on tracker frame 1. */
  activate(frameId: number, nextId: () => number): void {
    this.trackId = nextId();
    this.gauss = this.motion.kf.initiate(this.motion.measure(this.det));
    this.meanF32 = true;
    this.trackletLen = 0;
    this.state = TrackState.Tracked;
    if (frameId === 1) this.isActivated = true;
    this.frameId = frameId;
    this.startFrame = frameId;
  }

  /** A Lost (or just Removed) track matched again: Kalman update, Tracked, same id. */
  reActivate(det: STrack, frameId: number): void {
    this.correct(det);
    this.trackletLen = 0;
    this.frameId = frameId;
  }

  /** A Tracked or unconfirmed track matched: Kalman update. */
  update(det: STrack, frameId: number): void {
    this.frameId = frameId;
    this.trackletLen++;
    this.correct(det);
  }

  markLost(): void {
    this.state = TrackState.Lost;
  }

  markRemoved(): void {
    this.state = TrackState.Removed;
  }

  private correct(det: STrack): void {
    this.gauss = this.motion.kf.update(this.live(), this.motion.measure(det.det));
    this.meanF32 = false;
    this.state = TrackState.Tracked;
    this.isActivated = true;
    this.score = det.score;
    this.cls = det.cls;
    this.idx = det.idx;
  }

  /** The Kalman state; only activated tracks have one. */
  live(): Gaussian {
    if (!this.gauss) throw new LeyoloError('INTERNAL', 'STrack: track has no Kalman state (not activated)', 'this is a bug; report it');
    return this.gauss;
  }
}

/**
 * `multi_predict`: Kalman predict of every track, velocities of non-Tracked tracks zeroed first.
 * The process noise is float32 when every mean is still float32 (see {@link KalmanFilter.processNoise}).
 */
export function multiPredict(tracks: readonly STrack[]): void {
  if (tracks.length === 0) return;
  const allF32 = tracks.every((t) => t.meanF32);
  for (const t of tracks) {
    const g = t.live();
    const mean = g.mean.slice();
    if (t.state !== TrackState.Tracked) for (const k of t.motion.zeroVel) mean[k] = 0;
    t.gauss = t.motion.kf.predict({ mean, cov: g.cov }, allF32);
    t.meanF32 = false;
  }
}

/**
 * `multi_gmc`: apply the 2x3 warp `[a, b, tx, c, d, ty]` to every track: each (x, y)-pair of the
 * mean and of the covariance is rotated/scaled by R = [[a, b], [c, d]] (R8 = kron(I4, R)); the
 * translation moves the centre only.
 */
export function multiGmc(tracks: readonly STrack[], warp: readonly number[]): void {
  const [a, b, tx, c, d, ty] = warp;
  for (const t of tracks) {
    const g = t.live();
    const mean = new Float64Array(8);
    for (let k = 0; k < 8; k += 2) {
      mean[k] = a * g.mean[k] + b * g.mean[k + 1];
      mean[k + 1] = c * g.mean[k] + d * g.mean[k + 1];
    }
    mean[0] += tx;
    mean[1] += ty;
    // R8 P (rows paired), then (R8 P) R8^T (columns paired).
    const rp = new Float64Array(64);
    for (let r = 0; r < 8; r += 2) {
      for (let col = 0; col < 8; col++) {
        rp[r * 8 + col] = a * g.cov[r * 8 + col] + b * g.cov[(r + 1) * 8 + col];
        rp[(r + 1) * 8 + col] = c * g.cov[r * 8 + col] + d * g.cov[(r + 1) * 8 + col];
      }
    }
    const cov = new Float64Array(64);
    for (let r = 0; r < 8; r++) {
      for (let col = 0; col < 8; col += 2) {
        cov[r * 8 + col] = rp[r * 8 + col] * a + rp[r * 8 + col + 1] * b;
        cov[r * 8 + col + 1] = rp[r * 8 + col] * c + rp[r * 8 + col + 1] * d;
      }
    }
    t.gauss = { mean, cov };
    t.meanF32 = false;
  }
}
