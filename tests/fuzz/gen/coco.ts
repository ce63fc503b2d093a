/**
 * COCO instances jsons through `loadDataset`: records that are null, lack or mistype fields, repeat
 * ids or point nowhere must each be reported (`images[i]: ...`) and left out while the rest load with
 * the right labels; a json unusable as a whole (not JSON, not UTF-8, no usable image or category, too
 * many categories) is a typed error. Random mutations (delete, retype, null, duplicate records) are
 * checked against an oracle that applies the record rules independently.
 */
import assert from 'node:assert/strict';
import type { Rng } from '../../../src/data/rng.js';
import type { Dataset } from '../../../src/data/types.js';
import type { FuzzCase, FuzzContext, Generator } from '../types.js';
import { IMAGES, OK, err, imageFiles, load } from './dataset.js';

type Rec = Record<string, unknown>;
interface Doc { images: unknown[]; annotations: unknown[]; categories: unknown[]; [k: string]: unknown }

const CATS = [{ id: 1, name: 'person' }, { id: 18, name: 'dog' }, { id: 3, name: 'car' }];
const IDS = { a: 36, b: 42, c: 49 } as const;

/** A valid json: images a, b, c (true sizes), two boxes on each, one crowd region on b. */
function baseDoc(): Doc {
  const images = IMAGES.map((im) => ({ id: IDS[im.name], file_name: `${im.name}.jpg`, width: im.width, height: im.height }));
  const annotations: Rec[] = [];
  let id = 1;
  for (const im of images) {
    annotations.push({ id: id++, image_id: im.id, category_id: 1, bbox: [10, 20, 100, 50], area: 5000, iscrowd: 0 });
    annotations.push({ id: id++, image_id: im.id, category_id: 3, bbox: [200, 100, 64, 32], area: 2048, iscrowd: 0 });
  }
  annotations.push({ id: id++, image_id: 42, category_id: 18, bbox: [0, 0, 300, 300], area: 90000, iscrowd: 1 });
  return { images, annotations, categories: structuredClone(CATS) };
}

const isObj = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

/** The record rules, written out independently: which records must be reported, and what stays usable. */
function oracle(doc: Doc): { bad: string[]; images: Map<number, Rec>; cats: Set<number>; anns: Rec[] } {
  const bad: string[] = [];
  const images = new Map<number, Rec>();
  doc.images.forEach((r, i) => {
    const ok = isObj(r) && isInt(r.id) && typeof r.file_name === 'string' && r.file_name.length > 0 && !r.file_name.includes('\0') && isInt(r.width) && r.width > 0 && isInt(r.height) && r.height > 0;
    if (!ok || images.has(r.id as number)) bad.push(`images[${i}]`);
    else images.set(r.id as number, r);
  });
  const cats = new Set<number>();
  doc.categories.forEach((r, i) => {
    if (!isObj(r) || !isInt(r.id) || cats.has(r.id)) bad.push(`categories[${i}]`);
    else cats.add(r.id);
  });
  const anns: Rec[] = [];
  const annIds = new Set<number>();
  doc.annotations.forEach((r, i) => {
    const b = isObj(r) ? r.bbox : undefined;
    const box = Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number' && Number.isFinite(v)) && b[2] >= 0 && b[3] >= 0;
    const ok = isObj(r) && (r.id === undefined || (isInt(r.id) && !annIds.has(r.id))) && isInt(r.image_id) && images.has(r.image_id) && isInt(r.category_id) && cats.has(r.category_id) && box
      && (r.iscrowd === undefined || r.iscrowd === null || r.iscrowd === 0 || r.iscrowd === 1 || typeof r.iscrowd === 'boolean'); // null: falsy, as pycocotools reads it
    if (!ok) return void bad.push(`annotations[${i}]`);
    if (isInt(r.id)) annIds.add(r.id);
    anns.push(r);
  });
  return { bad, images, cats, anns };
}

/** Whether the json must load (some record image exists on disk and some category is usable). */
function loadable(doc: Doc): boolean {
  const o = oracle(doc);
  return o.cats.size > 0 && [...o.images.values()].some((im) => ['a.jpg', 'b.jpg', 'c.jpg'].includes(im.file_name as string));
}

