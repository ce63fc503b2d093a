import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import sharp from 'sharp';
import { isLeyoloError } from '../errors.js';
import { checkPixels } from '../image/limits.js';
import { MAX_BYTES, protectInput, readRegularFileSync } from '../node/fs.js';

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

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Opens `path` for reading only if it is a regular file: non-blocking, so a FIFO never waits for a
 * writer, and checked with fstat on that same descriptor (a link to /dev/zero is refused too).
 */
function openRegular(path: string): { fd: number; size: number } | string {
  if (path.includes('\0')) return 'invalid image path (it contains a NUL byte)';
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'image file not found';
    if (code === 'ELOOP') return 'cannot read image: symbolic link loop';
    return `cannot read image: ${code ?? message(e)}`;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
      return `image path is ${kind}, not a regular file`;
    }
    if (st.size > MAX_BYTES.image) {
      closeSync(fd);
      return `image is ${st.size} bytes, over the ${MAX_BYTES.image}-byte limit`;
    }
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    return `cannot read image: ${message(e)}`;
  }
}

function readAt(fd: number, size: number, at: 'start' | 'end', n: number): Uint8Array {
  const len = Math.min(n, size);
  const buf = new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const k = readSync(fd, buf, got, len - got, (at === 'start' ? 0 : size - len) + got);
    if (k === 0) break;
    got += k;
  }
  return buf.subarray(0, got);
}

/** BMP is not a sharp input format: read width/height from its BITMAPINFOHEADER (height < 0 = top-down). */
function bmpSize(h: Uint8Array): { width: number; height: number } | undefined {
  if (h.length < 26 || h[0] !== 0x42 || h[1] !== 0x4d) return undefined;
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return { width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)) };
}

/** Full decodes (rare: JPEGs without an end marker) run one at a time, so memory stays one image's worth. */
let decodeQueue: Promise<unknown> = Promise.resolve();

/** Ultralytics checks that a JPEG ends with FFD9 (and re-saves it if not); we keep it only if it decodes fully. */
async function jpegEndCheck(path: string, tail: Uint8Array): Promise<string | { warning: string } | undefined> {
  if (tail[0] === 0xff && tail[1] === 0xd9) return undefined;
  const run = decodeQueue.then(async () => {
    try {
      // Bytes, not the path: the read refuses anything but a regular file within the size limit.
      const bytes = readRegularFileSync(path, { maxBytes: MAX_BYTES.image, what: 'image' });
      await sharp(bytes).raw().toBuffer();
      return { warning: 'corrupt JPEG: no end-of-image marker, but it decodes; kept' };
    } catch (e) {
      return `corrupt JPEG: truncated (no end-of-image marker) and does not decode: ${message(e)}`;
    }
  });
  decodeQueue = run;
  return run;
}

/** Size and format from the header: BMP by hand, the rest by sharp (which reads the header only). */
async function headerInfo(path: string, head: Uint8Array): Promise<{ width: number; height: number; format: string; orientation: number }> {
  const bmp = bmpSize(head);
  if (bmp) return { ...bmp, format: 'bmp', orientation: 1 };
  // No sharp pixel limit here (metadata decodes nothing): checkPixels gives the typed, explained refusal.
  const m = await sharp(path, { limitInputPixels: false }).metadata();
  return { width: m.width ?? 0, height: m.height ?? 0, format: m.format ?? '', orientation: m.orientation ?? 1 };
}

/**
 * Check an image the way Ultralytics `verify_image_label` does, from the header only (sharp metadata):
 * it is a regular file (never a FIFO, device or folder), a supported format, at least 10x10 px and
 * within the pixel limit (checkPixels: a 30000x30000 header is refused before any decoding); JPEGs
 * must end with their end marker. Width/height are EXIF-orientation corrected (orientations 5-8
 * swap them), as decoding will rotate. Never throws: every problem is returned as `error`.
 *
 * @example
 * const h = await checkImageHeader('/d/images/1.jpg'); // { width: 640, height: 480 }
 */
export async function checkImageHeader(path: string): Promise<HeaderCheck> {
  const opened = openRegular(path);
  if (typeof opened === 'string') return { width: 0, height: 0, error: opened };
  const { fd, size } = opened;
  let info: Awaited<ReturnType<typeof headerInfo>>;
  let tail: Uint8Array;
  try {
    protectInput(path);
    const head = readAt(fd, size, 'start', 26);
    tail = readAt(fd, size, 'end', 2);
    // The descriptor showed a regular file; sharp reads the header through the path.
    info = await headerInfo(path, head);
  } catch (e) {
    return { width: 0, height: 0, error: `corrupt image: ${message(e)}` };
  } finally {
    closeSync(fd);
  }
  let { width, height } = info;
  if (info.orientation >= 5) [width, height] = [height, width];
  if (width < 10 || height < 10) return { width, height, error: `image size ${width}x${height} is under 10 pixels` };
  try {
    checkPixels(width, height, 'image');
  } catch (e) {
    return { width, height, error: isLeyoloError(e) ? e.message.replace(/^image: /, '') : message(e) };
  }
  if (!OK_FORMATS.has(info.format)) return { width, height, error: `invalid image format ${info.format || 'unknown'}` };
  if (info.format === 'jpeg') {
    const r = await jpegEndCheck(path, tail);
    if (typeof r === 'string') return { width, height, error: r };
    if (r) return { width, height, warning: r.warning };
  }
  return { width, height };
}
