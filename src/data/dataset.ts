import { lstatSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { LeyoloError, guard } from '../errors.js';
import { readRegularFileSync } from '../node/fs.js';
import { loadCocoJson } from './coco.js';
import { checkImageHeader } from './header.js';
import { MAX_CLASSES as MAX_NAMES, MAX_LABEL_BYTES, parseLabelBytes } from './labels.js';
import { img2labelPath } from './paths.js';
import { listImages, mapPool, safeStat } from './sources.js';
import type { CocoGt, Dataset, DatasetItem, DatasetProblem, LoadDatasetOptions } from './types.js';
import { readDatasetYaml } from './yaml.js';

function bad(message: string, hint: string): LeyoloError {
  return new LeyoloError('BAD_DATASET', message, hint);
}

type LabelRead = { bytes: Uint8Array } | { missing: string | undefined } | { error: string };

/**
 * The label file's bytes. Ultralytics reads a label only when `os.path.isfile(lb_file)`: anything
 * else (nothing there, a dangling link, a folder, a FIFO, a link loop) is a missing label and the
 * image a background image; we do the same but say so (`missing` holds the reason) unless the file
 * is simply absent. A regular file that cannot be read rejects the image, as Ultralytics' `open` would.
 */
function readLabel(lbFile: string): LabelRead {
  const st = safeStat(lbFile);
  if (!st) {
    const link = (() => {
      try {
        return lstatSync(lbFile, { throwIfNoEntry: false })?.isSymbolicLink() === true;
      } catch {
        return false;
      }
    })();
    return { missing: link ? 'label file is a dangling symbolic link' : undefined };
  }
  if ('error' in st) return { missing: `label path cannot be read (${st.error})` };
  if (!st.isFile()) return { missing: `label path is ${st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : 'not a regular file'}` };
  try {
    return { bytes: readRegularFileSync(lbFile, { maxBytes: MAX_LABEL_BYTES, what: 'label file' }) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** One image + its label file, verified; problems are appended, undefined means skipped. */
async function verifyPair(image: string, nc: number | undefined, problems: DatasetProblem[]): Promise<{ item?: DatasetItem; found: boolean }> {
  const h = await checkImageHeader(image);
  if (h.error) return problems.push({ file: image, reason: h.error, skipped: true }), { found: false };
  if (h.warning) problems.push({ file: image, reason: h.warning, skipped: false });
  const lbFile = img2labelPath(image);
  const background = { image, labels: [], width: h.width, height: h.height };
  const r = readLabel(lbFile);
  if ('missing' in r) {
    if (r.missing) problems.push({ file: lbFile, reason: `${r.missing}; image kept without labels (Ultralytics counts it as a missing label)`, skipped: false });
    return { item: background, found: false };
  }
  if ('error' in r) return problems.push({ file: lbFile, reason: `cannot read label file: ${r.error}`, skipped: true }), { found: true };
  const p = parseLabelBytes(r.bytes, nc);
  if (p.error) return problems.push({ file: lbFile, reason: p.error, skipped: true }), { found: true };
  if (p.duplicates) problems.push({ file: lbFile, reason: `${p.duplicates} duplicate labels removed`, skipped: false });
  return { item: { image, labels: p.labels, width: h.width, height: h.height }, found: true };
}

/** COCO ids for YOLO datasets: numeric stems when all are unique integers (pred_to_json), else 1-based index. */
function assignImageIds(items: DatasetItem[]): void {
  const stems = items.map((it) => basename(it.image, extname(it.image)));
  const ids = stems.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  const numeric = ids.every((n) => Number.isSafeInteger(n)) && new Set(ids).size === ids.length;
  items.forEach((it, i) => (it.cocoImageId = numeric ? ids[i] : i + 1));
}

async function loadYolo(images: string[], problems: DatasetProblem[], names: string[] | undefined, conc: number, where: string): Promise<Dataset> {
  const res = await mapPool(images, conc, (im) => verifyPair(im, names?.length, problems));
  const items = res.flatMap((r) => (r.item ? [r.item] : []));
  if (items.length === 0) {
    throw bad(`no usable images in ${where} (${problems.length} problems, first: ${problems[0]?.reason ?? 'none'})`, 'fix or remove the broken files listed above');
  }
  if (!res.some((r) => r.found)) {
    throw bad(`no label files found for ${where} (expected e.g. ${img2labelPath(images[0])})`, 'put YOLO labels in a labels/ folder beside images/ (same relative paths, .txt)');
  }
  // A loop, not Math.max(...all): a spread of every label overflows the stack on big datasets.
  let maxCls = -1;
  for (const it of items) for (const l of it.labels) maxCls = Math.max(maxCls, l.classId);
  const finalNames = names ?? Array.from({ length: maxCls + 1 }, (_, i) => `class${i}`);
  assignImageIds(items);
  return { names: finalNames, items, problems };
}

/** A plain folder: `dir/images/<split>` or `dir/images` if present (labels beside), else `dir` itself. */
function plainImagesDir(dir: string, split: string): string {
  for (const c of [join(dir, 'images', split), join(dir, 'images')]) {
    const st = safeStat(c);
    if (st && !('error' in st) && st.isDirectory()) return c;
  }
  return dir;
}

async function loadSpec(spec: string, opts: LoadDatasetOptions): Promise<Dataset> {
  const abs = resolve(spec);
  const conc = opts.concurrency ?? 16;
  const st = safeStat(abs);
  if (!st) throw bad(`dataset not found: ${spec}`, 'pass a dataset yaml, an images folder or a COCO json');
  if ('error' in st) throw bad(`cannot access dataset ${spec}: ${st.error}`, 'pass a dataset yaml, an images folder or a COCO json');
  const problems: DatasetProblem[] = [];
  if (st.isDirectory()) {
    const dir = plainImagesDir(abs, opts.split);
    if (opts.names && opts.names.length > MAX_NAMES) throw new LeyoloError('LIMIT_EXCEEDED', `${opts.names.length} class names, over ${MAX_NAMES}`, 'pass fewer names');
    return loadYolo(listImages([dir], problems), problems, opts.names, conc, dir);
  }
  if (/\.json$/i.test(abs)) return loadCocoJson(abs, opts.images, conc);
  if (!/\.ya?ml$/i.test(abs)) throw bad(`unsupported dataset spec: ${spec}`, 'pass a .yaml dataset file, an images folder or a COCO .json');
  const y = await readDatasetYaml(abs, opts.split);
  if (y.source.kind === 'yolo') return loadYolo(listImages(y.source.entries, problems), problems, y.names, conc, `${spec} (${opts.split})`);
  const ds = await loadCocoJson(y.source.annotations, opts.images ?? y.source.images, conc);
  if (ds.names.length !== y.names.length) {
    throw bad(`${spec}: ${y.names.length} names but ${ds.names.length} categories in ${y.source.annotations}`, "make the yaml's names match the json's categories (or drop the json's extra categories)");
  }
  return { ...ds, names: y.names };
}

/**
 * Load one split of a dataset: an Ultralytics dataset yaml, a plain folder (images/ with a sibling
 * labels/), or a COCO instances json (`opts.images` = its image folder). Broken files are reported in
 * `problems` with the reason and skipped (duplicate rows are removed, the image kept), and so are
 * FIFOs, devices, link loops and images over the pixel limit; only an unusable dataset throws
 * (BAD_DATASET, or LIMIT_EXCEEDED for oversized or hostile dataset files). Every error is a LeyoloError.
 *
 * @example
 * const ds = await loadDataset('datasets/coco8/coco8.yaml', { split: 'val' });
 * for (const p of ds.problems) console.warn(`${p.file}: ${p.reason}`);
 */
export async function loadDataset(spec: string, opts: LoadDatasetOptions): Promise<Dataset> {
  return guard(`load dataset ${spec}`, async () => {
    const ds = await loadSpec(spec, opts);
    ds.problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    return ds;
  });
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
