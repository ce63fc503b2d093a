/**
 * Dataset folders through `loadDataset`: hostile entries (FIFOs, devices, link loops, dangling links,
 * folders where files belong, pixel bombs, deep trees) are per-file problems, reported while the good
 * images load; a dataset unusable as a whole is a typed error. Also the helpers the labels, coco and
 * yaml generators share (small sandboxes built from three coco8 images).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ErrorCode } from '../../../src/errors.js';
import { loadDataset } from '../../../src/data/dataset.js';
import type { Dataset, LoadDatasetOptions } from '../../../src/data/types.js';
import type { Rng } from '../../../src/data/rng.js';
import { sharedFile } from '../fixtures.js';
import { pngBomb } from '../png.js';
import type { FuzzCase, FuzzContext, FuzzFile, Generator } from '../types.js';

/** Three coco8 val images as a, b, c with their true sizes (from their headers). */
export const IMAGES = [
  { name: 'a', src: '000000000036.jpg', width: 481, height: 640 },
  { name: 'b', src: '000000000042.jpg', width: 640, height: 478 },
  { name: 'c', src: '000000000049.jpg', width: 381, height: 500 },
] as const;

/** The image files `dir/a.jpg`, `dir/b.jpg`, `dir/c.jpg` (bytes of coco8 val images). */
export function imageFiles(shared: string, dir = 'images', names: readonly string[] = ['a', 'b', 'c']): FuzzFile[] {
  return IMAGES.filter((im) => names.includes(im.name)).map((im) => ({ path: `${dir}/${im.name}.jpg`, bytes: sharedFile(shared, `datasets/coco8/images/val/${im.src}`) }));
}

/** Loads `spec` (relative to the sandbox) and checks the invariants every loaded dataset must hold. */
export async function load(ctx: FuzzContext, spec: string, opts: Partial<LoadDatasetOptions> = {}): Promise<Dataset> {
  const ds = await loadDataset(join(ctx.dir, spec), { split: 'val', ...opts });
  assertSane(ds);
  return ds;
}

/** Every label has an integer class with a name and a finite box in 0..1; sizes are positive; reasons are set. */
export function assertSane(ds: Dataset): void {
  assert.ok(ds.names.length > 0 && ds.names.every((n) => typeof n === 'string'), 'names are strings');
  assert.ok(ds.items.length > 0, 'a loaded dataset has items');
  for (const it of ds.items) {
    assert.ok((it.width ?? 0) > 0 && (it.height ?? 0) > 0, `${it.image}: size known`);
    for (const l of it.labels) {
      assert.ok(Number.isInteger(l.classId) && l.classId >= 0 && l.classId < ds.names.length, `${it.image}: class ${l.classId} of ${ds.names.length}`);
      assert.ok(l.box.every((v) => Number.isFinite(v) && v >= 0 && v <= 1), `${it.image}: box ${l.box.join(' ')}`);
    }
  }
  for (const p of ds.problems) assert.ok(typeof p.reason === 'string' && p.reason.length > 0, `${p.file}: a problem has a reason`);
}

/** The problem reported for `rel` (relative to the sandbox), asserted present (and matching `re`, `skipped`). */
export function assertReported(ctx: FuzzContext, ds: Dataset, rel: string, re?: RegExp, skipped?: boolean): void {
  const p = ds.problems.find((x) => x.file === join(ctx.dir, rel));
  assert.ok(p, `${rel} silently accepted: no problem reported (problems: ${ds.problems.map((x) => `${x.file}: ${x.reason}`).join(' | ').slice(0, 300)})`);
  if (re) assert.match(p.reason, re, rel);
  if (skipped !== undefined) assert.equal(p.skipped, skipped, `${rel}: skipped`);
}

/** The images (relative paths) the dataset kept, sorted. */
export function kept(ctx: FuzzContext, ds: Dataset): string[] {
  return ds.items.map((i) => i.image.slice(ctx.dir.length + 1)).sort();
}

export const err = (...codes: ErrorCode[]): FuzzCase['expect'] => ({ kind: 'error', codes });
export const OK: FuzzCase['expect'] = { kind: 'ok' };

const GOOD_LABEL = '0 0.5 0.5 0.2 0.2\n1 0.25 0.25 0.1 0.1\n';
const YAML = 'path: .\nval: images\nnames: [c0, c1, c2]\n';

