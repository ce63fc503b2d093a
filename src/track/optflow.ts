/**
 * Pyramidal Lucas-Kanade sparse optical flow as `cv2.calcOpticalFlowPyrLK(prev, next, pts, None)` does
 * it in OpenCV 4.6 with its defaults (21x21 window, maxLevel 3, 30 iterations or a 0.01 px step,
 * minEigThreshold 1e-4): 8-bit pyramids by pyrDown with a reflect-101 border of one window, Scharr
 * derivatives (int16, zero outside the image), 14-bit fixed-point bilinear weights, the same
 * integer window sums and float32 solve. Browser-safe.
 */
import { scharrDeriv } from './pyramid.js';
import type { PyrLevel } from './pyramid.js';

/**
 * calcOpticalFlowPyrLK settings: window side, coarsest level, iteration limit, step size (px) that
 * ends the iterations, and the smallest min-eigenvalue (per window pixel) a window may have.
 *
 * @example
 * const lk: LkOptions = { ...LK_DEFAULTS, maxLevel: 2 };
 */
export interface LkOptions {
  win: number;
  maxLevel: number;
  maxCount: number;
  epsilon: number;
  minEigThreshold: number;
}

/**
 * OpenCV's defaults (winSize 21x21, maxLevel 3, criteria COUNT+EPS 30 / 0.01, minEigThreshold 1e-4).
 *
 * @example
 * calcOpticalFlowPyrLK(prevPyr, nextPyr, pts, LK_DEFAULTS);
 */
export const LK_DEFAULTS: Readonly<LkOptions> = Object.freeze({ win: 21, maxLevel: 3, maxCount: 30, epsilon: 0.01, minEigThreshold: 1e-4 });

const f32 = Math.fround;
const W_BITS = 14;
/** OpenCV's FLT_SCALE: the integer window sums are scaled by 2^-20 before the float solve. */
const FLT_SCALE = 1 / (1 << 20);
const FLT_EPSILON = 1.1920928955078125e-7;

/** cvRound on a float32: round half to even. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The four 14-bit bilinear weights of the fractional offset (a, b), as OpenCV rounds them (float32). */
function weights(a: number, b: number, w: Int32Array): void {
  const one = 1 << W_BITS;
  w[0] = roundEven(f32(f32(f32(1 - a) * f32(1 - b)) * one));
  w[1] = roundEven(f32(f32(a * f32(1 - b)) * one));
  w[2] = roundEven(f32(f32(f32(1 - a) * b) * one));
  w[3] = one - w[0] - w[1] - w[2];
}

/** Scratch buffers of one tracker call: the prev-frame window (pixels x32), its derivatives, sums. */
interface Scratch {
  iwin: Int32Array;
  dwin: Int32Array;
  w: Int32Array;
  /** One row of window derivatives. */
  gx: Int32Array;
  gy: Int32Array;
  /** [A11, A12, A22] of the last {@link extractWindow}. */
  a: Float64Array;
  /** One row of J - I differences. */
  jdiff: Int32Array;
  /** [b1, b2] of the last {@link mismatch}. */
  b: Float64Array;
}

/**
 * Samples the prev-frame window at integer corner (ix, iy) with weights `s.w` into `s.iwin` (pixels x32)
 * and `s.dwin` (Ix, Iy), and leaves the float32 gradient sums [A11, A12, A22] in `s.a`. The float sums
 * follow OpenCV's SSE2 loop: the 8-column blocks in four lanes (lane = x % 4, multiply then add), the
 * remaining columns in the scalar accumulator, the lanes folded as (l0 + l2) + (l1 + l3) at the end.
 */
