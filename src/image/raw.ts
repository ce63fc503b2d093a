/**
 * Raw pixel buffers -> RgbImage. Browser-safe (no Node imports): use it for canvas `ImageData`,
 * video frames or any decoder of your own.
 */
import { LeyoloError } from '../errors.js';
import type { RgbImage } from './types.js';

/**
 * Wraps a raw 8-bit buffer (HWC, 1 = grey, 3 = RGB, 4 = RGBA) as an RgbImage. Grey is replicated to
 * three channels and alpha is dropped without compositing, as `cv2.imread(IMREAD_COLOR)` does.
 * A 3-channel input is wrapped without copying (the image shares its memory).
 *
 * @example
 * const ctx = canvas.getContext('2d')!;
 * const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
 * const img = fromRaw(data, width, height, 4);
 */
export function fromRaw(
  data: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new LeyoloError('BAD_ARGUMENT', `bad raw image size ${width}x${height}`, 'width and height must be positive integers');
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new LeyoloError('BAD_ARGUMENT', `unsupported channel count ${String(channels)}`, 'pass 1 (grey), 3 (RGB) or 4 (RGBA)');
  }
  const n = width * height;
  if (data.length !== n * channels) {
    throw new LeyoloError(
      'BAD_ARGUMENT',
      `raw buffer has ${data.length} bytes, expected ${width}x${height}x${channels} = ${n * channels}`,
      'check width, height and channels (HWC layout, no row padding)',
    );
  }
  const src = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (channels === 3) return { width, height, data: src };
  return { width, height, data: expandToRgb(src, n, channels) };
}

/** Packs n pixels of `channels` interleaved bytes (1: grey, 2: grey+alpha, 4: RGBA) into RGB. */
export function expandToRgb(src: Uint8Array, n: number, channels: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  if (channels === 1 || channels === 2) {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      const v = src[j];
      out[3 * i] = v;
      out[3 * i + 1] = v;
      out[3 * i + 2] = v;
    }
  } else {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      out[3 * i] = src[j];
      out[3 * i + 1] = src[j + 1];
      out[3 * i + 2] = src[j + 2];
    }
  }
  return out;
}
