import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { LeyoloError } from '../errors.js';
import { checkImageHeader } from './header.js';
import { mapPool } from './sources.js';
import type { CocoGt, Dataset, DatasetItem, DatasetProblem, LabelBox } from './types.js';

type CocoImage = CocoGt['images'][number] & { file_name: string; width: number; height: number };
type CocoAnn = CocoGt['annotations'][number];
interface CocoJson { images: CocoImage[]; annotations: CocoAnn[]; categories: { id: number; name?: string }[] }

function bad(message: string, hint: string): LeyoloError {
  return new LeyoloError('BAD_DATASET', message, hint);
}

async function readCocoJson(file: string): Promise<CocoJson> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw bad(`cannot read COCO json ${file}: ${e instanceof Error ? e.message : String(e)}`, 'pass an existing COCO instances json');
  }
  const d = doc as Partial<CocoJson> | null;
  if (!d || !Array.isArray(d.images) || !Array.isArray(d.annotations) || !Array.isArray(d.categories)) {
    throw bad(`${file}: not a COCO instances json (needs images, annotations, categories arrays)`, 'pass a COCO detection json such as instances_val2017.json');
  }
  if (d.images.length === 0) throw bad(`${file}: no images`, 'the json lists no images');
  return d as CocoJson;
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
function labelsByImage(js: CocoJson, classOf: Map<number, number>): Map<number, LabelBox[]> {
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
  return existsSync(beside) ? beside : dirname(resolve(file));
}

/**
 * Load a COCO instances json as a Dataset: categories sorted by id become classes 0..n-1 (Ultralytics'
 * mapping; COCO's 90 'toothbrush' -> 79); crowd regions are not labels but stay in `coco` (the original
 * gt, restricted to images that passed the header check) so COCOeval can ignore them as pycocotools does.
 *
 * @example
 * const ds = await loadCocoJson('/d/annotations.json', '/d/images');
 */
export async function loadCocoJson(file: string, imagesDir?: string, concurrency = 16): Promise<Dataset> {
  const js = await readCocoJson(file);
  const cats = [...js.categories].sort((a, b) => a.id - b.id);
  const classOf = new Map(cats.map((c, i) => [c.id, i]));
  const labels = labelsByImage(js, classOf);
  const dir = imagesDir ? resolve(imagesDir) : defaultImagesDir(file);
  const problems: DatasetProblem[] = [];
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
    throw bad(`no usable images for ${file} in ${dir}`, 'pass --images DIR with the folder holding the json file_names');
  }
  const kept = new Set(items.map((i) => i.cocoImageId));
  const coco: CocoGt = {
    images: js.images.filter((im) => kept.has(im.id)),
    annotations: js.annotations.filter((a) => kept.has(a.image_id)),
    categories: js.categories,
  };
  return { names: cats.map((c) => c.name ?? String(c.id)), items, problems, coco, categoryIds: cats.map((c) => c.id) };
}