function extractWindow(lv: PyrLevel, deriv: Int16Array, ix: number, iy: number, win: number, s: Scratch): void {
  const { stride, border, img } = lv;
  const w00 = s.w[0], w01 = s.w[1], w10 = s.w[2], w11 = s.w[3];
  const iwin = s.iwin;
  const dwin = s.dwin;
  const gx = s.gx;
  const gy = s.gy;
  // four float lanes each of A11 (a*), A12 (b*), A22 (c*); the scalar tail in t11, t12, t22
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  let t11 = 0, t12 = 0, t22 = 0;
  const simdEnd = win & ~7;
  for (let y = 0; y < win; y++) {
    let p = (y + iy + border) * stride + ix + border;
    let k = y * win;
    if (w00 === 1 << W_BITS) {
      // integer position (every level-0 corner): the weighted sums reduce to copies, bit for bit
      for (let x = 0; x < win; x++, p++, k++) {
        iwin[k] = img[p] << 5;
        gx[x] = dwin[2 * k] = deriv[2 * p];
        gy[x] = dwin[2 * k + 1] = deriv[2 * p + 1];
      }
    } else {
      for (let x = 0; x < win; x++, p++, k++) {
        iwin[k] = (img[p] * w00 + img[p + 1] * w01 + img[p + stride] * w10 + img[p + stride + 1] * w11 + 256) >> 9;
        const d = 2 * p;
        const d2 = d + 2 * stride;
        gx[x] = dwin[2 * k] = (deriv[d] * w00 + deriv[d + 2] * w01 + deriv[d2] * w10 + deriv[d2 + 2] * w11 + 8192) >> W_BITS;
        gy[x] = dwin[2 * k + 1] = (deriv[d + 1] * w00 + deriv[d + 3] * w01 + deriv[d2 + 1] * w10 + deriv[d2 + 3] * w11 + 8192) >> W_BITS;
      }
    }
    // |Ix|, |Iy| <= 16 * 255, so every product is an integer below 2^24: exact in float32.
    for (let x = 0; x < simdEnd; x += 4) {
      const x0 = gx[x], x1 = gx[x + 1], x2 = gx[x + 2], x3 = gx[x + 3];
      const y0 = gy[x], y1 = gy[x + 1], y2 = gy[x + 2], y3 = gy[x + 3];
      a0 = f32(a0 + x0 * x0); a1 = f32(a1 + x1 * x1); a2 = f32(a2 + x2 * x2); a3 = f32(a3 + x3 * x3);
      b0 = f32(b0 + x0 * y0); b1 = f32(b1 + x1 * y1); b2 = f32(b2 + x2 * y2); b3 = f32(b3 + x3 * y3);
      c0 = f32(c0 + y0 * y0); c1 = f32(c1 + y1 * y1); c2 = f32(c2 + y2 * y2); c3 = f32(c3 + y3 * y3);
    }
    for (let x = simdEnd; x < win; x++) {
      const vx = gx[x], vy = gy[x];
      t11 = f32(t11 + vx * vx);
      t12 = f32(t12 + vx * vy);
      t22 = f32(t22 + vy * vy);
    }
  }
  const fold = (l0: number, l1: number, l2: number, l3: number): number => f32(f32(l0 + l2) + f32(l1 + l3));
  s.a[0] = f32(f32(t11 + fold(a0, a1, a2, a3)) * FLT_SCALE);
  s.a[1] = f32(f32(t12 + fold(b0, b1, b2, b3)) * FLT_SCALE);
  s.a[2] = f32(f32(t22 + fold(c0, c1, c2, c3)) * FLT_SCALE);
}

/**
 * The mismatch vector sum (J(p) - I(p)) * [Ix, Iy] over the window, J sampled at integer corner
 * (ix, iy) with weights `s.w`, into `s.b` (float32, scaled by 2^-20). Float order of OpenCV's SSE2
 * loop: per row, each 8-column block adds pair products (pixel i with pixel i + 4) to eight float
 * lanes; the columns after the last block go to the scalar accumulator.
 */
