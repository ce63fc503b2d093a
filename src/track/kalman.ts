/**
 * The constant-velocity Kalman filters of Ultralytics 8.1.4 (`trackers/utils/kalman_filter.py`):
 * KalmanFilterXYAH (ByteTrack: centre x, y, aspect w/h, height) and KalmanFilterXYWH (BoT-SORT:
 * centre x, y, width, height). State [8] = the 4 box values then their velocities; covariance [8 x 8]
 * row-major Float64Array. float64 throughout, like numpy. Browser-safe.
 *
 * Noise is proportional to the box size: position std = height / 20, velocity std = height / 160
 * (XYWH: width- or height-relative per coordinate); the aspect ratio of XYAH has fixed stds.
 */

const W_POS = 1 / 20;
const W_VEL = 1 / 160;
const f32 = Math.fround;

/** Mean [8] and covariance [64] of one track. */
export interface Gaussian {
  mean: Float64Array;
  cov: Float64Array;
}

/** Which filter: 'xyah' (ByteTrack) or 'xywh' (BoT-SORT). */
export type KalmanKind = 'xyah' | 'xywh';

/**
 * A constant-velocity Kalman filter over 4 box measurements (dt = 1 tracker update).
 *
 * @example
 * const kf = new KalmanFilter('xyah');
 * let g = kf.initiate([320, 240, 0.5, 100]);
 * g = kf.predict(g);
 * g = kf.update(g, [322, 241, 0.5, 101]);
 */
export class KalmanFilter {
  constructor(readonly kind: KalmanKind) {}

  /** Track from an unassociated measurement: zero velocity, size-relative uncertainty. */
  initiate(z: ArrayLike<number>): Gaussian {
    const mean = new Float64Array(8);
    for (let k = 0; k < 4; k++) mean[k] = z[k];
    const h = z[3];
    // Python evaluates `2 * w * h` left to right; keep that order for bit-equal stds.
    const std = this.kind === 'xyah'
      ? [2 * W_POS * h, 2 * W_POS * h, 1e-2, 2 * W_POS * h, 10 * W_VEL * h, 10 * W_VEL * h, 1e-5, 10 * W_VEL * h]
      : [2 * W_POS * z[2], 2 * W_POS * h, 2 * W_POS * z[2], 2 * W_POS * h, 10 * W_VEL * z[2], 10 * W_VEL * h, 10 * W_VEL * z[2], 10 * W_VEL * h];
    const cov = new Float64Array(64);
    for (let k = 0; k < 8; k++) cov[k * 9] = std[k] * std[k];
    return { mean, cov };
  }

  /**
   * Process noise variances [8] for a state. `float32`: the official multi_predict computes them in
   * float32 when every stacked mean is still the float32 array `initiate` made (numpy keeps the
   * dtype of the batch), e.g. on the second frame of a video.
   */
  processNoise(mean: ArrayLike<number>, float32 = false): number[] {
    const m = (w: number, x: number): number => (float32 ? f32(f32(w) * x) : w * x);
    const h = mean[3];
    const std = this.kind === 'xyah'
      ? [m(W_POS, h), m(W_POS, h), float32 ? f32(1e-2) : 1e-2, m(W_POS, h), m(W_VEL, h), m(W_VEL, h), float32 ? f32(1e-5) : 1e-5, m(W_VEL, h)]
      : [m(W_POS, mean[2]), m(W_POS, h), m(W_POS, mean[2]), m(W_POS, h), m(W_VEL, mean[2]), m(W_VEL, h), m(W_VEL, mean[2]), m(W_VEL, h)];
    return std.map((s) => (float32 ? f32(s * s) : s * s));
  }

