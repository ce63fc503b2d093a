import { open } from 'node:fs/promises';
import sharp from 'sharp';

/** Outcome of an image header check: size, and a reason when the image is unusable or suspicious. */
export interface HeaderCheck {
  width: number;
  height: number;
  /** Set when the image must be skipped. */
  error?: string;
  /** Set when the image is kept but something is off (e.g. a JPEG without its end marker that still decodes). */
  warning?: string;
}

/** sharp formats that correspond to Ultralytics IMG_FORMATS (mpo decodes as jpeg, dng as tiff). */
const OK_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'bmp']);

async function readBytes(path: string, at: 'start' | 'end', n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const len = Math.min(n, size);
    const buf = new Uint8Array(len);
    await fh.read(buf, 0, len, at === 'start' ? 0 : size - len);
    return buf;
  } finally {
    await fh.close();
  }
}

/** BMP is not a sharp input format: read width/height from its BITMAPINFOHEADER (height < 0 = top-down). */
function bmpSize(h: Uint8Array): { width: number; height: number } | undefined {
  if (h.length < 26 || h[0] !== 0x42 || h[1] !== 0x4d) return undefined;
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return { width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)) };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Ultralytics checks that a JPEG ends with FFD9 (and re-saves it if not); we keep it only if it decodes fully. */
async function jpegEndCheck(path: string): Promise<string | { warning: string } | undefined> {
  const tail = await readBytes(path, 'end', 2);
  if (tail[0] === 0xff && tail[1] === 0xd9) return undefined;
  try {
    await sharp(path).raw().toBuffer();
    return { warning: 'corrupt JPEG: no end-of-image marker, but it decodes; kept' };
  } catch (e) {
    return `corrupt JPEG: truncated (no end-of-image marker) and does not decode: ${message(e)}`;
  }
}

/**
 * Check an image the way Ultralytics `verify_image_label` does, from the header only (sharp metadata):
 * it exists, is a supported format, is at least 10x10 px; JPEGs must end with their end marker.
 * Width/height are EXIF-orientation corrected (orientations 5-8 swap them), as decoding will rotate.
 *
 * @example
 * const h = await checkImageHeader('/d/images/1.jpg'); // { width: 640, height: 480 }
 */
export async function checkImageHeader(path: string): Promise<HeaderCheck> {
  let head: Uint8Array;
  try {
    head = await readBytes(path, 'start', 26);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { width: 0, height: 0, error: code === 'ENOENT' ? 'image file not found' : `cannot read image: ${message(e)}` };
  }
  let width = 0, height = 0, format = '';
  const bmp = bmpSize(head);
  if (bmp) {
    ({ width, height } = bmp);
    format = 'bmp';
  } else {
    try {
      const m = await sharp(path).metadata();
      width = m.width ?? 0;
      height = m.height ?? 0;
      format = m.format ?? '';
      if ((m.orientation ?? 1) >= 5) [width, height] = [height, width];
    } catch (e) {
      return { width: 0, height: 0, error: `corrupt image: ${message(e)}` };
    }
  }
  if (!OK_FORMATS.has(format)) return { width, height, error: `invalid image format ${format || 'unknown'}` };
  if (width < 10 || height < 10) return { width, height, error: `image size ${width}x${height} is under 10 pixels` };
  if (format === 'jpeg') {
    const r = await jpegEndCheck(path);
    if (typeof r === 'string') return { width, height, error: r };
    if (r) return { width, height, warning: r.warning };
  }
  return { width, height };
}
