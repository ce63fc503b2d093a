/**
 * The image side of the sparse optical-flow GMC: 8-bit grey conversion, the half-size frame and
 * Shi-Tomasi corners, each following what OpenCV 4.6 computes for the official Ultralytics 8.1.4 GMC
 * (`cv2.cvtColor(BGR2GRAY)`, `cv2.resize(INTER_LINEAR)`, `cv2.goodFeaturesToTrack`). Browser-safe.
 *
 * Grey images are row-major `width * height` bytes ({@link GreyImage}).
 */
import { LeyoloError } from '../errors.js';
import { resizeLinearU8 } from '../image/resize.js';
import type { RgbImage } from '../image/types.js';

/**
 * An 8-bit single-channel image, row-major: pixel (x, y) at `y * width + x`.
 *
 * @example
 * const g: GreyImage = { width: 2, height: 1, data: new Uint8Array([0, 255]) };
 */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * `cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)` on the same pixels given as RGB: OpenCV 4.6's 8-bit fixed
 * point with 15-bit weights, grey = (R*9798 + G*19235 + B*3735 + 2^14) >> 15 (the BT.601 weights
 * 0.299 / 0.587 / 0.114 scaled by 2^15). Checked against cv2 4.6.0 on a 140,608-colour RGB grid (step 5),
 * 1M random pixels and vtest.avi frames; the 14-bit (4899, 9617, 1868) formula differs on ~0.04% of
 * vtest pixels.
 *
 * @example
 * rgbToGrey({ width: 1, height: 1, data: new Uint8Array([255, 255, 255]) }).data[0]; // 255
 */
export function rgbToGrey(img: RgbImage): GreyImage {
  const n = img.width * img.height;
  const src = img.data;
  if (src.length !== n * 3) {
    throw new LeyoloError('BAD_ARGUMENT', `RGB frame ${img.width}x${img.height} holds ${src.length} bytes, not ${n * 3}`, 'pass an 8-bit RGB HWC image');
  }
  const out = new Uint8Array(n);
  for (let i = 0, s = 0; i < n; i++, s += 3) out[i] = (src[s] * 9798 + src[s + 1] * 19235 + src[s + 2] * 3735 + 16384) >> 15;
  return { width: img.width, height: img.height, data: out };
}

/**
 * The GMC's downscaled frame: `cv2.resize(grey, (w // f, h // f))` (INTER_LINEAR, bit-exact; an exact
 * 2x is OpenCV's 2x2 average with rounding). `factor` 1 returns the image itself.
 *
 * @example
 * downscaleGrey(grey768x576, 2); // 384x288
 */
export function downscaleGrey(g: GreyImage, factor: number): GreyImage {
  if (factor <= 1) return g;
  const w = Math.floor(g.width / factor);
  const h = Math.floor(g.height / factor);
  if (w < 1 || h < 1) {
    throw new LeyoloError('BAD_ARGUMENT', `a ${g.width}x${g.height} frame is too small to downscale by ${factor}`, 'use frames at least `downscale` pixels wide and high');
  }
  return { width: w, height: h, data: resizeLinearU8(g.data, g.width, g.height, 1, w, h) };
}

/**
 * Reflect-101 border index (OpenCV BORDER_DEFAULT / BORDER_REFLECT_101): -1 -> 1, n -> n - 2, repeated
 * for larger overshoots; 0 when n is 1.
 *
 * @example
 * reflect101(-1, 5); // 1
 */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/**
 * Sobel 3x3 derivatives as `cornerMinEigenVal` makes them: float32 output scaled by
 * 1 / (4 * blockSize * 255), the scale folded into the [1, 2, 1] smoothing taps like OpenCV's Sobel,
 * and the rounding order of its SIMD filters (a fused multiply-add per tap). Returns `[dx, dy]`, each
 * `[h * w]`.
 */
