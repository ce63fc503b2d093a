/**
 * Image size limits, checked from the header before any pixel is decoded, so a decompression bomb
 * (a small file declaring 30000x30000 pixels) is refused instead of allocating gigabytes.
 * Browser-safe.
 */
import { LeyoloError } from '../errors.js';
import { opt } from '../hints.js';

/**
 * Default pixel limit: 100 megapixels admits any real photo (a 108 MP phone sensor is 12000x9000 =
 * 108 M; raise it with `maxPixels` for such files) while an RGB decode of it stays under 300 MB.
 */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Longest side any image may have (libvips and our resize use 32-bit coordinates). */
export const MAX_SIDE = 65_535;

/**
 * Throws LIMIT_EXCEEDED if a `width` x `height` image is over `maxPixels` or has a side over
 * {@link MAX_SIDE}; BAD_IMAGE if a side is not a positive integer.
 *
 * @example
 * checkPixels(30000, 30000, 'bomb.png'); // throws LIMIT_EXCEEDED
 */
export function checkPixels(width: number, height: number, what: string, maxPixels = DEFAULT_MAX_PIXELS): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new LeyoloError('BAD_IMAGE', `${what}: image size ${width}x${height} is not valid`, 'the image header is corrupt; re-save the image');
  }
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > maxPixels) {
    throw new LeyoloError(
      'LIMIT_EXCEEDED',
      `${what}: image is ${width}x${height} = ${(width * height / 1e6).toFixed(1)} megapixels, over the ${(maxPixels / 1e6).toFixed(0)}-megapixel limit`,
      `downscale the image, or raise the limit (${opt('maxPixels')}) if you trust the file`,
    );
  }
}