function mismatch(lv: PyrLevel, ix: number, iy: number, win: number, s: Scratch): void {
  const { stride, border, img } = lv;
  const w00 = s.w[0], w01 = s.w[1], w10 = s.w[2], w11 = s.w[3];
  const iwin = s.iwin;
  const dw = s.dwin;
  const jw = s.jdiff;
  let q0 = 0, q1 = 0, q2 = 0, q3 = 0, q4 = 0, q5 = 0, q6 = 0, q7 = 0;
  let b1 = 0, b2 = 0;
  const simdEnd = win & ~7;
  for (let y = 0; y < win; y++) {
    let p = (y + iy + border) * stride + ix + border;
    const k0 = y * win;
    for (let x = 0; x < win; x++, p++) {
      jw[x] = ((img[p] * w00 + img[p + 1] * w01 + img[p + stride] * w10 + img[p + stride + 1] * w11 + 256) >> 9) - iwin[k0 + x];
    }
    for (let x0 = 0; x0 < simdEnd; x0 += 8) {
      const k = 2 * (k0 + x0);
      const d0 = jw[x0], d1 = jw[x0 + 1], d2 = jw[x0 + 2], d3 = jw[x0 + 3];
      const d4 = jw[x0 + 4], d5 = jw[x0 + 5], d6 = jw[x0 + 6], d7 = jw[x0 + 7];
      q0 = f32(q0 + f32(d0 * dw[k] + d4 * dw[k + 8]));
      q1 = f32(q1 + f32(d0 * dw[k + 1] + d4 * dw[k + 9]));
      q2 = f32(q2 + f32(d1 * dw[k + 2] + d5 * dw[k + 10]));
      q3 = f32(q3 + f32(d1 * dw[k + 3] + d5 * dw[k + 11]));
      q4 = f32(q4 + f32(d2 * dw[k + 4] + d6 * dw[k + 12]));
      q5 = f32(q5 + f32(d2 * dw[k + 5] + d6 * dw[k + 13]));
      q6 = f32(q6 + f32(d3 * dw[k + 6] + d7 * dw[k + 14]));
      q7 = f32(q7 + f32(d3 * dw[k + 7] + d7 * dw[k + 15]));
    }
    for (let x = simdEnd; x < win; x++) {
      const k = 2 * (k0 + x);
      b1 = f32(b1 + f32(jw[x] * dw[k]));
      b2 = f32(b2 + f32(jw[x] * dw[k + 1]));
    }
  }
  // (qb0 + qb1) interleaved and reduced: Ix lanes {0, 4} + {2, 6}, Iy lanes {1, 5} + {3, 7}.
  s.b[0] = f32(f32(b1 + f32(f32(q0 + q4) + f32(q2 + q6))) * FLT_SCALE);
  s.b[1] = f32(f32(b2 + f32(f32(q1 + q5) + f32(q3 + q7))) * FLT_SCALE);
}

/** Per-point tracking state across levels: the current estimate (OpenCV's nextPts entry) and status. */
interface PointState {
  x: number;
  y: number;
  ok: boolean;
}

/** True when the window corner (ix, iy) lies outside what OpenCV accepts for a level of cols x rows. */
function outside(ix: number, iy: number, lv: PyrLevel, win: number): boolean {
  return ix < -win || ix >= lv.width || iy < -win || iy >= lv.height;
}

/**
 * One level of OpenCV's LKTrackerInvoker for one point: prev position (px, py) at this level, the
 * estimate in `st` (updated in place). Failures clear `st.ok` only on level 0, as OpenCV does.
 */
function trackLevel(I: PyrLevel, dI: Int16Array, J: PyrLevel, px: number, py: number, st: PointState, last: boolean, o: Readonly<LkOptions>, s: Scratch): void {
  const hw = (o.win - 1) * 0.5;
  px = f32(px - hw);
  py = f32(py - hw);
  const ipx = Math.floor(px);
  const ipy = Math.floor(py);
  if (outside(ipx, ipy, I, o.win)) {
    if (last) st.ok = false;
    return;
  }
  weights(f32(px - ipx), f32(py - ipy), s.w);
  extractWindow(I, dI, ipx, ipy, o.win, s);
  const a11 = s.a[0], a12 = s.a[1], a22 = s.a[2];
  const det = f32(f32(a11 * a22) - f32(a12 * a12));
  const dd = f32(a11 - a22);
  const root = f32(Math.sqrt(f32(f32(dd * dd) + f32(f32(4 * a12) * a12))));
  const minEig = f32(f32(f32(a22 + a11) - root) / (2 * o.win * o.win));
  if (minEig < f32(o.minEigThreshold) || det < FLT_EPSILON) {
    if (last) st.ok = false;
    return;
  }
  iterate(J, st, last, f32(1 / det), o, s);
}

