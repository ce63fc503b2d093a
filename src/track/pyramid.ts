/**
 * The image pyramids of OpenCV 4.6's `cv2.calcOpticalFlowPyrLK`: 8-bit levels made by `cv2.pyrDown`,
 * each stored with a reflect-101 border one window wide (what `buildOpticalFlowPyramid` makes), and
 * the Scharr derivatives of a level (`calcSharrDeriv`). Browser-safe. The tracker is in `optflow.ts`.
 */
import { reflect101 } from './features.js';
import type { GreyImage } from './features.js';


/**
 * One pyramid level, padded by `border` pixels on every side. Pixel (x, y) is at
 * `(y + border) * stride + x + border`.
 *
 * @example
 * const lv = buildPyramid(grey)[1];
 * const v = lv.img[(5 + lv.border) * lv.stride + 7 + lv.border]; // pixel (7, 5) of the half-size level
 */
export interface PyrLevel {
  width: number;
  height: number;
  stride: number;
  border: number;
  /** Padded pixels (reflect-101 border), `stride * (height + 2 * border)`. */
  img: Uint8Array;
}


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
 * `cv2.buildOpticalFlowPyramid(img, (win, win), maxLevel)` without derivatives (defaults: OpenCV's 21, 3): level 0 is the image,
 * each next one its pyrDown, stopping early once the next size would be <= the window (as OpenCV does).
 *
 * @example
 * const pyr = buildPyramid(grey384x288); // 4 levels: 384x288, 192x144, 96x72, 48x36
 */
export function buildPyramid(g: GreyImage, win = 21, maxLevel = 3): PyrLevel[] {
  const levels: PyrLevel[] = [];
  let cur = g;
  for (let level = 0; level <= maxLevel; level++) {
    if (level > 0) cur = pyrDown(cur);
    levels.push(padLevel(cur, win));
    if (((cur.width + 1) >> 1) <= win || ((cur.height + 1) >> 1) <= win) break;
  }
  return levels;
}

/**
 * OpenCV's calcSharrDeriv: unnormalised Scharr [3 10 3] x [-1 0 1] derivatives (int16), reflect-101 at
 * the image edge, stored interleaved (Ix, Iy) in a layout padded like the level with zeros outside
 * the image (the LK tracker's BORDER_CONSTANT derivative frame).
 *
 * @example
 * const d = scharrDeriv(lv); // Ix of (x, y): d[2 * ((y + lv.border) * lv.stride + x + lv.border)]
 */
export function scharrDeriv(lv: PyrLevel): Int16Array {
  const { width: w, height: h, stride, border, img } = lv;
  const out = new Int16Array(stride * (h + 2 * border) * 2);
  const t0 = new Int32Array(w + 2);
  const t1 = new Int32Array(w + 2);
  for (let y = 0; y < h; y++) {
    // rows y-1, y, y+1 with OpenCV's reflect-101 (a 1-row image uses itself)
    const ym = y > 0 ? y - 1 : h > 1 ? 1 : 0;
    const yp = y < h - 1 ? y + 1 : h > 1 ? h - 2 : 0;
    const rm = (ym + border) * stride + border;
    const r0 = (y + border) * stride + border;
    const rp = (yp + border) * stride + border;
    for (let x = 0; x < w; x++) {
      t0[x + 1] = (img[rm + x] + img[rp + x]) * 3 + img[r0 + x] * 10;
      t1[x + 1] = img[rp + x] - img[rm + x];
    }
    t0[0] = t0[w > 1 ? 2 : 1];
    t1[0] = t1[w > 1 ? 2 : 1];
    t0[w + 1] = t0[w > 1 ? w - 1 : 1];
    t1[w + 1] = t1[w > 1 ? w - 1 : 1];
    let o = r0 * 2;
    for (let x = 1; x <= w; x++, o += 2) {
      out[o] = t0[x + 1] - t0[x - 1];
      out[o + 1] = (t1[x + 1] + t1[x - 1]) * 3 + t1[x] * 10;
    }
  }
  return out;
}
