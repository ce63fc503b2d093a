/**
 * Robust 4-DOF similarity fit, the structure of OpenCV 4.6's `cv2.estimateAffinePartial2D(from, to,
 * cv2.RANSAC)` with its defaults (reprojection threshold 3 px, at most 2000 iterations, confidence
 * 0.99, then a refinement on the inliers): 2-point minimal samples drawn with OpenCV's own RNG (the
 * multiply-with-carry generator, seeded with -1 like every RANSAC call there), float32 inlier test,
 * adaptive iteration count, and a least-squares refit on the best sample's inliers. OpenCV refines
 * with 10 Levenberg-Marquardt steps; the model is linear in its parameters, so that converges to the
 * closed-form least squares used here (measured: within 3e-14 of OpenCV's result on vtest.avi).
 * Browser-safe.
 *
 * The model maps (x, y) to (a*x - b*y + tx, b*x + a*y + ty), returned row-major as
 * `[a, -b, tx, b, a, ty]`.
 */

/**
 * `cv::RNG`: state' = lo32(state) * 4164903690 + hi32(state) (64-bit), output lo32(state').
 *
 * @example
 * const rng = new CvRng(); // OpenCV's RNG((uint64)-1), what its RANSAC starts from
 * rng.uniform(0, 10);
 */
export class CvRng {
  private state: bigint;

  constructor(seed: bigint = 0xffffffffffffffffn) {
    this.state = BigInt.asUintN(64, seed === 0n ? 0xffffffffn : seed);
  }

  /**
   * Next unsigned 32-bit output.
   *
   * @example
   * new CvRng().next(); // 130063605
   */
  next(): number {
    this.state = BigInt.asUintN(64, (this.state & 0xffffffffn) * 4164903690n + (this.state >> 32n));
    return Number(this.state & 0xffffffffn);
  }

  /**
   * Integer in [a, b) as OpenCV's `uniform(int, int)`: next() % (b - a) + a.
   *
   * @example
   * new CvRng().uniform(0, 864); // 501
   */
  uniform(a: number, b: number): number {
    return a === b ? a : (this.next() % (b - a)) + a;
  }
}

/**
 * estimateAffinePartial2D's RANSAC settings; {@link RANSAC_DEFAULTS} are OpenCV's.
 *
 * @example
 * const o: RansacOptions = { ...RANSAC_DEFAULTS, threshold: 1 };
 */
export interface RansacOptions {
  threshold: number;
  maxIters: number;
  confidence: number;
  /** Least-squares refit on the inliers (OpenCV: refineIters > 0). */
  refine: boolean;
}

/**
 * ransacReprojThreshold 3, maxIters 2000, confidence 0.99, refineIters 10 (here: refine on).
 *
 * @example
 * estimateSimilarityRansac(src, dst, RANSAC_DEFAULTS);
 */
export const RANSAC_DEFAULTS: Readonly<RansacOptions> = Object.freeze({ threshold: 3, maxIters: 2000, confidence: 0.99, refine: true });

/**
 * A fitted similarity and which input pairs are its inliers.
 *
 * @example
 * const fit = estimateSimilarityRansac(src, dst);
 * const nIn = fit ? fit.inliers.reduce((s, v) => s + v, 0) : 0;
 */
export interface SimilarityFit {
  /** Row-major 2x3 `[a, -b, tx, b, a, ty]`. */
  model: number[];
  inliers: Uint8Array;
}

/**
 * The similarity through two point pairs (p1 -> q1, p2 -> q2): scale-rotation from the difference
 * vectors, translation from the first pair. Null when the two source points coincide.
 */
function twoPointModel(src: Float32Array, dst: Float32Array, i: number, j: number): number[] | null {
  const dx = src[2 * i] - src[2 * j];
  const dy = src[2 * i + 1] - src[2 * j + 1];
  const ex = dst[2 * i] - dst[2 * j];
  const ey = dst[2 * i + 1] - dst[2 * j + 1];
  const n2 = dx * dx + dy * dy;
  if (!(n2 > 0)) return null;
  // (a + ib) * (dx + i dy) = ex + i ey  =>  a + ib = (ex + i ey) * conj(d) / |d|^2
  const a = (ex * dx + ey * dy) / n2;
  const b = (ey * dx - ex * dy) / n2;
  const tx = dst[2 * i] - a * src[2 * i] + b * src[2 * i + 1];
  const ty = dst[2 * i + 1] - b * src[2 * i] - a * src[2 * i + 1];
  return [a, -b, tx, b, a, ty];
}

