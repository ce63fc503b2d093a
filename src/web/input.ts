/**
 * Browser image sources -> RgbImage (RGB, HWC, uint8 at the source's natural size). Pixels are read
 * back through one OffscreenCanvas that is reused across frames (resized only when the source size
 * changes) and one RGB buffer per size, so a video loop does not allocate per frame beyond the
 * RGBA readback that getImageData itself returns.
 */
import { LeyoloError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import type { Pixels } from './preprocess.js';

/** Everything `detect()` accepts in the browser besides a ready RgbImage. */
export type WebImageSource = HTMLImageElement | HTMLVideoElement | HTMLCanvasElement | ImageBitmap | ImageData
  | OffscreenCanvas;

/** Natural pixel size of a source (not its CSS size). */
export function sourceSize(src: WebImageSource): { width: number; height: number } {
  if (typeof HTMLImageElement !== 'undefined' && src instanceof HTMLImageElement) {
    return { width: src.naturalWidth, height: src.naturalHeight };
  }
  if (typeof HTMLVideoElement !== 'undefined' && src instanceof HTMLVideoElement) {
    return { width: src.videoWidth, height: src.videoHeight };
  }
  return { width: src.width, height: src.height };
}

/** True for the source kinds {@link ImageReader} understands. */
export function isWebImageSource(x: unknown): x is WebImageSource {
  const g = globalThis as Record<string, unknown>;
  const kinds = ['HTMLImageElement', 'HTMLVideoElement', 'HTMLCanvasElement', 'ImageBitmap', 'ImageData', 'OffscreenCanvas'];
  return kinds.some((k) => typeof g[k] === 'function' && x instanceof (g[k] as new () => unknown));
}

/**
 * Reads browser image sources into RgbImage, reusing its canvas and buffers. The returned image's
 * `data` is owned by the reader and overwritten by the next `read()` of the same size.
 *
 * @example
 * const reader = new ImageReader();
 * const rgb = reader.read(videoElement); // { width: 640, height: 480, data: Uint8Array(640*480*3) }
 */
export class ImageReader {
  private canvas: OffscreenCanvas | null = null;
  private ctx: OffscreenCanvasRenderingContext2D | null = null;
  private rgb: Uint8Array = new Uint8Array(0);

  read(src: WebImageSource): RgbImage {
    const { width, height, data } = this.readRgba(src);
    return { width, height, data: this.toRgb(data, width * height) };
  }

  /**
   * The source's RGBA pixels without the RGB copy (what the fused letterbox reads). The data is the
   * canvas readback (or the ImageData's own buffer): valid until the next read.
   */
  readRgba(src: WebImageSource): Pixels & { data: Uint8ClampedArray } {
    const { width, height } = sourceSize(src);
    if (!(width > 0 && height > 0)) {
      throw new LeyoloError('BAD_IMAGE', `image source has no pixels (${width}x${height})`,
        'wait for the image to load (img.decode()) or the video to play (loadeddata) before detect()');
    }
    const data = src instanceof ImageData ? src.data : this.readback(src, width, height);
    return { width, height, channels: 4, data };
  }

  /** Draw the source 1:1 onto the (reused) canvas and read the RGBA pixels back. */
  private readback(src: CanvasImageSource, width: number, height: number): Uint8ClampedArray {
    if (!this.canvas || !this.ctx) {
      this.canvas = new OffscreenCanvas(width, height);
      // willReadFrequently keeps the canvas on the CPU, so getImageData does not stall on a GPU readback.
      this.ctx = this.canvas.getContext('2d', { willReadFrequently: true, alpha: false });
      if (!this.ctx) throw new LeyoloError('RUNTIME', 'no 2D canvas context', 'use a browser with OffscreenCanvas');
    }
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.ctx.drawImage(src, 0, 0, width, height);
    return this.ctx.getImageData(0, 0, width, height).data;
  }

  /** RGBA [H*W*4] -> RGB [H*W*3] into the reused buffer (alpha dropped: opaque sources). */
  private toRgb(rgba: Uint8ClampedArray, n: number): Uint8Array {
    if (this.rgb.length !== n * 3) this.rgb = new Uint8Array(n * 3);
    const rgb = this.rgb;
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const k = i * 4;
      rgb[j] = rgba[k];
      rgb[j + 1] = rgba[k + 1];
      rgb[j + 2] = rgba[k + 2];
    }
    return rgb;
  }
}