/** The Gauss-Newton steps of one level, from the estimate in `st`, with 1 / det(A) = `inv` (A in `s.a`). */
function iterate(J: PyrLevel, st: PointState, last: boolean, inv: number, o: Readonly<LkOptions>, s: Scratch): void {
  const hw = (o.win - 1) * 0.5;
  const a11 = s.a[0], a12 = s.a[1], a22 = s.a[2];
  let nx = f32(st.x - hw);
  let ny = f32(st.y - hw);
  let pdx = 0, pdy = 0;
  const eps2 = o.epsilon * o.epsilon;
  for (let j = 0; j < o.maxCount; j++) {
    const inx = Math.floor(nx);
    const iny = Math.floor(ny);
    if (outside(inx, iny, J, o.win)) {
      if (last) st.ok = false;
      return;
    }
    weights(f32(nx - inx), f32(ny - iny), s.w);
    mismatch(J, inx, iny, o.win, s);
    const b1 = s.b[0], b2 = s.b[1];
    const dx = f32(f32(f32(a12 * b2) - f32(a22 * b1)) * inv);
    const dy = f32(f32(f32(a12 * b1) - f32(a11 * b2)) * inv);
    nx = f32(nx + dx);
    ny = f32(ny + dy);
    st.x = f32(nx + hw);
    st.y = f32(ny + hw);
    if (dx * dx + dy * dy <= eps2) return;
    if (j > 0 && Math.abs(f32(dx + pdx)) < 0.01 && Math.abs(f32(dy + pdy)) < 0.01) {
      // oscillating between two positions: settle half-way
      st.x = f32(st.x - f32(dx * 0.5));
      st.y = f32(st.y - f32(dy * 0.5));
      return;
    }
    pdx = dx;
    pdy = dy;
  }
}

/**
 * The result of {@link calcOpticalFlowPyrLK}: tracked positions `[x0, y0, ...]` and a 0/1 status per point.
 *
 * @example
 * const { next, status } = calcOpticalFlowPyrLK(a, b, pts);
 * if (status[0]) console.log(next[0], next[1]);
 */
export interface FlowResult {
  next: Float32Array;
  status: Uint8Array;
}

/**
 * `cv2.calcOpticalFlowPyrLK(prev, next, pts, None)` on pyramids from `buildPyramid` (pyramid.ts, same
 * win and maxLevel): where each prev-frame point `[x0, y0, ...]` moved to in the next frame, and
 * whether it was tracked (status 0: left the frame, a flat window, or a singular system). Each point
 * is tracked coarse to fine independently, so the order of the work differs from OpenCV's
 * level-by-level loop but not the results (bit-identical to cv2 4.6.0 on 274k vtest.avi points).
 *
 * @example
 * const { next, status } = calcOpticalFlowPyrLK(buildPyramid(a), buildPyramid(b), corners);
 */
export function calcOpticalFlowPyrLK(prev: readonly PyrLevel[], next: readonly PyrLevel[], pts: Float32Array, o: Readonly<LkOptions> = LK_DEFAULTS): FlowResult {
  const n = pts.length >> 1;
  const out: FlowResult = { next: new Float32Array(n * 2), status: new Uint8Array(n) };
  const levels = Math.min(prev.length, next.length);
  const derivs = prev.slice(0, levels).map(scharrDeriv);
  const area = o.win * o.win;
  const s: Scratch = {
    iwin: new Int32Array(area), dwin: new Int32Array(area * 2), w: new Int32Array(4),
    gx: new Int32Array(o.win), gy: new Int32Array(o.win), a: new Float64Array(3), jdiff: new Int32Array(o.win), b: new Float64Array(2),
  };
  const hw = (o.win - 1) * 0.5;
  const st: PointState = { x: 0, y: 0, ok: true };
  for (let i = 0; i < n; i++) {
    st.ok = true;
    for (let level = levels - 1; level >= 0; level--) {
      const scale = f32(1 / (1 << level));
      const px = f32(pts[2 * i] * scale);
      const py = f32(pts[2 * i + 1] * scale);
      st.x = level === levels - 1 ? px : f32(st.x * 2);
      st.y = level === levels - 1 ? py : f32(st.y * 2);
      trackLevel(prev[level], derivs[level], next[level], px, py, st, level === 0, o, s);
    }
    // OpenCV's error pass re-checks the final window position (a last step can leave the frame).
    if (st.ok && outside(Math.floor(f32(st.x - hw)), Math.floor(f32(st.y - hw)), next[0], o.win)) st.ok = false;
    out.next[2 * i] = st.x;
    out.next[2 * i + 1] = st.y;
    out.status[i] = st.ok ? 1 : 0;
  }
  return out;
}