/** A folder dataset (images a, b, c with good labels) plus `extra` entries; `bad` are the entries that must be reported. */
function folderCase(name: string, shared: string, extra: FuzzFile[], bad: [string, RegExp][], opts: { keep?: string[]; slow?: boolean } = {}): FuzzCase {
  const files: FuzzFile[] = [...imageFiles(shared), ...['a', 'b', 'c'].map((n) => ({ path: `labels/${n}.txt`, bytes: GOOD_LABEL })), { path: 'data.yaml', bytes: YAML }, ...extra];
  return {
    family: 'dataset', name, files, expect: OK, slow: opts.slow,
    run: async (ctx) => {
      const ds = await load(ctx, 'data.yaml');
      for (const [rel, re] of bad) assertReported(ctx, ds, rel, re);
      const want = opts.keep ?? ['images/a.jpg', 'images/b.jpg', 'images/c.jpg'];
      for (const k of want) assert.ok(kept(ctx, ds).includes(k), `${k} was not loaded`);
      for (const k of ['a', 'b', 'c']) assert.equal(ds.items.find((i) => i.image.endsWith(`images/${k}.jpg`))?.labels.length, 2, `${k}: its 2 labels`);
    },
  };
}

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="30000" height="30000"><rect width="9" height="9"/></svg>';

/** One hostile entry: the files that make it, and the path + reason that must be reported. */
type Entry = { files: FuzzFile[]; bad: [string, RegExp][] };
function entries(shared: string): Record<string, Entry> {
  const jpg = sharedFile(shared, 'datasets/coco8/images/val/000000000036.jpg');
  return {
    'fifo-image': { files: [{ path: 'images/pipe.jpg', fifo: true }], bad: [['images/pipe.jpg', /FIFO/]] },
    'fifo-label': { files: [{ path: 'images/pl.jpg', bytes: jpg }, { path: 'labels/pl.txt', fifo: true }], bad: [['labels/pl.txt', /FIFO/]] },
    'dev-zero-image': { files: [{ path: 'images/zero.jpg', symlink: '/dev/zero' }], bad: [['images/zero.jpg', /device/]] },
    'dev-zero-label': { files: [{ path: 'images/zl.jpg', bytes: jpg }, { path: 'labels/zl.txt', symlink: '/dev/zero' }], bad: [['labels/zl.txt', /not a regular file/]] },
    'dangling-image': { files: [{ path: 'images/gone.jpg', symlink: 'nowhere.jpg' }], bad: [['images/gone.jpg', /not found/]] },
    'dangling-label': { files: [{ path: 'images/dl.jpg', bytes: jpg }, { path: 'labels/dl.txt', symlink: 'nowhere.txt' }], bad: [['labels/dl.txt', /dangling/]] },
    'link-loop-image': { files: [{ path: 'images/la.jpg', symlink: 'lb.jpg' }, { path: 'images/lb.jpg', symlink: 'la.jpg' }], bad: [['images/la.jpg', /ELOOP|loop/], ['images/lb.jpg', /ELOOP|loop/]] },
    'link-loop-label': { files: [{ path: 'images/ll.jpg', bytes: jpg }, { path: 'labels/ll.txt', symlink: 'll.txt' }], bad: [['labels/ll.txt', /loop/]] },
    'folder-loop': { files: [{ path: 'images/sub/up', symlink: '..' }], bad: [['images/sub/up', /already visited/]] },
    'folder-self-link': { files: [{ path: 'images/self', symlink: '.' }], bad: [['images/self', /already visited/]] },
    'folder-as-image': { files: [{ path: 'images/dir.jpg', dir: true }, { path: 'images/dir.jpg/x.txt', bytes: 'x' }], bad: [] },
    'folder-as-label': { files: [{ path: 'images/fl.jpg', bytes: jpg }, { path: 'labels/fl.txt', dir: true }], bad: [['labels/fl.txt', /folder/]] },
    'png-bomb': { files: [{ path: 'images/bomb.png', bytes: pngBomb(30000, 30000) }], bad: [['images/bomb.png', /over the 100-megapixel limit/]] },
    'png-bomb-wide': { files: [{ path: 'images/wide.png', bytes: pngBomb(1, 2_000_000_000) }], bad: [['images/wide.png', /limit|corrupt|under 10 pixels/]] },
    'svg-bomb-as-png': { files: [{ path: 'images/svg.png', bytes: SVG }], bad: [['images/svg.png', /over the 100-megapixel limit/]] },
    'empty-image': { files: [{ path: 'images/empty.jpg', bytes: new Uint8Array() }], bad: [['images/empty.jpg', /corrupt/]] },
    'text-as-image': { files: [{ path: 'images/notes.png', bytes: 'hello' }], bad: [['images/notes.png', /corrupt/]] },
    'truncated-jpeg': { files: [{ path: 'images/cut.jpg', bytes: jpg.subarray(0, 600) }], bad: [['images/cut.jpg', /corrupt|truncated/]] },
    'tiny-image': { files: [{ path: 'images/tiny.png', bytes: pngBomb(5, 5) }], bad: [['images/tiny.png', /under 10 pixels|corrupt/]] },
  };
}

