/**
 * Image decoding for Node (sharp/libvips), matching `cv2.imread(path)` (IMREAD_COLOR, OpenCV 4.6):
 * - JPEG decoded by libjpeg-turbo (sharp's mozjpeg has the same decoder: islow IDCT, fancy upsampling),
 *   byte-identical to cv2 on the Ultralytics sample images;
 * - EXIF orientation applied (cv2.imread does unless IMREAD_IGNORE_ORIENTATION);
 * - embedded ICC profiles ignored (cv2 ignores them; sharp would convert to sRGB by default);
 * - grey -> 3 equal channels; alpha dropped without compositing; 16-bit -> 8-bit by `>> 8`;
 * - CMYK JPEG converted with OpenCV's own CMYK->BGR formula (no colour management).
 * Verified byte for byte against cv2 4.6 (Debian python3-opencv) on JPEG (all 8 orientations, grey,
 * 4:4:4, progressive, ICC, CMYK, truncated), PNG (grey, 16-bit, RGBA, grey+alpha, palette, eXIf
 * orientation), WebP and TIFF. GIF decodes here although cv2 4.6 cannot read it.
 * Returns RGB (cv2 gives BGR: reverse the channels to compare).
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { LeyoloError, isLeyoloError } from '../errors.js';
import { expandToRgb } from './raw.js';
import type { RgbImage } from './types.js';

export { fromRaw } from './raw.js';

const HINT = 'pass a readable JPEG, PNG, WebP, TIFF, GIF or BMP file (or its bytes)';

async function readInput(input: string | Uint8Array): Promise<Uint8Array> {
  if (typeof input !== 'string') return input;
  try {
    return await readFile(input);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LeyoloError('FILE_NOT_FOUND', `no such image: ${input}`, 'check the path');
    throw new LeyoloError('BAD_IMAGE', `cannot read image ${input}: ${(e as Error).message}`, HINT);
  }
}

/** Bytes start like a JPEG (SOI marker). */
function isJpeg(b: Uint8Array): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/**
 * Decodes an image file (path or bytes) to 8-bit RGB the way `cv2.imread` does (see module doc).
 * Throws LeyoloError BAD_IMAGE for corrupt or unsupported data, FILE_NOT_FOUND for a missing path.
 *
 * @example
 * const img = await decodeImage('bus.jpg'); // { width: 810, height: 1080, data: Uint8Array(2624400) }
 */
export async function decodeImage(input: string | Uint8Array): Promise<RgbImage> {
  const bytes = await readInput(input);
  const what = typeof input === 'string' ? input : `${bytes.length}-byte buffer`;
  if (bytes.length === 0) throw new LeyoloError('BAD_IMAGE', `empty image: ${what}`, HINT);
  try {
    // failOn 'none': like libjpeg under cv2, a truncated file still decodes (warnings, not errors).
    const opts = { failOn: 'none', ignoreIcc: true, autoOrient: true, limitInputPixels: false } as const;
    // CMYK JPEGs need their own path; reading the SOF header here saves a second libvips call on the
    // hot path (sharp.metadata costs about as much as a small decode's setup).
    if (isJpeg(bytes) && jpegComponents(bytes) === 4) return await decodeCmykJpeg(bytes);
    const { data, info } = await sharp(bytes, opts).raw().toBuffer({ resolveWithObject: true });
    const u8 = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (info.channels === 3) return { width: info.width, height: info.height, data: u8 };
    return { width: info.width, height: info.height, data: expandToRgb(u8, info.width * info.height, info.channels) };
  } catch (e) {
    if (isLeyoloError(e)) throw e;
    throw new LeyoloError('BAD_IMAGE', `cannot decode image ${what}: ${(e as Error).message}`, HINT);
  }
}

/** Number of colour components in a JPEG's SOFn header (4 = CMYK/YCCK), or undefined if not found. */
export function jpegComponents(b: Uint8Array): number | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    // SOF0..SOF15 except DHT (c4), JPG (c8) and DAC (cc): [len:2][precision:1][h:2][w:2][components:1].
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return b[i + 9];
    if (marker === 0xda || marker === 0xd9) return undefined;
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  return undefined;
}

/**
 * True when the JPEG has an Adobe APP14 segment. libjpeg then returns inverted CMYK as stored and cv2
 * uses it as is, while libvips undoes the inversion on load; we redo it to get libjpeg's values.
 */
export function hasAdobeMarker(b: Uint8Array): boolean {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return false;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return false; // start of scan / end of image
    const len = (b[i + 2] << 8) | b[i + 3];
    if (marker === 0xee && len >= 7 && String.fromCharCode(...b.subarray(i + 4, i + 9)) === 'Adobe') return true;
    i += 2 + len;
  }
  return false;
}

/**
 * CMYK/YCCK JPEG as cv2 decodes it: libjpeg's CMYK bytes, then per pixel (OpenCV icvCvt_CMYK2BGR)
 * R = k - ((255 - c) * k >> 8), G likewise with m, B with y. No ICC colour management.
 */
async function decodeCmykJpeg(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { failOn: 'none', ignoreIcc: true, autoOrient: true, limitInputPixels: false })
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`expected 4 CMYK channels, got ${info.channels}`);
  const inv = hasAdobeMarker(bytes) ? 255 : 0;
  const n = info.width * info.height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const k = inv ^ data[4 * p + 3];
    for (let ch = 0; ch < 3; ch++) out[3 * p + ch] = k - (((255 - (inv ^ data[4 * p + ch])) * k) >> 8);
  }
  return { width: info.width, height: info.height, data: out };
}
