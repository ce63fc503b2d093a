import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { LeyoloError } from '../errors.js';
import { readTextFile } from '../node/fs.js';
import { MAX_CLASSES } from './labels.js';
import { datasetReadError } from './sources.js';

/** A resolved split of a dataset yaml: image entries (folders / txt lists) or a COCO json with its image folder. */
export type SplitSource = { kind: 'yolo'; entries: string[] } | { kind: 'coco'; annotations: string; images: string };

/** What `readDatasetYaml` returns. */
export interface DatasetYaml {
  names: string[];
  source: SplitSource;
}

/** Largest dataset yaml read: real ones are a few KB (ImageNet's 1000 names and its class map ~40 KB). */
export const MAX_YAML_BYTES = 1 << 20;

/** Most entries a split list may have (each is a folder or txt list). */
const MAX_SPLIT_ENTRIES = 10_000;

/**
 * Most lines + commas (an upper bound on YAML nodes) and brackets nested: the `yaml` parser spends
 * ~25 us a node and recurses per nesting level, so a 1 MB file of `a,a,a,...` or `[[[[...` would take
 * 10 s and 1 GB to refuse. 30k admits 10k class names with room; PyYAML itself stops at ~1000 levels.
 */
const MAX_YAML_NODES = 30_000;
const MAX_YAML_DEPTH = 256;

function bad(message: string, hint: string): LeyoloError {
  return new LeyoloError('BAD_DATASET', message, hint);
}

function tooMany(what: string, n: number, file: string): LeyoloError {
  return new LeyoloError('LIMIT_EXCEEDED', `${file}: ${n} ${what}, over the limit of ${MAX_CLASSES}`, 'check the dataset yaml; no real dataset has that many classes');
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Python `str(v)` of a YAML scalar, as Ultralytics `check_class_names` converts names (True -> 'True'). */
function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v); // a recursive alias: not worth more than a placeholder
  }
}

/** `names` as an {index: name} map: keys must be exactly 0..n-1 (Ultralytics check_class_names). */
function namesFromMap(names: Record<string, unknown>, file: string): string[] {
  const keys = Object.keys(names);
  if (keys.length > MAX_CLASSES) throw tooMany('names', keys.length, file);
  const idx = keys.map((k) => (/^\d{1,9}$/.test(k) ? Number(k) : NaN));
  if (idx.some((k) => !(k < keys.length))) {
    const shown = keys.slice(0, 10).join(', ') + (keys.length > 10 ? ', ...' : '');
    throw bad(`${file}: names keys must be the integers 0..${keys.length - 1}, got ${shown}`, 'number the classes 0, 1, 2, ... without gaps');
  }
  const out = new Array<string>(keys.length);
  keys.forEach((k, i) => (out[idx[i]] = pyStr(names[k])));
  return out;
}

/**
 * `names` as a list or an {index: name} map (keys must be 0..n-1), or `nc` alone -> class_0.. (Ultralytics).
 * `nc` must be a whole number; more than {@link MAX_CLASSES} classes is LIMIT_EXCEEDED (checked before
 * anything is allocated).
 *
 * @example
 * parseNames({ 0: 'cat', 1: 'dog' }, undefined, 'data.yaml'); // ['cat', 'dog']
 */
export function parseNames(names: unknown, nc: unknown, file: string): string[] {
  const hasNc = nc !== undefined && nc !== null;
  if (hasNc && !(typeof nc === 'number' && Number.isInteger(nc) && nc >= 0)) {
    throw bad(`${file}: nc must be a whole number of classes, got ${pyStr(nc).slice(0, 40)}`, "fix 'nc' (or drop it: the number of 'names' is used)");
  }
  if (typeof nc === 'number' && nc > MAX_CLASSES) throw tooMany('classes (nc)', nc, file);
  let out: string[];
  if (Array.isArray(names)) {
    if (names.length > MAX_CLASSES) throw tooMany('names', names.length, file);
    out = names.map(pyStr);
  } else if (isRecord(names)) out = namesFromMap(names, file);
  else if (names !== undefined && names !== null) {
    throw bad(`${file}: 'names' must be a list or an {index: name} map, got ${pyStr(names).slice(0, 40)}`, "write 'names: [a, b, ...]' or 'names: {0: a, 1: b}'");
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
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    if (value.length > MAX_SPLIT_ENTRIES) throw new LeyoloError('LIMIT_EXCEEDED', `${file}: '${split}' lists ${value.length} entries, over ${MAX_SPLIT_ENTRIES}`, 'list folders or txt files of images, not single images');
    return { kind: 'yolo', entries: value.map((v: string) => resolveEntry(root, v)) };
  }
  if (isRecord(value) && typeof value.annotations === 'string') {
    const images = typeof value.images === 'string' ? value.images : '.';
    return { kind: 'coco', annotations: resolve(root, value.annotations), images: resolve(root, images) };
  }
  throw bad(`${file}: '${split}' must be a folder, a list of folders, a txt file or {annotations, images}`, `fix the '${split}' entry`);
}