function handCases(shared: string): FuzzCase[] {
  const out: FuzzCase[] = [];
  for (const [name, e] of Object.entries(entries(shared))) out.push(folderCase(name, shared, e.files, e.bad));
  // 80 nested folders: deeper than walkFiles' 64 is reported, the rest walked.
  const deep = `images/${Array.from({ length: 80 }, (_, i) => `d${i}`).join('/')}`;
  out.push(folderCase('deep-folders', shared, [{ path: `${deep}/x.jpg`, bytes: 'x' }], [[`${'images/' + Array.from({ length: 65 }, (_, i) => `d${i}`).join('/')}`, /deeper than 64/]]));
  out.push(folderCase('many-non-images', shared, Array.from({ length: 2000 }, (_, i) => ({ path: `images/n${i}.txt`, bytes: '' })), []));
  const jpg = sharedFile(shared, 'datasets/coco8/images/val/000000000036.jpg');
  out.push({
    family: 'dataset', name: 'list-with-hostile-lines', expect: OK,
    files: [...imageFiles(shared), { path: 'labels/a.txt', bytes: GOOD_LABEL }, { path: 'images/p.jpg', fifo: true }, { path: 'images/z.jpg', symlink: '/dev/zero' }, { path: 'x.jpg', bytes: jpg },
      { path: 'list.txt', bytes: './images/a.jpg\n./images/p.jpg\n./images/z.jpg\n/nonexistent/q.jpg\n./images/nu\0l.jpg\n\r\n   \n./x.jpg\n' }, { path: 'd.yaml', bytes: 'val: list.txt\nnames: [c0, c1]\n' }],
    run: async (ctx) => {
      const ds = await load(ctx, 'd.yaml');
      assert.deepEqual(kept(ctx, ds), ['images/a.jpg', 'x.jpg']);
      for (const f of ['images/p.jpg', 'images/z.jpg']) assertReported(ctx, ds, f, undefined, true);
      assert.ok(ds.problems.some((p) => p.file === '/nonexistent/q.jpg'), 'missing list entry reported');
      assert.ok(ds.problems.some((p) => /NUL/.test(p.reason)), 'NUL path reported');
    },
  });
  const whole: [string, FuzzFile[], string, ErrorCode[]][] = [
    ['spec-link-loop', [{ path: 'a', symlink: 'b' }, { path: 'b', symlink: 'a' }], 'a', ['BAD_DATASET']],
    ['spec-fifo-yaml', [{ path: 'p.yaml', fifo: true }], 'p.yaml', ['BAD_DATASET']],
    ['spec-dev-zero-yaml', [{ path: 'z.yaml', symlink: '/dev/zero' }], 'z.yaml', ['BAD_DATASET']],
    ['spec-fifo-json', [{ path: 'p.json', fifo: true }], 'p.json', ['BAD_DATASET']],
    ['spec-missing', [], 'missing.yaml', ['BAD_DATASET']],
    ['spec-unknown-suffix', [{ path: 'x.txt', bytes: 'x' }], 'x.txt', ['BAD_DATASET']],
    ['images-only-fifos', [{ path: 'd/images/a.jpg', fifo: true }, { path: 'd/images/b.jpg', symlink: '/dev/zero' }], 'd', ['BAD_DATASET']],
    ['images-folder-empty', [{ path: 'd/images', dir: true }], 'd', ['BAD_DATASET']],
    ['images-without-labels', [...imageFiles(shared, 'd/images')], 'd', ['BAD_DATASET']],
    ['list-is-fifo', [{ path: 'l.txt', fifo: true }, { path: 'd.yaml', bytes: 'val: l.txt\nnames: [a]\n' }], 'd.yaml', ['BAD_DATASET']],
    ['list-is-dev-zero', [{ path: 'l.txt', symlink: '/dev/zero' }, { path: 'd.yaml', bytes: 'val: l.txt\nnames: [a]\n' }], 'd.yaml', ['BAD_DATASET']],
    ['split-loop', [{ path: 'im', symlink: 'im' }, { path: 'd.yaml', bytes: 'val: im\nnames: [a]\n' }], 'd.yaml', ['BAD_DATASET']],
  ];
  for (const [name, files, spec, codes] of whole) {
    out.push({ family: 'dataset', name, files, expect: err(...codes), run: async (ctx) => void (await load(ctx, spec)) });
  }
  return out;
}

/** Random folders: 1-4 hostile entries mixed into a good dataset; each must be reported, a, b, c loaded. */
function randomCases(rng: Rng, n: number, shared: string): FuzzCase[] {
  const all = entries(shared);
  const names = Object.keys(all).filter((k) => !k.startsWith('folder-as-image'));
  const out: FuzzCase[] = [];
  for (let i = 0; i < n; i++) {
    const pick = new Set<string>();
    const k = 1 + rng.int(4);
    while (pick.size < k) pick.add(names[rng.int(names.length)]);
    const es = [...pick].map((p) => all[p]);
    out.push(folderCase(`random-${i}-${[...pick].join('+')}`, shared, es.flatMap((e) => e.files), es.flatMap((e) => e.bad)));
  }
  return out;
}

/** Hostile dataset folders (see the module comment). */
export const datasetGenerator: Generator = {
  family: 'dataset',
  cases(rng, n, shared) {
    return [...handCases(shared), ...randomCases(rng, n, shared)];
  },
};
