/**
 * Ultralytics 8.1.4 letterboxing (ultralytics/data/augment.py LetterBox and, for val,
 * BaseDataset.load_image) and the NCHW float tensor the network eats. Browser-safe.
 *
 * Modes (S = size, stride 32 by default):
 * - 'predict': `YOLO.predict()` with a .pt model: LetterBox(S, auto=True, scaleup=True): scale by
 *   r = min(S/h, S/w), resize to (round(w*r), round(h*r)) [Python round: half to even], pad only up to
 *   the next stride multiple (bus 810x1080 -> 480x640 at 640; zidane 1280x720 -> 640x384).
 * - 'square': the same but auto=False: pad to SxS (what predict does with exported models).
 * - 'val': `model.val(rect=False)`: load_image resizes the long side to S with
 *   (min(ceil(w*r), S), min(ceil(h*r), S)), r = S/max(h, w) (ceil, not round: 1 px differences), then
 *   LetterBox(S, auto=False, scaleup=False) pads to SxS.
 * - 'val-rect': `model.val()` default rect batching with batch 1: as 'val' but padded to the batch
 *   shape ceil(shape * S / stride + 0.5) * stride, shape = [h/w, 1] or [1, w/h] (e.g. 672 wide at 640).
 * Padding is centred: top = round(dh - 0.1), bottom = round(dh + 0.1) (same for left/right), value 114.
 */
import { LeyoloError } from '../errors.js';
import { resizeLinearU8 } from './resize.js';
import type { LetterboxInfo, RgbImage } from './types.js';

export type { LetterboxInfo } from './types.js';

export type LetterboxMode = 'predict' | 'square' | 'val' | 'val-rect';

export interface LetterboxOptions {
  /** Target size: S for SxS, or [h, w]. 'val' and 'val-rect' need a single S. */
  size: number | [number, number];
  mode: LetterboxMode;
  /** Model stride (32 for LeYOLO). */
  stride?: number;
}

export interface LetterboxResult {
  /** The padded image (network input, RGB HWC). */
  image: RgbImage;
  /** Scale applied to the original image (predict/square: r; val: S / max(h, w)). */
  ratio: number;
  /** Left pad in pixels. */
  padX: number;
  /** Top pad in pixels. */
  padY: number;
  /** Exactly what Ultralytics scale_boxes uses to map boxes back (see LetterboxInfo). */
  info: LetterboxInfo;
}

/** Grey 114, Ultralytics' pad value. */
export const PAD_VALUE = 114;

/**
 * Python 3 `round(x)` for a float: nearest integer, ties to even.
 *
 * @example
 * pyRound(2.5); // 2
 * pyRound(3.5); // 4
 */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for |x| < 2^52
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Non-negative modulo like numpy's np.mod on integers. */
function pyMod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/** Letterbox geometry: resized size, border widths and the resize ratio. */
export interface PadPlan {
  newW: number;
  newH: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
  r: number;
}

/**
 * LetterBox.__call__ geometry for an image of w x h into target [H, W] (`auto`: pad to the next
 * stride multiple, predict mode).
 *
 * @example
 * planLetterbox(640, 480, 320, 320, true, true, 32); // { newW: 320, newH: 240, top: 8, bottom: 8, left: 0, right: 0, r: 0.5 }
 */
export function planLetterbox(w: number, h: number, H: number, W: number, auto: boolean, scaleup: boolean, stride: number): PadPlan {
  let r = Math.min(H / h, W / w);
  if (!scaleup) r = Math.min(r, 1.0);
  // At least 1 px: an extreme aspect ratio (20000x2) would round to 0 and Ultralytics' cv2.resize fails
  // there; one row keeps such images usable (boxes map back through the same ratio).
  const newW = Math.max(1, pyRound(w * r));
  const newH = Math.max(1, pyRound(h * r));
  let dw = W - newW;
  let dh = H - newH;
  if (auto) {
    dw = pyMod(dw, stride);
    dh = pyMod(dh, stride);
  }
  dw /= 2;
  dh /= 2;
  return {
    newW,
    newH,
    top: pyRound(dh - 0.1),
    bottom: pyRound(dh + 0.1),
    left: pyRound(dw - 0.1),
    right: pyRound(dw + 0.1),
    r,
  };
}

/** cv2.copyMakeBorder(BORDER_CONSTANT, 114) of an RGB buffer. */
function padImage(src: Uint8Array, w: number, h: number, p: PadPlan): RgbImage {
  const outW = w + p.left + p.right;
  const outH = h + p.top + p.bottom;
  const data = new Uint8Array(outW * outH * 3).fill(PAD_VALUE);
  const rowBytes = w * 3;
  for (let y = 0; y < h; y++) {
    const from = y * rowBytes;
    data.set(src.subarray(from, from + rowBytes), ((y + p.top) * outW + p.left) * 3);
  }
  return { width: outW, height: outH, data };
}

/**
 * scale_boxes(ratio_pad=None) gain and pad, recomputed from shapes the way Ultralytics does.
 *
 * @example
 * scaleBoxesInfo(640, 480, 320, 256); // { ratio: 0.5, padX: 0, padY: 8, srcW: 640, srcH: 480, dstW: 320, dstH: 256 }
 */
export function scaleBoxesInfo(srcW: number, srcH: number, dstW: number, dstH: number): LetterboxInfo {
  const gain = Math.min(dstH / srcH, dstW / srcW);
  return {
    ratio: gain,
    padX: pyRound((dstW - srcW * gain) / 2 - 0.1),
    padY: pyRound((dstH - srcH * gain) / 2 - 0.1),
    srcW,
    srcH,
    dstW,
    dstH,
  };
}

