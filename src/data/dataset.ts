import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { LeyoloError } from '../errors.js';
import { loadCocoJson } from './coco.js';
import { checkImageHeader } from './header.js';
import { parseLabelText } from './labels.js';
import { img2labelPath } from './paths.js';
import { listImages, mapPool } from './sources.js';
import type { CocoGt, Dataset, DatasetItem, DatasetProblem, LoadDatasetOptions } from './types.js';
import { readDatasetYaml } from './yaml.js';

function bad(message: string, hint: string): LeyoloError {
  return new LeyoloError('BAD_DATASET', message, hint);
}

/** One image + its label file, verified; problems are appended, undefined means skipped. */
async function verifyPair(image: string, nc: number | undefined, problems: DatasetProblem[]): Promise<{ item?: DatasetItem; found: boolean }> {
  const h = await checkImageHeader(image);
  if (h.error) return problems.push({ file: image, reason: h.error, skipped: true }), { found: false };
  if (h.warning) problems.push({ file: image, reason: h.warning, skipped: false });
  const lbFile = img2labelPath(image);
  let text: string;
  try {
    text = await readFile(lbFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      problems.push({ file: lbFile, reason: `cannot read label file: ${(e as Error).message}`, skipped: true });
      return { found: false };
    }
    // Ultralytics: a missing label file means an image without objects (a background image).
    return { item: { image, labels: [], width: h.width, height: h.height }, found: false };
  }
  const p = parseLabelText(text, nc);
  if (p.error) return problems.push({ file: lbFile, reason: p.error, skipped: true }), { found: true };
  if (p.duplicates) problems.push({ file: lbFile, reason: `${p.duplicates} duplicate labels removed`, skipped: false });
  return { item: { image, labels: p.labels, width: h.width, height: h.height }, found: true };
}

/** COCO ids for YOLO datasets: numeric stems when all are unique integers (pred_to_json), else 1-based index. */
function assignImageIds(items: DatasetItem[]): void {
  const stems = items.map((it) => basename(it.image, extname(it.image)));
  const numeric = stems.every((s) => /^\d+$/.test(s)) && new Set(stems.map(Number)).size === stems.length;
  items.forEach((it, i) => (it.cocoImageId = numeric ? Number(stems[i]) : i + 1));
}

async function loadYolo(images: string[], names: string[] | undefined, conc: number, where: string): Promise<Dataset> {
  const problems: DatasetProblem[] = [];
  const res = await mapPool(images, conc, (im) => verifyPair(im, names?.length, problems));
  const items = res.flatMap((r) => (r.item ? [r.item] : []));
  if (items.length === 0) {
    throw bad(`no usable images in ${where} (${problems.length} problems, first: ${problems[0]?.reason ?? 'none'})`, 'fix or remove the broken files listed above');
  }
  if (!res.some((r) => r.found)) {
    throw bad(`no label files found for ${where} (expected e.g. ${img2labelPath(images[0])})`, 'put YOLO labels in a labels/ folder beside images/ (same relative paths, .txt)');
  }
  const maxCls = Math.max(-1, ...items.flatMap((it) => it.labels.map((l) => l.classId)));
  const finalNames = names ?? Array.from({ length: maxCls + 1 }, (_, i) => `class${i}`);
  assignImageIds(items);
  return { names: finalNames, items, problems };
}

/** A plain folder: `dir/images/<split>` or `dir/images` if present (labels beside), else `dir` itself. */
function plainImagesDir(dir: string, split: string): string {
  for (const c of [join(dir, 'images', split), join(dir, 'images')]) {
    if (existsSync(c) && statSync(c).isDirectory()) return c;
  }
  return dir;
}

/**
 * Load one split of a dataset: an Ultralytics dataset yaml, a plain folder (images/ with a sibling
 * labels/), or a COCO instances json (`opts.images` = its image folder). Broken files are reported in
 * `problems` with the reason and skipped (duplicate rows are removed, the image kept); an empty or
 * unreadable dataset throws LeyoloError('BAD_DATASET').
 *
 * @example
 * const ds = await loadDataset('datasets/coco8/coco8.yaml', { split: 'val' });
 * for (const p of ds.problems) console.warn(`${p.file}: ${p.reason}`);
 */
export async function loadDataset(spec: string, opts: LoadDatasetOptions): Promise<Dataset> {
  const abs = resolve(spec);
  const conc = opts.concurrency ?? 16;
  const st = existsSync(abs) ? statSync(abs) : undefined;
  if (!st) throw bad(`dataset not found: ${spec}`, 'pass a dataset yaml, an images folder or a COCO json');
  let ds: Dataset;
  if (st.isDirectory()) {
    const dir = plainImagesDir(abs, opts.split);
    ds = await loadYolo(await listImages([dir]), opts.names, conc, dir);
  } else if (/\.json$/i.test(abs)) {
    ds = await loadCocoJson(abs, opts.images, conc);
  } else if (/\.ya?ml$/i.test(abs)) {
    const y = await readDatasetYaml(abs, opts.split);
    ds = y.source.kind === 'coco'
      ? { ...(await loadCocoJson(y.source.annotations, opts.images ?? y.source.images, conc)), names: y.names }
      : await loadYolo(await listImages(y.source.entries), y.names, conc, `${spec} (${opts.split})`);
  } else {
    throw bad(`unsupported dataset spec: ${spec}`, 'pass a .yaml dataset file, an images folder or a COCO .json');
  }
  ds.problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return ds;
}

/** Options of `toCocoGt`. */
export interface ToCocoGtOptions {
  /** class index -> COCO category id (default: the dataset's `categoryIds`, else the class index itself). */
  categoryIds?: readonly number[];
}

/**
 * COCO-style ground truth from a dataset's YOLO labels (no crowd; area = box w*h in pixels), so COCOeval
 * can run on any dataset. Image ids are the items' `cocoImageId`; sizes come from `sizes` (keyed by image
 * path) or the item's own width/height.
 *
 * @example
 * const gt = toCocoGt(ds, new Map()); // uses the sizes recorded while loading
 */
export function toCocoGt(ds: Dataset, sizes: Map<string, { w: number; h: number }>, opts: ToCocoGtOptions = {}): CocoGt {
  const catIds = opts.categoryIds ?? ds.categoryIds ?? ds.names.map((_, i) => i);
  const gt: CocoGt = { images: [], annotations: [], categories: ds.names.map((name, i) => ({ id: catIds[i], name })) };
  ds.items.forEach((it, idx) => {
    const s = sizes.get(it.image) ?? (it.width && it.height ? { w: it.width, h: it.height } : undefined);
    if (!s) throw new LeyoloError('BAD_ARGUMENT', `no image size for ${it.image}`, 'pass its size in `sizes`');
    const id = it.cocoImageId ?? idx + 1;
    const image = { id, width: s.w, height: s.h, file_name: basename(it.image) }; // file_name: for humans reading the json
    gt.images.push(image);
    for (const l of it.labels) {
      const [cx, cy, w, h] = l.box;
      const bw = w * s.w, bh = h * s.h;
      gt.annotations.push({
        id: gt.annotations.length + 1, image_id: id, category_id: catIds[l.classId],
        bbox: [(cx - w / 2) * s.w, (cy - h / 2) * s.h, bw, bh], area: bw * bh, iscrowd: 0,
      });
    }
  });
  return gt;
}
