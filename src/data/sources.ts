import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { LeyoloError } from '../errors.js';
import { isImagePath } from './paths.js';

async function walk(dir: string, out: string[]): Promise<void> {
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    // Follow symlinks like Python's glob does.
    const isDir = d.isDirectory() || (d.isSymbolicLink() && (await stat(p).catch(() => undefined))?.isDirectory() === true);
    if (isDir) await walk(p, out);
    else out.push(p);
  }
}

/** Lines of an image-list txt file; `./x` and other relative lines resolve against the txt's folder. */
async function readList(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const base = dirname(file);
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => resolve(base, l));
}

/**
 * Image paths of one split entry or list of entries, as Ultralytics `get_img_files`: a folder is searched
 * recursively, a file is a txt list of image paths; only IMG_FORMATS suffixes are kept; sorted.
 * A missing entry or an empty result is a BAD_DATASET error.
 *
 * @example
 * const files = await listImages(['/d/images/train']);
 */
export async function listImages(entries: readonly string[]): Promise<string[]> {
  const all: string[] = [];
  for (const e of entries) {
    const st = await stat(e).catch(() => undefined);
    if (!st) {
      throw new LeyoloError('BAD_DATASET', `dataset path does not exist: ${e}`, 'fix the train/val/test entry of the dataset yaml (relative paths start at its `path`, default the yaml folder)');
    }
    if (st.isDirectory()) await walk(e, all);
    else all.push(...(await readList(e)));
  }
  const images = all.filter(isImagePath).sort();
  if (images.length === 0) {
    throw new LeyoloError('BAD_DATASET', `no images found in ${entries.join(', ')}`, 'image files must end in .jpg, .jpeg, .png, .bmp, .tif(f), .webp, .dng, .mpo or .pfm');
  }
  return images;
}

/**
 * Run `fn` over `items` with at most `n` in flight, keeping order of results.
 *
 * @example
 * const sizes = await mapPool(files, 16, (f) => checkImageHeader(f));
 */
export async function mapPool<T, R>(items: readonly T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
