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
import sharp from 'sharp';
import { LeyoloError, isLeyoloError } from '../errors.js';
import { MAX_BYTES, readRegularFile } from './fs.js';
import { DEFAULT_MAX_PIXELS } from '../image/limits.js';
import { expandToRgb } from '../image/raw.js';
import type { RgbImage } from '../image/types.js';
import { opt } from '../hints.js';

export { fromRaw } from '../image/raw.js';

const HINT = 'pass a readable JPEG, PNG, WebP, TIFF, GIF, AVIF or HEIF file (or its bytes)';

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /** Refuse images with more pixels than this, from the header, before decoding (default 100 M). */
  maxPixels?: number;
}

async function readInput(input: string | Uint8Array): Promise<Uint8Array> {
  if (typeof input !== 'string') return input;
  return readRegularFile(input, { maxBytes: MAX_BYTES.image, what: 'image' });
}

/**
 * The container format from the file's magic bytes, or undefined for anything cv2.imread would not
 * read as a photo (SVG, PDF, text...): those are refused before libvips sees them.
 */
export function sniffFormat(b: Uint8Array): string | undefined {
  const ascii = (at: number, s: string) => b.length >= at + s.length && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
  if (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, '\x89PNG')) return 'png';
  if (ascii(0, 'GIF8')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'II*\0') || ascii(0, 'MM\0*')) return 'tiff';
  if (ascii(4, 'ftyp')) return 'heif'; // HEIC and AVIF
  return undefined;
}

/** libvips' own messages for images over the pixel limit, as a typed error. */
function decodeError(e: unknown, what: string, maxPixels: number): LeyoloError {
  if (isLeyoloError(e)) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (/pixel limit/i.test(msg)) {
    return new LeyoloError('LIMIT_EXCEEDED', `${what}: image is over the ${(maxPixels / 1e6).toFixed(0)}-megapixel limit`, `downscale the image, or raise the limit (${opt('maxPixels')}) if you trust the file`, { cause: e });
  }
  return new LeyoloError('BAD_IMAGE', `cannot decode image ${what}: ${msg}`, HINT, { cause: e });
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
export async function decodeImage(input: string | Uint8Array, o: DecodeOptions = {}): Promise<RgbImage> {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new LeyoloError('BAD_ARGUMENT', `cannot decode a ${typeof input} as an image`, 'pass a file path, encoded image bytes (Uint8Array) or { data, width, height, channels }');
  }
  const bytes = await readInput(input);
  const what = typeof input === 'string' ? input : `${bytes.length}-byte buffer`;
  const maxPixels = o.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.length === 0) throw new LeyoloError('BAD_IMAGE', `empty image: ${what}`, HINT);
  if (!sniffFormat(bytes)) throw new LeyoloError('BAD_IMAGE', `${what} is not an image file leyolo reads (unknown or unsupported format)`, HINT);
  try {
    // failOn 'none': like libjpeg under cv2, a truncated file still decodes (warnings, not errors).
    // limitInputPixels: libvips refuses from the header, before allocating, images over the limit.
    const opts = { failOn: 'none', ignoreIcc: true, autoOrient: true, limitInputPixels: maxPixels } as const;
    // CMYK JPEGs need their own path; reading the SOF header here saves a second libvips call on the
    // hot path (sharp.metadata costs about as much as a small decode's setup).
    if (isJpeg(bytes) && jpegComponents(bytes) === 4) return await decodeCmykJpeg(bytes, maxPixels);
    const { data, info } = await sharp(bytes, opts).raw().toBuffer({ resolveWithObject: true });
    const u8 = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (info.channels === 3) return { width: info.width, height: info.height, data: u8 };
    return { width: info.width, height: info.height, data: expandToRgb(u8, info.width * info.height, info.channels) };
  } catch (e) {
    throw decodeError(e, what, maxPixels);
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
async function decodeCmykJpeg(bytes: Uint8Array, maxPixels: number): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { failOn: 'none', ignoreIcc: true, autoOrient: true, limitInputPixels: maxPixels })
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
