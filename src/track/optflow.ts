/**
 * Pyramidal Lucas-Kanade sparse optical flow as `cv2.calcOpticalFlowPyrLK(prev, next, pts, None)` does
 * it in OpenCV 4.6 with its defaults (21x21 window, maxLevel 3, 30 iterations or a 0.01 px step,
 * minEigThreshold 1e-4): 8-bit pyramids by pyrDown with a reflect-101 border of one window, Scharr
 * derivatives (int16, zero outside the image), 14-bit fixed-point bilinear weights, the same
 * integer window sums and float32 solve. Browser-safe.
 */
import { reflect101 } from './features.js';
import type { GreyImage } from './features.js';

/** One pyramid level, padded by `border` pixels on every side. Pixel (x, y) is at `(y + border) * stride + x + border`. */
export interface PyrLevel {
  width: number;
  height: number;
  stride: number;
  border: number;
  /** Padded pixels (reflect-101 border), `stride * (height + 2 * border)`. */
  img: Uint8Array;
}

/** calcOpticalFlowPyrLK settings; {@link LK_DEFAULTS} are OpenCV's. */
export interface LkOptions {
  win: number;
  maxLevel: number;
  maxCount: number;
  epsilon: number;
  minEigThreshold: number;
}

export const LK_DEFAULTS: Readonly<LkOptions> = Object.freeze({ win: 21, maxLevel: 3, maxCount: 30, epsilon: 0.01, minEigThreshold: 1e-4 });

/**
 * `cv2.pyrDown` on 8 bits: 5x5 [1 4 6 4 1]^2 / 256 Gaussian at every other pixel, reflect-101 border,
 * (sum + 128) >> 8; output ((w + 1) >> 1) x ((h + 1) >> 1).
 *
 * @example
 * pyrDown(grey384x288); // 192x144
 */
export function pyrDown(g: GreyImage): GreyImage {
  const { width: w, height: h, data } = g;
  const dw = (w + 1) >> 1;
  const dh = (h + 1) >> 1;
  const tab = new Int32Array(dw * 5);
  for (let x = 0; x < dw; x++) for (let k = 0; k < 5; k++) tab[x * 5 + k] = reflect101(2 * x - 2 + k, w);
  const rows = Array.from({ length: 5 }, () => new Int32Array(dw));
  const out = new Uint8Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    for (let k = 0; k < 5; k++) {
      const r = reflect101(2 * y - 2 + k, h) * w;
      const row = rows[k];
      for (let x = 0, t = 0; x < dw; x++, t += 5) {
        row[x] = data[r + tab[t]] + data[r + tab[t + 4]] + 4 * (data[r + tab[t + 1]] + data[r + tab[t + 3]]) + 6 * data[r + tab[t + 2]];
      }
    }
    const [r0, r1, r2, r3, r4] = rows;
    for (let x = 0; x < dw; x++) out[y * dw + x] = (r0[x] + r4[x] + 4 * (r1[x] + r3[x]) + 6 * r2[x] + 128) >> 8;
  }
  return { width: dw, height: dh, data: out };
}

/** Copies `g` into a level padded by `border` (reflect-101, like copyMakeBorder(BORDER_REFLECT_101)). */
function padLevel(g: GreyImage, border: number): PyrLevel {
  const { width: w, height: h } = g;
  const stride = w + 2 * border;
  const img = new Uint8Array(stride * (h + 2 * border));
  const xs = new Int32Array(stride);
  for (let x = 0; x < stride; x++) xs[x] = reflect101(x - border, w);
  for (let y = 0; y < h + 2 * border; y++) {
    const src = reflect101(y - border, h) * w;
    const dst = y * stride;
    for (let x = 0; x < stride; x++) img[dst + x] = g.data[src + xs[x]];
  }
  return { width: w, height: h, stride, border, img };
}

/**
 * `cv2.buildOpticalFlowPyramid(img, (win, win), maxLevel)` without derivatives: level 0 is the image,
 * each next one its pyrDown, stopping early once the next size would be <= the window (as OpenCV does).
 *
 * @example
 * const pyr = buildPyramid(grey384x288); // 4 levels: 384x288, 192x144, 96x72, 48x36
 */