/** Marks pairs whose float32 squared reprojection error is <= threshold^2 (OpenCV's findInliers). */
function findInliers(m: readonly number[], src: Float32Array, dst: Float32Array, thresh: number, mask: Uint8Array): number {
  const f = Math.fround;
  const [m0, m1, m2, m3, m4, m5] = m.map(f);
  const t = f(thresh * thresh);
  let good = 0;
  for (let i = 0; i < mask.length; i++) {
    const x = src[2 * i], y = src[2 * i + 1];
    const ex = f(f(f(f(m0 * x) + f(m1 * y)) + m2) - dst[2 * i]);
    const ey = f(f(f(f(m3 * x) + f(m4 * y)) + m5) - dst[2 * i + 1]);
    const ok = f(f(ex * ex) + f(ey * ey)) <= t ? 1 : 0;
    mask[i] = ok;
    good += ok;
  }
  return good;
}

const DBL_MIN = 2.2250738585072014e-308;

/**
 * OpenCV's RANSACUpdateNumIters: iterations for `confidence` given the outlier ratio `ep` (never more
 * than `maxIters`).
 *
 * @example
 * ransacIters(0.99, 0.5, 2, 2000); // 16
 */
export function ransacIters(confidence: number, ep: number, modelPoints: number, maxIters: number): number {
  const p = Math.min(Math.max(confidence, 0), 1);
  const e = Math.min(Math.max(ep, 0), 1);
  const num = Math.log(Math.max(1 - p, DBL_MIN));
  const denom1 = 1 - Math.pow(1 - e, modelPoints);
  if (denom1 < DBL_MIN) return 0;
  const denom = Math.log(denom1);
  if (denom >= 0 || -num >= maxIters * -denom) return maxIters;
  const r = num / denom;
  const k = Math.round(r);
  return k - r === 0.5 && k % 2 !== 0 ? k - 1 : k; // cvRound: half to even
}

/**
 * Least-squares similarity over the pairs with `mask[i]` set (all when `mask` is null): after
 * centring both sets, a + ib = sum(q~ * conj(p~)) / sum|p~|^2 and the translation maps the centroids.
 * Null when fewer than two distinct points.
 *
 * @example
 * fitSimilarityLS(src, dst, fit.inliers); // [a, -b, tx, b, a, ty]
 */
export function fitSimilarityLS(src: Float32Array, dst: Float32Array, mask: Uint8Array | null): number[] | null {
  const n = src.length >> 1;
  let cnt = 0, mx = 0, my = 0, nx = 0, ny = 0;
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    cnt++;
    mx += src[2 * i];
    my += src[2 * i + 1];
    nx += dst[2 * i];
    ny += dst[2 * i + 1];
  }
  if (cnt < 2) return null;
  mx /= cnt;
  my /= cnt;
  nx /= cnt;
  ny /= cnt;
  let sa = 0, sb = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    const x = src[2 * i] - mx, y = src[2 * i + 1] - my;
    const u = dst[2 * i] - nx, v = dst[2 * i + 1] - ny;
    sa += u * x + v * y;
    sb += v * x - u * y;
    ss += x * x + y * y;
  }
  if (!(ss > 0)) return null;
  const a = sa / ss;
  const b = sb / ss;
  return [a, -b, nx - a * mx + b * my, b, a, ny - b * mx - a * my];
}

/**
 * `cv2.estimateAffinePartial2D(src, dst, cv2.RANSAC)`: the 4-DOF similarity taking `src` points to
 * `dst` (`[x0, y0, ...]`, float32 like OpenCV's input), or null when no model was found (fewer than
 * two pairs, or no sample with two inliers).
 *
 * @example
 * const fit = estimateSimilarityRansac(prevPts, curPts); // fit?.model = [a, -b, tx, b, a, ty]
 */
export function estimateSimilarityRansac(src: Float32Array, dst: Float32Array, o: Readonly<RansacOptions> = RANSAC_DEFAULTS): SimilarityFit | null {
  const count = src.length >> 1;
  if (count < 2 || dst.length !== src.length) return null;
  if (count === 2) {
    const m = twoPointModel(src, dst, 0, 1);
    return m && { model: m, inliers: new Uint8Array([1, 1]) };
  }
  const rng = new CvRng();
  let best: number[] | null = null;
  let bestMask = new Uint8Array(count);
  let mask = new Uint8Array(count);
  let maxGood = 0;
  let niters = Math.max(o.maxIters, 1);
  for (let iter = 0; iter < niters; iter++) {
    // two distinct indices (a 2-point sample is never degenerate for OpenCV's collinearity check)
    const i = rng.uniform(0, count);
    let j = rng.uniform(0, count);
    while (j === i) j = rng.uniform(0, count);
    const m = twoPointModel(src, dst, i, j);
    if (!m) continue;
    const good = findInliers(m, src, dst, o.threshold, mask);
    if (good > Math.max(maxGood, 1)) {
      [mask, bestMask] = [bestMask, mask];
      best = m;
      maxGood = good;
      niters = ransacIters(o.confidence, (count - good) / count, 2, niters);
    }
  }
  if (!best) return null;
  const refined = o.refine ? fitSimilarityLS(src, dst, bestMask) : null;
  return { model: refined ?? best, inliers: bestMask };
}