function sobelScaled(g: GreyImage, blockSize: number): [Float32Array, Float32Array] {
  const { width: w, height: h, data } = g;
  const scale = 1 / (4 * blockSize * 255);
  const k1 = Math.fround(scale);
  const k2 = Math.fround(2 * scale);
  const diffRow = new Float32Array(w * h); // p[x+1] - p[x-1] (exact small integers)
  const smoothRow = new Float32Array(w * h); // k1*p[x-1] + k2*p[x] + k1*p[x+1], fma order
  const xm = new Int32Array(w);
  const xp = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    xm[x] = reflect101(x - 1, w);
    xp[x] = reflect101(x + 1, w);
  }
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) {
      const a = data[r + xm[x]];
      const c = data[r + xp[x]];
      diffRow[r + x] = c - a;
      let t = Math.fround(a * k1);
      t = Math.fround(data[r + x] * k2 + t);
      smoothRow[r + x] = Math.fround(c * k1 + t);
    }
  }
  const dx = new Float32Array(w * h);
  const dy = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    const rm = reflect101(y - 1, h) * w;
    const rp = reflect101(y + 1, h) * w;
    for (let x = 0; x < w; x++) {
      // products of a float32 and a <= 10-bit integer are exact in double: one rounding, as fma.
      dx[r + x] = Math.fround((diffRow[rm + x] + diffRow[rp + x]) * k1 + Math.fround(diffRow[r + x] * k2));
      dy[r + x] = Math.fround(smoothRow[rp + x] - smoothRow[rm + x]);
    }
  }
  return [dx, dy];
}

/** Unnormalised blockSize x blockSize box sum (reflect-101 border), summed in double, stored float32. */
function boxSum(src: Float32Array, w: number, h: number, block: number): Float32Array {
  const anchor = block >> 1;
  const rows = new Float64Array(w * h);
  const xs = new Int32Array(w + block); // reflect-101 source column of padded column x - anchor
  for (let x = 0; x < w + block; x++) xs[x] = reflect101(x - anchor, w);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) {
      if (block === 3 && x > 0 && x < w - 1) {
        // the common case, unrolled: left + centre + right, OpenCV's RowSum order for ksize 3
        rows[r + x] = src[r + x - 1] + src[r + x] + src[r + x + 1];
        continue;
      }
      let s = 0;
      for (let k = 0; k < block; k++) s += src[r + xs[x + k]];
      rows[r + x] = s;
    }
  }
  // Vertical pass as OpenCV's ColumnSum: a running double sum per column (add the entering row,
  // store, subtract the leaving row), whose rounding the stored float32 can show.
  const out = new Float32Array(w * h);
  const sum = new Float64Array(w);
  for (let k = -anchor; k < block - 1 - anchor; k++) {
    const r = reflect101(k, h) * w;
    for (let x = 0; x < w; x++) sum[x] += rows[r + x];
  }
  for (let y = 0; y < h; y++) {
    const rin = reflect101(y + block - 1 - anchor, h) * w;
    const rout = reflect101(y - anchor, h) * w;
    for (let x = 0; x < w; x++) {
      const s = sum[x] + rows[rin + x];
      out[y * w + x] = s;
      sum[x] = s - rows[rout + x];
    }
  }
  return out;
}

/**
 * `cv2.cornerMinEigenVal(grey, blockSize, 3)`: the smaller eigenvalue of the blockSize x blockSize sum of
 * the gradient covariance [[dx*dx, dx*dy], [dx*dy, dy*dy]] (float32, `[h * w]`). Bit-identical to cv2
 * 4.6.0 (x86-64 build) on vtest.avi: every operation rounds to float32 where OpenCV's does, the final
 * formula without fused multiply-adds as in its AVX kernel.
 *
 * @example
 * const eig = minEigenMap(grey, 3); // eig[y * grey.width + x]
 */
export function minEigenMap(g: GreyImage, blockSize = 3): Float32Array {
  const n = g.width * g.height;
  const [dx, dy] = sobelScaled(g, blockSize);
  const xx = new Float32Array(n);
  const xy = new Float32Array(n);
  const yy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = dx[i] * dx[i];
    xy[i] = dx[i] * dy[i];
    yy[i] = dy[i] * dy[i];
  }
  const sxx = boxSum(xx, g.width, g.height, blockSize);
  const sxy = boxSum(xy, g.width, g.height, blockSize);
  const syy = boxSum(yy, g.width, g.height, blockSize);
  const eig = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // lambda_min of [[2a, b], [b, 2c]] / 2 = (a + c) - sqrt((a - c)^2 + b^2), float32 like OpenCV.
    const a = Math.fround(sxx[i] * 0.5);
    const b = sxy[i];
    const c = Math.fround(syy[i] * 0.5);
    const t = Math.fround(a - c);
    const root = Math.fround(Math.sqrt(Math.fround(Math.fround(b * b) + Math.fround(t * t))));
    eig[i] = Math.fround(Math.fround(a + c) - root);
  }
  return eig;
}