/** BaseDataset.load_image(rect_mode=True): long side to S with ceil, cv2 INTER_LINEAR. */
function valLoad(img: RgbImage, S: number): { data: Uint8Array; w: number; h: number } {
  const { width: w0, height: h0 } = img;
  const r = S / Math.max(h0, w0);
  if (r === 1) return { data: img.data, w: w0, h: h0 };
  const w = Math.min(Math.ceil(w0 * r), S);
  const h = Math.min(Math.ceil(h0 * r), S);
  return { data: resizeLinearU8(img.data, w0, h0, 3, w, h), w, h };
}

/** Rect-val batch shape [H, W] for one image (BaseDataset.set_rectangle with pad 0.5). */
export function rectValShape(w0: number, h0: number, S: number, stride: number): [number, number] {
  const ar = h0 / w0;
  let shape: [number, number] = [1, 1];
  if (ar < 1) shape = [ar, 1];
  else if (ar > 1) shape = [1, 1 / ar];
  return [Math.ceil((shape[0] * S) / stride + 0.5) * stride, Math.ceil((shape[1] * S) / stride + 0.5) * stride];
}

function letterboxVal(img: RgbImage, S: number, rect: boolean, stride: number): LetterboxResult {
  const loaded = valLoad(img, S);
  const [H, W] = rect ? rectValShape(img.width, img.height, S, stride) : [S, S];
  const p = planLetterbox(loaded.w, loaded.h, H, W, false, false, stride);
  let data = loaded.data;
  if (p.newW !== loaded.w || p.newH !== loaded.h) data = resizeLinearU8(data, loaded.w, loaded.h, 3, p.newW, p.newH);
  const image = padImage(data, p.newW, p.newH, p);
  // Val's scale_boxes gets ratio_pad = ((resized_h / h0, resized_w / w0), (left, top)): gain = height ratio.
  const info: LetterboxInfo = {
    ratio: loaded.h / img.height,
    padX: p.left,
    padY: p.top,
    srcW: img.width,
    srcH: img.height,
    dstW: image.width,
    dstH: image.height,
  };
  return { image, ratio: S / Math.max(img.width, img.height), padX: p.left, padY: p.top, info };
}

/**
 * Letterboxes an RGB image the way Ultralytics 8.1.4 does for the given mode (see the module doc).
 * Byte-exact against the official preprocessing when `img` came from `decodeImage`.
 *
 * @example
 * const { image, info } = letterbox(await decodeImage('bus.jpg'), { size: 640, mode: 'predict' });
 * // image: 480x640 (WxH), info: { ratio: 0.5926, padX: 0, padY: 0, srcW: 810, srcH: 1080, ... }
 */
export function letterbox(img: RgbImage, opts: LetterboxOptions): LetterboxResult {
  const stride = opts.stride ?? 32;
  const [H, W] = typeof opts.size === 'number' ? [opts.size, opts.size] : opts.size;
  if (!(H > 0 && W > 0 && Number.isInteger(H) && Number.isInteger(W)) || !(stride > 0)) {
    throw new LeyoloError('BAD_ARGUMENT', `bad letterbox size ${String(opts.size)} / stride ${stride}`, 'pass a positive integer size, e.g. 640');
  }
  if (img.width <= 0 || img.height <= 0 || img.data.length !== img.width * img.height * 3) {
    throw new LeyoloError('BAD_IMAGE', `image buffer does not match ${img.width}x${img.height}x3`, 'build images with decodeImage() or fromRaw()');
  }
  if (opts.mode === 'val' || opts.mode === 'val-rect') {
    if (H !== W) throw new LeyoloError('BAD_ARGUMENT', `val letterbox needs a square size, got ${H}x${W}`, 'pass a single number, e.g. 640');
    return letterboxVal(img, H, opts.mode === 'val-rect', stride);
  }
  if (opts.mode !== 'predict' && opts.mode !== 'square') {
    throw new LeyoloError('BAD_ARGUMENT', `unknown letterbox mode ${String(opts.mode)}`, "use 'predict', 'square', 'val' or 'val-rect'");
  }
  const p = planLetterbox(img.width, img.height, H, W, opts.mode === 'predict', true, stride);
  const resized =
    p.newW === img.width && p.newH === img.height ? img.data : resizeLinearU8(img.data, img.width, img.height, 3, p.newW, p.newH);
  const image = padImage(resized, p.newW, p.newH, p);
  return { image, ratio: p.r, padX: p.left, padY: p.top, info: scaleBoxesInfo(img.width, img.height, image.width, image.height) };
}

let lut: Float32Array | undefined;

/**
 * RGB HWC bytes -> float32 NCHW [1, 3, H, W] in [0, 1] (x / 255 in float32, no mean/std), as
 * Ultralytics' `im.float() / 255`. Pass `out` (length 3*H*W) to reuse a buffer.
 *
 * @example
 * const input = toTensor(letterbox(img, { size: 640, mode: 'predict' }).image);
 */
export function toTensor(img: RgbImage, out?: Float32Array): Float32Array {
  const plane = img.width * img.height;
  const dst = out ?? new Float32Array(3 * plane);
  if (dst.length !== 3 * plane) {
    throw new LeyoloError('BAD_ARGUMENT', `tensor buffer has ${dst.length} floats, need ${3 * plane}`, 'allocate 3*H*W floats or omit `out`');
  }
  if (lut === undefined) {
    lut = new Float32Array(256);
    // float32(x / 255) is the correctly rounded float32 quotient (double rounding is innocuous here).
    for (let v = 0; v < 256; v++) lut[v] = v / 255;
  }
  const t = lut;
  const src = img.data;
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    dst[i] = t[src[j]];
    dst[plane + i] = t[src[j + 1]];
    dst[2 * plane + i] = t[src[j + 2]];
  }
  return dst;
}
