/**
 * Record-by-record validation of a parsed COCO instances json. pycocotools and Ultralytics'
 * convert_coco either crash on broken records (a null annotation, a missing bbox or id) or use them
 * silently (`bbox: "abc"`, duplicate ids, categories without ids): here every broken record is
 * reported in the dataset problems and left out, so the numbers come only from records that mean
 * something. Nothing here throws except for a json that is unusable as a whole.
 */
import { LeyoloError } from '../errors.js';
import { MAX_CLASSES } from './labels.js';
import type { CocoGt, DatasetProblem } from './types.js';

/** A validated image record. */
export interface CocoImageRec {
  id: number;
  file_name: string;
  width: number;
  height: number;
}
/** A validated annotation (the fields bbox evaluation reads). */
export type CocoAnnRec = CocoGt['annotations'][number] & { iscrowd: number };
/** A validated category. */
export interface CocoCatRec {
  id: number;
  name: string;
}
/** The usable records of a COCO json. */
export interface CocoRecords {
  images: CocoImageRec[];
  annotations: CocoAnnRec[];
  categories: CocoCatRec[];
}

/** Individual reports per array before the rest are summarised in one line. */
const REPORT_CAP = 50;

/** Appends record problems to the dataset's, at most REPORT_CAP per array plus a summary. */
class Reporter {
  private counts = new Map<string, number>();
  constructor(private readonly file: string, private readonly problems: DatasetProblem[]) {}

  add(array: string, i: number, reason: string, skipped = true): void {
    const n = (this.counts.get(array) ?? 0) + 1;
    this.counts.set(array, n);
    if (n <= REPORT_CAP) this.problems.push({ file: this.file, reason: `${array}[${i}]: ${reason}${skipped ? '; left out' : ''}`, skipped });
  }

