import { dirname, join, resolve } from 'node:path';
import { LeyoloError, guard } from '../errors.js';
import { MAX_BYTES, readRegularFileSync } from '../node/fs.js';
import { checkCocoRecords, type CocoRecords } from './coco-check.js';
import { checkImageHeader } from './header.js';
import { datasetReadError, mapPool, safeStat } from './sources.js';
import type { CocoGt, Dataset, DatasetItem, DatasetProblem, LabelBox } from './types.js';
import { opt } from '../hints.js';

/**
 * The json's content: size-checked before it is read (MAX_BYTES.json), decoded as strict UTF-8 (as
 * Python's json module reads it: a byte-order mark is an error there too), parsed; every failure typed.
 */
function readCocoDoc(file: string): unknown {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(file, { maxBytes: MAX_BYTES.json, what: 'COCO json' });
  } catch (e) {
    throw datasetReadError(e, `COCO json ${file}`, 'pass an existing COCO instances json');
  }
  const hint = 'pass a valid COCO instances json (UTF-8 JSON with images, annotations, categories)';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (e) {
    if (e instanceof RangeError) throw new LeyoloError('LIMIT_EXCEEDED', `${file}: too large to decode (${bytes.length} bytes)`, 'split the json', { cause: e });
    throw new LeyoloError('BAD_DATASET', `${file}: not valid UTF-8 text`, hint, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof RangeError) throw new LeyoloError('LIMIT_EXCEEDED', `${file}: too large or too deeply nested to parse (${e.message})`, 'check the json', { cause: e });
    throw new LeyoloError('BAD_DATASET', `${file}: invalid JSON: ${e instanceof Error ? e.message : String(e)}`, hint, { cause: e });
  }
}

/**
 * COCO bbox [x, y, w, h] (pixels, top-left) -> normalised [cx, cy, w, h], as Ultralytics `convert_coco`
 * (which drops w <= 0 or h <= 0). The box is clipped to the image first, so slightly-outside COCO boxes
 * do not become non-normalised labels. Returns undefined for degenerate boxes.
 *
 * @example
 * cocoBoxToYolo([10, 20, 100, 50], 640, 480); // [0.09375, 0.09375, 0.15625, 0.104...]
 */
export function cocoBoxToYolo(b: readonly number[], w: number, h: number): LabelBox['box'] | undefined {
  const x0 = Math.max(0, b[0]), y0 = Math.max(0, b[1]);
  const x1 = Math.min(w, b[0] + b[2]), y1 = Math.min(h, b[1] + b[3]);
  if (!(b[2] > 0 && b[3] > 0) || x1 <= x0 || y1 <= y0) return undefined;
  return [(x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h];
}

/** Non-crowd labels per image id; duplicates dropped as convert_coco does. */
function labelsByImage(js: CocoRecords, classOf: Map<number, number>): Map<number, LabelBox[]> {
  const size = new Map(js.images.map((im) => [im.id, im]));
  const out = new Map<number, LabelBox[]>();
  const seen = new Set<string>();
  for (const a of js.annotations) {
    const im = size.get(a.image_id);
    const cls = classOf.get(a.category_id);
    if (a.iscrowd || !im || cls === undefined) continue;
    const box = cocoBoxToYolo(a.bbox, im.width, im.height);
    if (!box) continue;
    const key = `${a.image_id} ${cls} ${box.join(' ')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const list = out.get(a.image_id) ?? [];
    list.push({ classId: cls, box });
    out.set(a.image_id, list);
  }
  return out;
}

/** Default image folder of a COCO json: `images/` beside it if present, else the json's folder. */
function defaultImagesDir(file: string): string {
  const beside = join(dirname(resolve(file)), 'images');
  const st = safeStat(beside);
  return st && !('error' in st) && st.isDirectory() ? beside : dirname(resolve(file));
}

/**
 * Load a COCO instances json as a Dataset: categories sorted by id become classes 0..n-1 (Ultralytics'
 * mapping; COCO's 90 'toothbrush' -> 79); crowd regions are not labels but stay in `coco` (the gt,
 * restricted to images that passed the header check) so COCOeval can ignore them as pycocotools does.
 * Broken records (null, missing or mistyped id/file_name/size/bbox, duplicate ids, references to
 * nothing) are reported in `problems` and left out (see coco-check.ts); the json's size is checked
 * before it is read. Throws only LeyoloErrors: BAD_DATASET for an unusable json, LIMIT_EXCEEDED.
 *
 * @example
 * const ds = await loadCocoJson('/d/annotations.json', '/d/images');
 */
export async function loadCocoJson(file: string, imagesDir?: string, concurrency = 16): Promise<Dataset> {
  return guard(`load COCO json ${file}`, () => loadCoco(file, imagesDir, concurrency));
}

async function loadCoco(file: string, imagesDir: string | undefined, concurrency: number): Promise<Dataset> {
  const problems: DatasetProblem[] = [];
  const js = checkCocoRecords(readCocoDoc(file), file, problems);
  const cats = [...js.categories].sort((a, b) => a.id - b.id);
  const classOf = new Map(cats.map((c, i) => [c.id, i]));
  const labels = labelsByImage(js, classOf);
  const dir = imagesDir ? resolve(imagesDir) : defaultImagesDir(file);
  const checked = await mapPool(js.images, concurrency, async (im) => {
    const image = join(dir, im.file_name);
    const h = await checkImageHeader(image);
    if (h.error) return problems.push({ file: image, reason: h.error, skipped: true }), undefined;
    if (h.warning) problems.push({ file: image, reason: h.warning, skipped: false });
    if (h.width !== im.width || h.height !== im.height) {
      problems.push({ file: image, reason: `size ${h.width}x${h.height} differs from the json's ${im.width}x${im.height}; json size used`, skipped: false });
    }
    const item: DatasetItem = { image, labels: labels.get(im.id) ?? [], cocoImageId: im.id, width: im.width, height: im.height };
    return item;
  });
  const items = checked.filter((x): x is DatasetItem => x !== undefined);
  if (items.length === 0) {
    const first = problems.find((p) => p.skipped)?.reason ?? 'none';
    throw new LeyoloError('BAD_DATASET', `no usable images for ${file} in ${dir} (first problem: ${first})`, `pass ${opt('images', "'DIR'")}: the folder holding the json file_names`);
  }
  const kept = new Set(items.map((i) => i.cocoImageId));
  const coco: CocoGt = {
    images: js.images.filter((im) => kept.has(im.id)),
    annotations: js.annotations.filter((a) => kept.has(a.image_id)),
    categories: js.categories,
  };
  return { names: cats.map((c) => c.name), items, problems, coco, categoryIds: cats.map((c) => c.id) };
}