/** Checks a loaded dataset against the oracle: every bad record reported, labels as the good boxes give. */
function verify(ctx: FuzzContext, doc: Doc, ds: Dataset): void {
  const o = oracle(doc);
  const reasons = ds.problems.map((p) => p.reason);
  // The loader lists the first 50 broken records of each array, then counts the rest in one line.
  for (const arr of ['images', 'categories', 'annotations']) {
    const bads = o.bad.filter((b) => b.startsWith(`${arr}[`));
    for (const b of bads.slice(0, 50)) assert.ok(reasons.some((r) => r.startsWith(`${b}: `)), `${b} (${String(JSON.stringify(recordAt(doc, b))).slice(0, 80)}) silently accepted`);
    if (bads.length > 50) assert.ok(reasons.includes(`${arr}: ${bads.length - 50} more records with problems (first 50 listed)`), `${arr}: the rest counted`);
  }
  assert.equal(ds.names.length, o.cats.size, 'one class per usable category');
  for (const it of ds.items) {
    const im = o.images.get(it.cocoImageId ?? NaN);
    assert.ok(im, `item ${it.cocoImageId} comes from a usable image record`);
    assert.equal(it.image, `${ctx.dir}/images/${im.file_name as string}`);
    // Non-crowd boxes with area inside the image become labels (exact duplicates merged): at most that many.
    const boxes = o.anns.filter((a) => a.image_id === im.id && !a.iscrowd && (a.bbox as number[])[2] > 0 && (a.bbox as number[])[3] > 0);
    assert.ok(it.labels.length <= boxes.length, `${it.image}: ${it.labels.length} labels from ${boxes.length} boxes`);
    for (const a of boxes) {
      const [x, y, w, h] = a.bbox as number[];
      if (x < 0 || y < 0 || x + w > (im.width as number) || y + h > (im.height as number)) continue; // clipped: skip the exact check
      const want = [(x + w / 2) / (im.width as number), (y + h / 2) / (im.height as number), w / (im.width as number), h / (im.height as number)];
      // 1e-12: the loader computes (x0 + x1) / 2 / W, a different rounding order of the same value.
      assert.ok(it.labels.some((l) => l.box.every((v, k) => Math.abs(v - want[k]) < 1e-12)), `${it.image}: box ${a.bbox} has no label`);
    }
  }
  for (const a of ds.coco?.annotations ?? []) assert.ok(a.bbox.length === 4 && a.bbox.every(Number.isFinite) && Number.isFinite(a.area), 'gt annotations are well-formed');
}

/** The record `images[3]` etc. of `doc`, for messages. */
function recordAt(doc: Doc, path: string): unknown {
  const m = /^(\w+)\[(\d+)\]$/.exec(path);
  return m ? (doc[m[1]] as unknown[])[Number(m[2])] : undefined;
}

function cocoCase(name: string, doc: Doc | null, opts: { raw?: string | Uint8Array; expect?: FuzzCase['expect']; slow?: boolean; check?: (ds: Dataset, ctx: FuzzContext) => void } = {}): FuzzCase {
  const expect = opts.expect ?? (doc && loadable(doc) ? OK : err('BAD_DATASET'));
  return {
    family: 'coco', name, expect, slow: opts.slow,
    files: [{ path: 'ann.json', bytes: opts.raw ?? JSON.stringify(doc) }],
    run: async (ctx) => {
      const ds = await load(ctx, 'ann.json');
      if (doc) verify(ctx, doc, ds);
      opts.check?.(ds, ctx);
    },
  };
}

function edit(fn: (d: Doc) => void): Doc {
  const d = baseDoc();
  fn(d);
  return d;
}