  finish(): void {
    for (const [array, n] of this.counts) {
      if (n > REPORT_CAP) this.problems.push({ file: this.file, reason: `${array}: ${n - REPORT_CAP} more records with problems (first ${REPORT_CAP} listed)`, skipped: true });
    }
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isId = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
const show = (x: unknown): string => (x === undefined ? 'missing' : (JSON.stringify(x) ?? String(x)).slice(0, 40));

function checkImage(r: unknown): CocoImageRec | string {
  if (!isRecord(r)) return `not an object (${show(r)})`;
  if (!isId(r.id)) return `id is not an integer (${show(r.id)})`;
  if (typeof r.file_name !== 'string' || r.file_name.length === 0 || r.file_name.includes('\0')) return `file_name is not a file name (${show(r.file_name)})`;
  if (!isPosInt(r.width) || !isPosInt(r.height)) return `width/height must be positive integers (got ${show(r.width)}x${show(r.height)})`;
  return { id: r.id, file_name: r.file_name, width: r.width, height: r.height };
}

function checkCategory(r: unknown): CocoCatRec | string {
  if (!isRecord(r)) return `not an object (${show(r)})`;
  if (!isId(r.id)) return `id is not an integer (${show(r.id)})`;
  return { id: r.id, name: typeof r.name === 'string' ? r.name : String(r.id) };
}

/** bbox [x, y, w, h]: four finite numbers, w and h >= 0. */
function checkBbox(b: unknown): number[] | string {
  if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) return `bbox must be 4 finite numbers [x, y, w, h] (got ${show(b)})`;
  if (b[2] < 0 || b[3] < 0) return `bbox width/height are negative (${show(b)})`;
  return b as number[];
}

/** Unique records of `arr` by id: the first of each id kept, later ones reported. */
function uniqueById<T extends { id: number }>(arr: unknown[], name: string, check: (r: unknown) => T | string, rep: Reporter): T[] {
  const out: T[] = [];
  const first = new Map<number, number>();
  arr.forEach((r, i) => {
    const c = check(r);
    if (typeof c === 'string') return rep.add(name, i, c);
    const j = first.get(c.id);
    if (j !== undefined) return rep.add(name, i, `duplicate id ${c.id} (first at ${name}[${j}])`);
    first.set(c.id, i);
    out.push(c);
  });
  return out;
}

function checkAnnotations(arr: unknown[], images: Set<number>, cats: Set<number>, rep: Reporter): CocoAnnRec[] {
  const out: CocoAnnRec[] = [];
  const seen = new Map<number, number>();
  const noId: CocoAnnRec[] = [];
  arr.forEach((r, i) => {
    if (!isRecord(r)) return rep.add('annotations', i, `not an object (${show(r)})`);
    if (r.id !== undefined && !isId(r.id)) return rep.add('annotations', i, `id is not an integer (${show(r.id)})`);
    if (isId(r.id) && seen.has(r.id)) return rep.add('annotations', i, `duplicate id ${r.id} (first at annotations[${seen.get(r.id)}])`);
    if (!isId(r.image_id) || !images.has(r.image_id)) return rep.add('annotations', i, `image_id ${show(r.image_id)} is not the id of a usable image`);
    if (!isId(r.category_id) || !cats.has(r.category_id)) return rep.add('annotations', i, `category_id ${show(r.category_id)} is not the id of a category`);
    const bbox = checkBbox(r.bbox);
    if (typeof bbox === 'string') return rep.add('annotations', i, bbox);
    const crowd = r.iscrowd ?? 0; // missing or null: not crowd (pycocotools tests its truthiness)
    if (crowd !== 0 && crowd !== 1 && typeof crowd !== 'boolean') return rep.add('annotations', i, `iscrowd must be 0 or 1 (got ${show(crowd)})`);
    let area = r.area;
    if (typeof area !== 'number' || !Number.isFinite(area) || area < 0) {
      rep.add('annotations', i, `area ${show(area)} is not a number >= 0; bbox w*h used`, false);
      area = bbox[2] * bbox[3];
    }
    const ann: CocoAnnRec = { id: isId(r.id) ? r.id : 0, image_id: r.image_id, category_id: r.category_id, bbox: [...bbox], area: area as number, iscrowd: crowd ? 1 : 0 };
    if (isId(r.id)) seen.set(r.id, i);
    else noId.push(ann);
    out.push(ann);
  });
  // Annotations without an id (pycocotools needs one) are numbered after the largest id.
  let next = 0;
  for (const id of seen.keys()) next = Math.max(next, id);
  for (const a of noId) a.id = ++next;
  return out;
}

/**
 * The usable records of a parsed COCO json, every broken record reported in `problems` (at most 50
 * per array, then a count). Throws BAD_DATASET when the json is not a COCO instances json or has no
 * usable image or category, LIMIT_EXCEEDED over {@link MAX_CLASSES} categories.
 *
 * @example
 * const recs = checkCocoRecords(JSON.parse(text), 'instances_val2017.json', problems);
 */
export function checkCocoRecords(doc: unknown, file: string, problems: DatasetProblem[]): CocoRecords {
  if (!isRecord(doc) || !Array.isArray(doc.images) || !Array.isArray(doc.annotations) || !Array.isArray(doc.categories)) {
    throw new LeyoloError('BAD_DATASET', `${file}: not a COCO instances json (needs images, annotations, categories arrays)`, 'pass a COCO detection json such as instances_val2017.json');
  }
  if (doc.categories.length > MAX_CLASSES) {
    throw new LeyoloError('LIMIT_EXCEEDED', `${file}: ${doc.categories.length} categories, over the limit of ${MAX_CLASSES}`, 'check the json; no real dataset has that many classes');
  }
  const rep = new Reporter(file, problems);
  const images = uniqueById(doc.images, 'images', checkImage, rep);
  const categories = uniqueById(doc.categories, 'categories', checkCategory, rep);
  const annotations = checkAnnotations(doc.annotations, new Set(images.map((i) => i.id)), new Set(categories.map((c) => c.id)), rep);
  rep.finish();
  if (images.length === 0) {
    throw new LeyoloError('BAD_DATASET', `${file}: no usable images (${doc.images.length} records)`, 'each image needs an integer id, a file_name and positive integer width and height');
  }
  if (categories.length === 0) throw new LeyoloError('BAD_DATASET', `${file}: no usable categories`, 'each category needs an integer id (and a name)');
  return { images, annotations, categories };
}
