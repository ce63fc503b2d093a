/**
 * Image types shared by decode, resize, letterbox and postprocess. Browser-safe: no Node imports.
 */

/**
 * An 8-bit RGB image, row-major HWC: `data.length === width * height * 3`, pixel (x, y) channel c
 * at `(y * width + x) * 3 + c`, channels in R, G, B order.
 *
 * @example
 * const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
 */
export interface RgbImage {
  width: number;
  height: number;
  /** RGB, HWC, 3 bytes per pixel. */
  data: Uint8Array;
}

/**
 * What postprocess needs to map boxes from letterboxed-input pixels back to original-image pixels
 * exactly like Ultralytics `scale_boxes`: `x_orig = (x_in - padX) / ratio`, `y_orig = (y_in - padY) / ratio`,
 * then clip to `[0, srcW] x [0, srcH]`.
 *
 * `ratio`/`padX`/`padY` are the values `scale_boxes` itself would use, which are not always the
 * letterbox's own scale and left/top padding:
 * - predict/square (`ratio_pad=None`): gain = min(dstH/srcH, dstW/srcW),
 *   pad = round((dst - src*gain)/2 - 0.1) with Python rounding (half to even);
 * - val (`ratio_pad` from the dataset): gain = resizedH/srcH (the HEIGHT ratio), pad = the real left/top.
 *
 * @example
 * const info: LetterboxInfo = { ratio: 0.5, padX: 0, padY: 12, srcW: 1280, srcH: 720, dstW: 640, dstH: 384 };
 * const xOrig = (100 - info.padX) / info.ratio; // 200
 */
export interface LetterboxInfo {
  /** Gain that scale_boxes divides by (input px per original px). */
  ratio: number;
  /** Horizontal pad that scale_boxes subtracts (input px). */
  padX: number;
  /** Vertical pad that scale_boxes subtracts (input px). */
  padY: number;
  /** Original (decoded) image width. */
  srcW: number;
  /** Original (decoded) image height. */
  srcH: number;
  /** Letterboxed image width = network input width. */
  dstW: number;
  /** Letterboxed image height = network input height. */
  dstH: number;
}
