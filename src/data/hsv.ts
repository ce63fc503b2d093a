import type { RgbImage } from '../image/types.js';
import type { Rng } from './rng.js';

/**
 * Per-channel lookup tables of Ultralytics RandomHSV: gains r = 1 + U(-1, 1) * [h, s, v];
 * hue' = trunc(x * r0) mod 180, sat'/val' = trunc(clip(x * r, 0, 255)) (OpenCV 8-bit HSV: H in 0..179).
 *
 * @example
 * const [lh, ls, lv] = hsvLuts(1, 1.2, 0.8);
 */
export function hsvLuts(rh: number, rs: number, rv: number): [Uint8Array, Uint8Array, Uint8Array] {
  const lh = new Uint8Array(256), ls = new Uint8Array(256), lv = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const h = (x * rh) % 180; // numpy % keeps the sign of the divisor: r > 0 here, so h >= 0
    lh[x] = Math.trunc(h < 0 ? h + 180 : h);
    ls[x] = Math.trunc(Math.min(Math.max(x * rs, 0), 255));
    lv[x] = Math.trunc(Math.min(Math.max(x * rv, 0), 255));
  }
  return [lh, ls, lv];
}

/**
 * OpenCV-style 8-bit RGB -> HSV packed as H << 16 | S << 8 | V (H = degrees / 2 in 0..179, S and V in
 * 0..255), rounded half up like OpenCV's fixed-point tables. Each value is ONE division of integers, so
 * exact .5 ties stay exact (splitting it into two divisions rounds some ties the other way).
 */
function hsvPacked(r: number, g: number, b: number): number {
  const v = r > g ? (r > b ? r : b) : g > b ? g : b;
  const mn = r < g ? (r < b ? r : b) : g < b ? g : b;
  const diff = v - mn;
  if (diff === 0) return v;
  let h = v === r ? ((g - b) * 30) / diff : v === g ? 60 + ((b - r) * 30) / diff : 120 + ((r - g) * 30) / diff;
  if (h < 0) h += 180;
  return ((Math.round(h) % 180) << 16) | (Math.round((255 * diff) / v) << 8) | v;
}

/**
 * OpenCV-style 8-bit RGB -> HSV (H = degrees / 2, S and V in 0..255), written to out[0..2].
 *
 * @example
 * rgbToHsv(0, 0, 255, hsv); // hsv = [120, 255, 255]
 */
export function rgbToHsv(r: number, g: number, b: number, out: Uint8Array): void {
  const p = hsvPacked(r, g, b);
  out[0] = p >> 16;
  out[1] = (p >> 8) & 255;
  out[2] = p & 255;
}

/**
 * OpenCV-style 8-bit HSV -> RGB (H in 0..179), written at data[o..o+2].
 *
 * @example
 * hsvToRgb(120, 255, 255, rgb, 0); // rgb = [0, 0, 255]
 */
export function hsvToRgb(H: number, S: number, V: number, data: Uint8Array, o: number): void {
  const v = V, s = S / 255;
  if (s === 0) {
    data[o] = data[o + 1] = data[o + 2] = v;
    return;
  }
  const h = (H * 6) / 180, sector = Math.floor(h), f = h - sector;
  const p = Math.round(v * (1 - s)), q = Math.round(v * (1 - s * f)), t = Math.round(v * (1 - s * (1 - f)));
  let r: number, g: number, b: number;
  switch (sector % 6) {
    case 0: r = v; g = t; b = p; break;
    case 1: r = q; g = v; b = p; break;
    case 2: r = p; g = v; b = t; break;
    case 3: r = p; g = q; b = v; break;
    case 4: r = t; g = p; b = v; break;
    default: r = v; g = p; b = q;
  }
  data[o] = r;
  data[o + 1] = g;
  data[o + 2] = b;
}

/**
 * Ultralytics RandomHSV in place (the LUT formulation; colours go through OpenCV's 8-bit HSV, the same
 * arithmetic as rgbToHsv/hsvToRgb without the byte-array round trip, as this runs on every training pixel).
 * With all gains 0 it does nothing and draws nothing, as Ultralytics.
 *
 * @example
 * augmentHsv(img, 0.015, 0.7, 0.4, rng);
 */
export function augmentHsv(img: RgbImage, hgain: number, sgain: number, vgain: number, rng: Rng): void {
  if (!hgain && !sgain && !vgain) return;
  const rh = rng.uniform(-1, 1) * hgain + 1, rs = rng.uniform(-1, 1) * sgain + 1, rv = rng.uniform(-1, 1) * vgain + 1;
  const [lh, ls, lv] = hsvLuts(rh, rs, rv);
  const d = img.data;
  for (let o = 0; o < d.length; o += 3) {
    const p = hsvPacked(d[o], d[o + 1], d[o + 2]);
    hsvToRgb(lh[p >> 16], ls[(p >> 8) & 255], lv[p & 255], d, o);
  }
}