const HINT = 'check the file is a valid YAML dataset file (keys path, train, val, names)';

/**
 * The yaml's single document as plain data (YAML 1.2 core schema: the `yaml` package's YAML 1.1 mode reads
 * `path: .` as NaN; as PyYAML safe_load, duplicate keys are allowed with the last one winning and unknown
 * tags are refused), with typed errors: parse errors and unknown tags
 * are BAD_DATASET; nesting too deep for the parser and alias bombs (more than 100 aliases) are
 * LIMIT_EXCEEDED.
 */
/** Lines + commas, and the deepest flow nesting (quoted text and comments skipped), in one linear pass. */
function yamlShape(text: string): { nodes: number; depth: number } {
  let nodes = 0, depth = 0, max = 0, quote = 0, comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) (nodes++, (comment = false));
    if (comment) continue;
    if (quote) {
      if (c === quote) quote = 0;
      continue;
    }
    if (c === 0x2c) nodes++;
    else if (c === 0x23 && (i === 0 || text.charCodeAt(i - 1) <= 0x20)) comment = true;
    else if ((c === 0x22 || c === 0x27) && depth > 0) quote = c; // in block context ' is often an apostrophe
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return { nodes, depth: max };
}

function parseYaml(text: string, file: string): unknown {
  const limit = (why: string, cause?: unknown) => new LeyoloError('LIMIT_EXCEEDED', `${file}: ${why}`, 'check the yaml; it is corrupt or hostile', { cause });
  const shape = yamlShape(text);
  if (shape.depth > MAX_YAML_DEPTH) throw limit(`the YAML is nested too deeply (${shape.depth} levels of brackets, limit ${MAX_YAML_DEPTH})`);
  if (shape.nodes > MAX_YAML_NODES) throw limit(`the YAML has too many entries (${shape.nodes} lines and commas, limit ${MAX_YAML_NODES})`);
  const docs = parseAllDocuments(text, { uniqueKeys: false, logLevel: 'silent', prettyErrors: false });
  if (!Array.isArray(docs) || docs.length === 0) return null; // an empty stream
  if (docs.length > 1) throw new LeyoloError('BAD_DATASET', `${file}: expected a single document in the stream, found ${docs.length}`, 'remove the `---` separators: a dataset yaml is one document');
  const doc = docs[0];
  const err = doc.errors[0];
  if (err) {
    if (/call stack/i.test(err.message)) throw limit('the YAML is nested too deeply to parse', err);
    throw new LeyoloError('BAD_DATASET', `${file}: invalid YAML: ${err.message}`, HINT, { cause: err });
  }
  const tag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (tag) throw new LeyoloError('BAD_DATASET', `${file}: ${tag.message} (only plain data is read)`, 'remove the YAML tag', { cause: tag });
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof RangeError) throw limit('the YAML is nested too deeply', e);
    if (e instanceof Error && /alias/i.test(e.message)) throw limit(`too many YAML aliases (${e.message})`, e);
    throw new LeyoloError('BAD_DATASET', `${file}: invalid YAML: ${e instanceof Error ? e.message : String(e)}`, HINT, { cause: e });
  }
}

/**
 * Read an Ultralytics dataset yaml (parsed as data only, at most {@link MAX_YAML_BYTES}) and resolve
 * one split. `path` (default: the yaml's folder) is relative to the yaml's folder. (Ultralytics resolves
 * a relative `path` against its global datasets dir instead; relative-to-the-yaml is what users expect
 * here and what the project specifies.) Every failure is a LeyoloError: BAD_DATASET, or LIMIT_EXCEEDED
 * for oversized or hostile files.
 *
 * @example
 * const { names, source } = await readDatasetYaml('/d/coco8.yaml', 'val');
 */
export async function readDatasetYaml(file: string, split: 'train' | 'val' | 'test'): Promise<DatasetYaml> {
  let text: string;
  try {
    text = readTextFile(file, { what: 'dataset yaml', maxBytes: MAX_YAML_BYTES });
  } catch (e) {
    throw datasetReadError(e, `dataset yaml ${file}`, 'pass an existing, readable dataset yaml');
  }
  const doc = parseYaml(text, file);
  if (!isRecord(doc)) throw bad(`${file}: not a YAML mapping`, 'a dataset yaml has keys path, train, val, names');
  const dir = dirname(resolve(file));
  if (doc.path !== undefined && doc.path !== null && typeof doc.path !== 'string') {
    throw bad(`${file}: 'path' must be a folder path`, "fix 'path' (or drop it: the yaml's folder is used)");
  }
  const root = typeof doc.path === 'string' && doc.path.length > 0 ? (isAbsolute(doc.path) ? doc.path : resolve(dir, doc.path)) : dir;
  const names = parseNames(doc.names, doc.nc, file);
  const value = doc[split];
  if (value === undefined || value === null || value === '') {
    throw bad(`${file}: no '${split}' split`, `add '${split}: images/${split}' (a folder, list of folders or txt list) to the yaml`);
  }
  return { names, source: splitSource(root, value, split, file) };
}