  /** Prediction step: x' = F x, P' = F P F^T + Q (F adds each velocity to its position). */
  predict(g: Gaussian, float32Noise = false): Gaussian {
    const q = this.processNoise(g.mean, float32Noise);
    const mean = new Float64Array(8);
    for (let k = 0; k < 4; k++) {
      mean[k] = g.mean[k] + g.mean[k + 4];
      mean[k + 4] = g.mean[k + 4];
    }
    // F P first (row i < 4 gains row i + 4), then (F P) F^T (column j < 4 gains column j + 4):
    // the summation order of numpy's dot, so sums match to the last bit where it can.
    const fp = new Float64Array(64);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) fp[i * 8 + j] = i < 4 ? g.cov[i * 8 + j] + g.cov[(i + 4) * 8 + j] : g.cov[i * 8 + j];
    }
    const cov = new Float64Array(64);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) cov[i * 8 + j] = j < 4 ? fp[i * 8 + j] + fp[i * 8 + j + 4] : fp[i * 8 + j];
      cov[i * 9] += q[i];
    }
    return { mean, cov };
  }

  /** Prediction of many tracks (`multi_predict`); `float32Noise` as in {@link processNoise}. */
  multiPredict(gs: readonly Gaussian[], float32Noise = false): Gaussian[] {
    return gs.map((g) => this.predict(g, float32Noise));
  }

  /** Measurement-space mean [4] and covariance [16] (state box plus measurement noise R). */
  project(g: Gaussian): { mean: Float64Array; cov: Float64Array } {
    const h = g.mean[3];
    const std = this.kind === 'xyah' ? [W_POS * h, W_POS * h, 1e-1, W_POS * h] : [W_POS * g.mean[2], W_POS * h, W_POS * g.mean[2], W_POS * h];
    const mean = g.mean.slice(0, 4);
    const cov = new Float64Array(16);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) cov[i * 4 + j] = g.cov[i * 8 + j];
      cov[i * 5] += std[i] * std[i];
    }
    return { mean, cov };
  }

  /** Correction step with measurement `z` [4]: K = P H^T S^-1 by Cholesky, like scipy cho_solve. */
  update(g: Gaussian, z: ArrayLike<number>): Gaussian {
    const p = this.project(g);
    const l = cholesky4(p.cov);
    // K^T [4 x 8] solves S K^T = (P H^T)^T, i.e. the first 4 columns of P, transposed.
    const kt = new Float64Array(32);
    const col = new Float64Array(4);
    for (let c = 0; c < 8; c++) {
      for (let r = 0; r < 4; r++) col[r] = g.cov[c * 8 + r];
      cholSolve4(l, col);
      for (let r = 0; r < 4; r++) kt[r * 8 + c] = col[r];
    }
    const innov = [0, 1, 2, 3].map((k) => z[k] - p.mean[k]);
    const mean = new Float64Array(8);
    for (let r = 0; r < 8; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += innov[k] * kt[k * 8 + r];
      mean[r] = g.mean[r] + s;
    }
    // P - K S K^T, as (K S) K^T.
    const ks = new Float64Array(32);
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += kt[k * 8 + r] * p.cov[k * 4 + c];
        ks[r * 4 + c] = s;
      }
    }
    const cov = new Float64Array(64);
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += ks[r * 4 + k] * kt[k * 8 + c];
        cov[r * 8 + c] = g.cov[r * 8 + c] - s;
      }
    }
    return { mean, cov };
  }
}

/** Lower Cholesky factor [16] of a 4 x 4 symmetric positive-definite matrix (LAPACK potrf order). */
function cholesky4(a: Float64Array): Float64Array {
  const l = new Float64Array(16);
  for (let j = 0; j < 4; j++) {
    let d = a[j * 5];
    for (let k = 0; k < j; k++) d -= l[j * 4 + k] * l[j * 4 + k];
    const ljj = Math.sqrt(d);
    l[j * 5] = ljj;
    for (let i = j + 1; i < 4; i++) {
      let s = a[i * 4 + j];
      for (let k = 0; k < j; k++) s -= l[i * 4 + k] * l[j * 4 + k];
      l[i * 4 + j] = s / ljj;
    }
  }
  return l;
}

/** Solve L L^T x = b in place (forward then back substitution). */
function cholSolve4(l: Float64Array, b: Float64Array): void {
  for (let i = 0; i < 4; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * 4 + k] * b[k];
    b[i] = s / l[i * 5];
  }
  for (let i = 3; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < 4; k++) s -= l[k * 4 + i] * b[k];
    b[i] = s / l[i * 5];
  }
}

/**
 * ByteTrack's filter (`KalmanFilterXYAH`): measurements are centre x, y, aspect w/h, height.
 *
 * @example
 * const g = new KalmanFilterXYAH().initiate([320, 240, 0.5, 100]);
 */
export class KalmanFilterXYAH extends KalmanFilter {
  constructor() {
    super('xyah');
  }
}

/**
 * BoT-SORT's filter (`KalmanFilterXYWH`): measurements are centre x, y, width, height.
 *
 * @example
 * const g = new KalmanFilterXYWH().initiate([320, 240, 50, 100]);
 */
export class KalmanFilterXYWH extends KalmanFilter {
  constructor() {
    super('xywh');
  }
}