export function buildPyramid(g: GreyImage, opts: Readonly<LkOptions> = LK_DEFAULTS): PyrLevel[] {
  const levels: PyrLevel[] = [];
  let cur = g;
  for (let level = 0; level <= opts.maxLevel; level++) {
    if (level > 0) cur = pyrDown(cur);
    levels.push(padLevel(cur, opts.win));
    if (((cur.width + 1) >> 1) <= opts.win || ((cur.height + 1) >> 1) <= opts.win) break;
  }
  return levels;
}

/**
 * OpenCV's calcSharrDeriv: unnormalised Scharr [3 10 3] x [-1 0 1] derivatives (int16), reflect-101 at
 * the image edge, stored interleaved (Ix, Iy) in a layout padded like the level with zeros outside
 * the image (the LK tracker's BORDER_CONSTANT derivative frame).
 */
export function scharrDeriv(lv: PyrLevel): Int16Array {
  const { width: w, height: h, stride, border, img } = lv;
  const out = new Int16Array(stride * (h + 2 * border) * 2);
  const t0 = new Int32Array(w + 2);
  const t1 = new Int32Array(w + 2);
  const at = (x: number, y: number): number => img[(y + border) * stride + x + border];
  for (let y = 0; y < h; y++) {
    const ym = y > 0 ? y - 1 : h > 1 ? 1 : 0;
    const yp = y < h - 1 ? y + 1 : h > 1 ? h - 2 : 0;
    for (let x = 0; x < w; x++) {
      t0[x + 1] = (at(x, ym) + at(x, yp)) * 3 + at(x, y) * 10;
      t1[x + 1] = at(x, yp) - at(x, ym);
    }
    t0[0] = t0[w > 1 ? 2 : 1];
    t1[0] = t1[w > 1 ? 2 : 1];
    t0[w + 1] = t0[w > 1 ? w - 1 : 1];
    t1[w + 1] = t1[w > 1 ? w - 1 : 1];
    let o = ((y + border) * stride + border) * 2;
    for (let x = 1; x <= w; x++, o += 2) {
      out[o] = t0[x + 1] - t0[x - 1];
      out[o + 1] = (t1[x + 1] + t1[x - 1]) * 3 + t1[x] * 10;
    }
  }
  return out;
}

const f32 = Math.fround;
const W_BITS = 14;
/** OpenCV's FLT_SCALE = 1 / 2^20: window sums are in 2^5-scaled pixels times 2^-W_BITS weights... */
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

/** Scratch buffers of one tracker: the prev-frame window (x32 pixels) and its derivatives. */
interface Scratch {
  iwin: Int32Array;
  dwin: Int32Array;
  w: Int32Array;
  lanes: Float64Array;
}

/**
 * Samples the prev-frame window at integer corner (ix, iy) with weights `s.w` into `s.iwin` (pixels x32)
 * and `s.dwin` (Ix, Iy), and returns the float32 gradient sums [A11, A12, A22]. The float sums follow
 * OpenCV's SSE2 loop: columns 0-15 in four lanes (lane = x % 4, multiply then add), columns 16-20 in
 * the scalar accumulator, the lanes folded as (l0 + l2) + (l1 + l3) at the end.
 */