/**
 * `cv2.goodFeaturesToTrack` settings (the official GMC: 1000, 0.01, 1, 3). maxCorners <= 0: no limit.
 *
 * @example
 * const opts: CornerOptions = { ...GMC_CORNERS, maxCorners: 200 };
 */
export interface CornerOptions {
  maxCorners: number;
  qualityLevel: number;
  minDistance: number;
  blockSize: number;
}

/**
 * The official GMC's `feature_params` (Harris off, so its `k` is unused).
 *
 * @example
 * goodFeatures(grey, GMC_CORNERS);
 */
export const GMC_CORNERS: Readonly<CornerOptions> = Object.freeze({ maxCorners: 1000, qualityLevel: 0.01, minDistance: 1, blockSize: 3 });

/**
 * `cv2.goodFeaturesToTrack(grey, mask=None, ...)` with the min-eigenvalue score: pixels (not on the
 * one-pixel frame) that are 3x3 local maxima of the score and above qualityLevel * max score, strongest
 * first (ties: the later pixel in raster order first, OpenCV's pointer tie-break), dropping any within
 * minDistance of a stronger kept corner, at most maxCorners. Returns `[x0, y0, x1, y1, ...]` (float32,
 * integer pixel positions).
 *
 * @example
 * const pts = goodFeatures(grey, GMC_CORNERS); // pts.length / 2 corners
 */
export function goodFeatures(g: GreyImage, opts: Readonly<CornerOptions> = GMC_CORNERS): Float32Array {
  const { width: w, height: h } = g;
  const eig = minEigenMap(g, opts.blockSize);
  let max = 0;
  for (let i = 0; i < eig.length; i++) if (eig[i] > max) max = eig[i];
  const thresh = Math.fround(max * opts.qualityLevel);
  const cand: number[] = [];
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v = eig[i];
      // THRESH_TOZERO then dilate: a survivor must beat the threshold and equal its 3x3 maximum (the
      // neighbours' thresholding only lowers them to 0, which never beats a survivor).
      if (!(v > thresh) || v < eig[i - w - 1] || v < eig[i - w] || v < eig[i - w + 1] || v < eig[i - 1]) continue;
      if (v < eig[i + 1] || v < eig[i + w - 1] || v < eig[i + w] || v < eig[i + w + 1]) continue;
      cand.push(i);
    }
  }
  cand.sort((a, b) => eig[b] - eig[a] || b - a);
  return spaced(cand, w, h, opts);
}

/** minDistance filter over corners sorted strongest first (OpenCV's grid of minDistance cells). */
function spaced(cand: readonly number[], w: number, h: number, opts: Readonly<CornerOptions>): Float32Array {
  const limit = opts.maxCorners > 0 ? Math.min(opts.maxCorners, cand.length) : cand.length;
  const out = new Float32Array(limit * 2);
  let n = 0;
  const md = opts.minDistance;
  const cell = Math.max(1, Math.round(md));
  const gw = Math.ceil(w / cell);
  const gh = Math.ceil(h / cell);
  // Kept corners per grid cell as linked lists: head[cell] -> index into out, next[k] -> next in cell.
  const head = md >= 1 ? new Int32Array(gw * gh).fill(-1) : null;
  const next = new Int32Array(limit);
  for (let k = 0; k < cand.length && n < limit; k++) {
    const x = cand[k] % w;
    const y = (cand[k] - x) / w;
    if (head) {
      const cx = Math.floor(x / cell);
      const cy = Math.floor(y / cell);
      if (tooClose(head, next, out, gw, gh, cx, cy, x, y, md * md)) continue;
      next[n] = head[cy * gw + cx];
      head[cy * gw + cx] = n;
    }
    out[2 * n] = x;
    out[2 * n + 1] = y;
    n++;
  }
  return out.subarray(0, 2 * n);
}

function tooClose(head: Int32Array, next: Int32Array, pts: Float32Array, gw: number, gh: number, cx: number, cy: number, x: number, y: number, md2: number): boolean {
  for (let j = Math.max(0, cy - 1); j <= Math.min(gh - 1, cy + 1); j++) {
    for (let i = Math.max(0, cx - 1); i <= Math.min(gw - 1, cx + 1); i++) {
      for (let p = head[j * gw + i]; p >= 0; p = next[p]) {
        const dx = x - pts[2 * p];
        const dy = y - pts[2 * p + 1];
        if (dx * dx + dy * dy < md2) return true;
      }
    }
  }
  return false;
}