function handCases(): FuzzCase[] {
  const ann = (d: Doc, i: number) => d.annotations[i] as Rec;
  const im = (d: Doc, i: number) => d.images[i] as Rec;
  return [
    cocoCase('valid', baseDoc(), { check: (ds) => assert.equal(ds.items.reduce((s, it) => s + it.labels.length, 0), 6) }),
    cocoCase('annotation-null', edit((d) => (d.annotations[0] = null))),
    cocoCase('annotation-no-bbox', edit((d) => delete ann(d, 1).bbox)),
    cocoCase('bbox-string', edit((d) => (ann(d, 2).bbox = 'abc'))),
    cocoCase('bbox-three-numbers', edit((d) => (ann(d, 2).bbox = [1, 2, 3]))),
    cocoCase('bbox-string-number', edit((d) => (ann(d, 2).bbox = [1, 2, '3', 4]))),
    cocoCase('bbox-negative-width', edit((d) => (ann(d, 2).bbox = [1, 2, -3, 4]))),
    cocoCase('bbox-huge', edit((d) => (ann(d, 2).bbox = [1, 2, 1e308, 1e308])), { check: (ds) => assert.ok(ds.items.every((it) => it.labels.every((l) => l.box.every(Number.isFinite)))) }),
    cocoCase('annotation-unknown-image', edit((d) => (ann(d, 3).image_id = 999))),
    cocoCase('annotation-unknown-category', edit((d) => (ann(d, 3).category_id = 77))),
    cocoCase('annotation-duplicate-id', edit((d) => (ann(d, 3).id = 1))),
    cocoCase('annotation-iscrowd-string', edit((d) => (ann(d, 3).iscrowd = 'yes'))),
    cocoCase('annotation-no-id-no-area', edit((d) => { delete ann(d, 4).id; delete ann(d, 4).area; })),
    cocoCase('image-null', edit((d) => (d.images[0] = null))),
    cocoCase('image-no-file-name', edit((d) => delete im(d, 0).file_name)),
    cocoCase('image-no-width-height', edit((d) => { delete im(d, 1).width; delete im(d, 1).height; })),
    cocoCase('image-duplicate-id', edit((d) => d.images.push({ ...im(d, 0), file_name: 'b.jpg' }))),
    cocoCase('image-string-id', edit((d) => (im(d, 2).id = '49'))),
    cocoCase('image-missing-file', edit((d) => (im(d, 2).file_name = 'nope.jpg')), { check: (ds, ctx) => assert.ok(ds.problems.some((p) => p.file === `${ctx.dir}/images/nope.jpg`)) }),
    cocoCase('image-wrong-size', edit((d) => (im(d, 0).width = 100)), { check: (ds) => assert.ok(ds.problems.some((p) => /differs from the json's 100x640/.test(p.reason))) }),
    cocoCase('category-no-id', edit((d) => delete (d.categories[1] as Rec).id)),
    cocoCase('category-duplicate-id', edit((d) => d.categories.push({ id: 1, name: 'again' }))),
    cocoCase('category-null', edit((d) => (d.categories[0] = null))),
    cocoCase('all-images-broken', edit((d) => (d.images = [null, 1, 'x']))),
    cocoCase('no-categories', edit((d) => (d.categories = []))),
    cocoCase('categories-over-limit', edit((d) => (d.categories = Array.from({ length: 10_001 }, (_, i) => ({ id: i })))), { expect: err('LIMIT_EXCEEDED') }),
    cocoCase('not-json', null, { raw: '{"images": [', expect: err('BAD_DATASET') }),
    cocoCase('bom', null, { raw: `\ufeff${JSON.stringify(baseDoc())}`, expect: err('BAD_DATASET') }),
    cocoCase('bad-utf8', null, { raw: new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), expect: err('BAD_DATASET') }),
    cocoCase('json-null', null, { raw: 'null', expect: err('BAD_DATASET') }),
    cocoCase('json-array', null, { raw: '[]', expect: err('BAD_DATASET') }),
    cocoCase('json-nan', null, { raw: '{"images": [], "annotations": [NaN], "categories": []}', expect: err('BAD_DATASET') }),
    cocoCase('deep-nesting', null, { raw: `{"images": ${'['.repeat(300_000)}${']'.repeat(300_000)}}`, expect: err('BAD_DATASET') }),
    cocoCase('many-annotations', edit((d) => {
      for (let i = 0; i < 100_000; i++) d.annotations.push({ id: 1000 + i, image_id: 36, category_id: 1, bbox: [i % 400, i % 600, 5, 5], area: 25, iscrowd: 0 });
    }), { slow: true }),
    cocoCase('many-bad-annotations', edit((d) => { for (let i = 0; i < 20_000; i++) d.annotations.push(null); }), {
      check: (ds) => assert.ok(ds.problems.length < 100 && ds.problems.some((p) => /19950 more records/.test(p.reason)), 'reports capped'),
    }),
  ];
}

const VALUES: unknown[] = [null, 'abc', '', -1, 0, 1.5, 1e300, true, false, [], {}, [1, 2, 3, 4], '\0', 36, 1];
const FIELDS: Record<string, string[]> = {
  images: ['id', 'file_name', 'width', 'height'],
  annotations: ['id', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd'],
  categories: ['id', 'name'],
};

/** A fresh copy of a random value (the pool's objects are never shared between records). */
const value = (rng: Rng): unknown => structuredClone(VALUES[rng.int(VALUES.length)]);

function mutateDoc(rng: Rng, d: Doc): void {
  const k = 1 + rng.int(3);
  for (let m = 0; m < k; m++) {
    const arr = (['images', 'annotations', 'annotations', 'categories'] as const)[rng.int(4)];
    const list = d[arr];
    const i = rng.int(list.length);
    const rec = list[i];
    const field = FIELDS[arr][rng.int(FIELDS[arr].length)];
    switch (rng.int(6)) {
      case 0: if (isObj(rec)) delete rec[field]; break;
      case 1: if (isObj(rec)) rec[field] = value(rng); break;
      case 2: list[i] = value(rng); break;
      case 3: list.push(structuredClone(rec) ?? null); break;
      case 4: if (isObj(rec) && Array.isArray(rec.bbox)) (rec.bbox as unknown[])[rng.int(4)] = value(rng); break;
      default: list.splice(i, 1);
    }
  }
}

function randomCases(rng: Rng, n: number): FuzzCase[] {
  return Array.from({ length: n * 3 }, (_, i) => {
    const d = baseDoc();
    mutateDoc(rng, d);
    return cocoCase(`random-${i}`, d);
  });
}

/** COCO jsons (see the module comment). */
export const cocoGenerator: Generator = {
  family: 'coco',
  cases(rng, n, shared) {
    const img = imageFiles(shared);
    return [...handCases(), ...randomCases(rng, n)].map((c) => ({ ...c, files: [...img, ...(c.files ?? [])] }));
  },
};