function extractWindow(lv: PyrLevel, deriv: Int16Array, ix: number, iy: number, win: number, s: Scratch): [number, number, number] {
  const { stride, border, img } = lv;
  const [w00, w01, w10, w11] = s.w;
  const lanes = s.lanes.fill(0); // [A11 x4, A12 x4, A22 x4]
  let t11 = 0, t12 = 0, t22 = 0;
  let k = 0;
  for (let y = 0; y < win; y++) {
    let p = (y + iy + border) * stride + ix + border;
    for (let x = 0; x < win; x++, p++, k++) {
      s.iwin[k] = (img[p] * w00 + img[p + 1] * w01 + img[p + stride] * w10 + img[p + stride + 1] * w11 + 256) >> (W_BITS - 5);
      const d = 2 * p;
      const d2 = d + 2 * stride;
      const gx = (deriv[d] * w00 + deriv[d + 2] * w01 + deriv[d2] * w10 + deriv[d2 + 2] * w11 + 8192) >> W_BITS;
      const gy = (deriv[d + 1] * w00 + deriv[d + 3] * w01 + deriv[d2 + 1] * w10 + deriv[d2 + 3] * w11 + 8192) >> W_BITS;
      s.dwin[2 * k] = gx;
      s.dwin[2 * k + 1] = gy;
      if (x < 16) {
        const l = x & 3;
        lanes[l] = f32(lanes[l] + gx * gx);
        lanes[4 + l] = f32(lanes[4 + l] + gx * gy);
        lanes[8 + l] = f32(lanes[8 + l] + gy * gy);
      } else {
        t11 = f32(t11 + gx * gx);
        t12 = f32(t12 + gx * gy);
        t22 = f32(t22 + gy * gy);
      }
    }
  }
  const fold = (o: number): number => f32(f32(lanes[o] + lanes[o + 2]) + f32(lanes[o + 1] + lanes[o + 3]));
  return [f32(f32(t11 + fold(0)) * FLT_SCALE), f32(f32(t12 + fold(4)) * FLT_SCALE), f32(f32(t22 + fold(8)) * FLT_SCALE)];
}

/**
 * The mismatch vector [b1, b2] = sum (J(p) - I(p)) * [Ix, Iy] over the window, J sampled at integer
 * corner (ix, iy) with weights `s.w`. Float order of OpenCV's SSE2 loop: per row, columns 0-15 as
 * pair products (pixel i with i + 4 of each 8-column block) in eight float lanes, columns 16-20 in the
 * scalar accumulator.
 */
function mismatch(lv: PyrLevel, ix: number, iy: number, win: number, s: Scratch): [number, number] {
  const { stride, border, img } = lv;
  const [w00, w01, w10, w11] = s.w;
  const q = s.lanes.fill(0); // lanes 0-3: qb0, 4-7: qb1
  let b1 = 0, b2 = 0;
  const diff = (p: number, k: number): number =>
    ((img[p] * w00 + img[p + 1] * w01 + img[p + stride] * w10 + img[p + stride + 1] * w11 + 256) >> (W_BITS - 5)) - s.iwin[k];
  const dw = s.dwin;
  for (let y = 0; y < win; y++) {
    const row = (y + iy + border) * stride + ix + border;
    const k0 = y * win;
    for (let x0 = 0; x0 + 8 <= 16 && x0 + 8 <= win; x0 += 8) {
      for (let i = 0; i < 4; i++) {
        const ka = k0 + x0 + i;
        const kb = ka + 4;
        const da = diff(row + x0 + i, ka);
        const db = diff(row + x0 + i + 4, kb);
        // lanes: pixel i of qb0 (i < 2) or qb1 (i >= 2); Ix in even lanes, Iy in odd lanes
        const lane = (i < 2 ? 0 : 4) + (i & 1) * 2;
        q[lane] = f32(q[lane] + f32(da * dw[2 * ka] + db * dw[2 * kb]));
        q[lane + 1] = f32(q[lane + 1] + f32(da * dw[2 * ka + 1] + db * dw[2 * kb + 1]));
      }
    }
    for (let x = Math.min(16, win - (win % 8)); x < win; x++) {
      const k = k0 + x;
      const d = diff(row + x, k);
      b1 = f32(b1 + d * dw[2 * k]);
      b2 = f32(b2 + d * dw[2 * k + 1]);
    }
  }
  const x02 = f32(q[0] + q[4]);
  const x13 = f32(q[2] + q[6]);
  const y02 = f32(q[1] + q[5]);
  const y13 = f32(q[3] + q[7]);
  return [f32(f32(b1 + f32(x02 + x13)) * FLT_SCALE), f32(f32(b2 + f32(y02 + y13)) * FLT_SCALE)];
}
