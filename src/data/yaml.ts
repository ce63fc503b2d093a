import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { LeyoloError } from '../errors.js';

/** A resolved split of a dataset yaml: image entries (folders / txt lists) or a COCO json with its image folder. */
export type SplitSource = { kind: 'yolo'; entries: string[] } | { kind: 'coco'; annotations: string; images: string };

/** What `readDatasetYaml` returns. */
export interface DatasetYaml {
  names: string[];
  source: SplitSource;
}

function bad(message: string, hint: string): LeyoloError {
  return new LeyoloError('BAD_DATASET', message, hint);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * `names` as a list or an {index: name} map (keys must be 0..n-1), or `nc` alone -> class_0.. (Ultralytics).
 *
 * @example
 * parseNames({ 0: 'cat', 1: 'dog' }, undefined, 'data.yaml'); // ['cat', 'dog']
 */
export function parseNames(names: unknown, nc: unknown, file: string): string[] {
  let out: string[];
  if (Array.isArray(names)) out = names.map((n) => String(n));
  else if (isRecord(names)) {
    const keys = Object.keys(names).map(Number);
    if (keys.some((k) => !Number.isInteger(k) || k < 0 || k >= keys.length)) {
      throw bad(`${file}: names keys must be the integers 0..${keys.length - 1}, got ${Object.keys(names).join(', ')}`, 'number the classes 0, 1, 2, ... without gaps');
    }
    out = keys.sort((a, b) => a - b).map((k) => String(names[String(k)]));
  } else if (typeof nc === 'number') out = Array.from({ length: nc }, (_, i) => `class_${i}`);
  else throw bad(`${file}: no 'names' (class names)`, "add 'names: [a, b, ...]' or 'names: {0: a, 1: b}' to the yaml");
  if (typeof nc === 'number' && nc !== out.length) {
    throw bad(`${file}: nc=${nc} but ${out.length} names`, "make 'nc' match the number of 'names' (or drop 'nc')");
  }
  if (out.length === 0) throw bad(`${file}: 'names' is empty`, 'list at least one class name');
  return out;
}

/** Ultralytics: a relative entry starts at `path`; a missing `../x` falls back to `path/x`. */
function resolveEntry(root: string, x: string): string {
  const p = resolve(root, x);
  if (!existsSync(p) && x.startsWith('../')) return resolve(root, x.slice(3));
  return p;
}

function splitSource(root: string, value: unknown, split: string, file: string): SplitSource {
  if (typeof value === 'string') return { kind: 'yolo', entries: [resolveEntry(root, value)] };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return { kind: 'yolo', entries: value.map((v: string) => resolveEntry(root, v)) };
  }
  if (isRecord(value) && typeof value.annotations === 'string') {
    const images = typeof value.images === 'string' ? value.images : '.';
    return { kind: 'coco', annotations: resolve(root, value.annotations), images: resolve(root, images) };
  }
  throw bad(`${file}: '${split}' must be a folder, a list of folders, a txt file or {annotations, images}`, `fix the '${split}' entry`);
}

/**
 * Read an Ultralytics dataset yaml (parsed as data only) and resolve one split. `path` (default: the yaml's
 * folder) is relative to the yaml's folder. (Ultralytics resolves a relative `path` against its global
 * datasets dir instead; relative-to-the-yaml is what users expect here and what the project specifies.)
 *
 * @example
 * const { names, source } = await readDatasetYaml('/d/coco8.yaml', 'val');
 */
export async function readDatasetYaml(file: string, split: 'train' | 'val' | 'test'): Promise<DatasetYaml> {
  let doc: unknown;
  try {
    doc = parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw bad(`cannot read dataset yaml ${file}: ${e instanceof Error ? e.message : String(e)}`, 'check the file exists and is valid YAML');
  }
  if (!isRecord(doc)) throw bad(`${file}: not a YAML mapping`, 'a dataset yaml has keys path, train, val, names');
  const dir = dirname(resolve(file));
  const root = typeof doc.path === 'string' && doc.path.length > 0 ? (isAbsolute(doc.path) ? doc.path : resolve(dir, doc.path)) : dir;
  const names = parseNames(doc.names, doc.nc, file);
  const value = doc[split];
  if (value === undefined || value === null || value === '') {
    throw bad(`${file}: no '${split}' split`, `add '${split}: images/${split}' (a folder, list of folders or txt list) to the yaml`);
  }
  return { names, source: splitSource(root, value, split, file) };
}
