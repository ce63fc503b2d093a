import { statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LeyoloError, asLeyoloError, isLeyoloError } from '../errors.js';
import { readTextFile, walkFiles } from '../node/fs.js';
import { isImagePath } from './paths.js';
import type { DatasetProblem } from './types.js';

/**
 * `statSync` that never throws: the Stats, undefined when nothing is there (or a dangling link), or
 * the reason it cannot be looked at (a link loop, a NUL byte in the path, no permission, ...).
 *
 * @example
 * const st = safeStat('/d/images'); if (st instanceof Object && 'isDirectory' in st) ...
 */
export function safeStat(path: string): Stats | undefined | { error: string } {
  if (path.includes('\0')) return { error: 'the path contains a NUL byte' };
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code === 'ELOOP' ? 'symbolic link loop' : code ?? (e instanceof Error ? e.message : String(e)) };
  }
}

/** A dataset-level file that cannot be read makes the dataset unusable: BAD_DATASET (LIMIT_EXCEEDED kept), cause kept. */
export function datasetReadError(e: unknown, what: string, hint: string): LeyoloError {
  const le = asLeyoloError(e, `cannot read ${what}`);
  if (le.code === 'LIMIT_EXCEEDED') return le;
  return new LeyoloError('BAD_DATASET', le.message.startsWith('cannot read') ? le.message : `cannot read ${what}: ${le.message}`, hint, { cause: isLeyoloError(e) ? e : le });
}

/** Lines of an image-list txt file; `./x` and other relative lines resolve against the txt's folder. */
function readList(file: string): string[] {
  let text: string;
  try {
    text = readTextFile(file, { what: 'image list' });
  } catch (e) {
    throw datasetReadError(e, `image list ${file}`, 'a split entry that is a file must be a readable txt list of image paths');
  }
  const base = dirname(file);
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => resolve(base, l));
}

/** Files under a folder (symlinked folders followed once, loops reported, never recursed). */
function walk(dir: string, problems: DatasetProblem[]): string[] {
  try {
    const w = walkFiles(dir);
    for (const p of w.problems) problems.push({ file: p.file, reason: p.reason, skipped: true });
    return w.files;
  } catch (e) {
    throw datasetReadError(e, `folder ${dir}`, 'pass a smaller folder, or list the images in a txt file');
  }
}

/**
 * Image paths of one split entry or list of entries, as Ultralytics `get_img_files`: a folder is searched
 * recursively, a file is a txt list of image paths; only IMG_FORMATS suffixes are kept; sorted.
 * Folder problems (link loops, unreadable folders) are appended to `problems`. A missing entry, an
 * unreadable list or an empty result is a BAD_DATASET error.
 *
 * @example
 * const problems: DatasetProblem[] = [];
 * const files = listImages(['/d/images/train'], problems);
 */
export function listImages(entries: readonly string[], problems: DatasetProblem[]): string[] {
  const all: string[] = [];
  for (const e of entries) {
    const st = safeStat(e);
    if (!st || 'error' in st) {
      const why = st ? ` (${st.error})` : '';
      throw new LeyoloError('BAD_DATASET', `dataset path does not exist: ${e}${why}`, 'fix the train/val/test entry of the dataset yaml (relative paths start at its `path`, default the yaml folder)');
    }
    // A loop, not push(...files): spreading millions of paths overflows the argument stack.
    for (const f of st.isDirectory() ? walk(e, problems) : readList(e)) all.push(f);
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
  const k = Number.isFinite(n) ? Math.max(1, Math.floor(n)) : 16;
  await Promise.all(Array.from({ length: Math.min(k, items.length) }, worker));
  return out;
}
