// COCO jsons with broken records: each record reported and left out, the rest loaded with the right
// labels and gt; a json unusable as a whole is a typed error. (pycocotools crashes on several of these,
// and used others silently: bbox "abc" moved AP from 0.213 to 0.655.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from './dataset.js';
import { LeyoloError } from '../errors.js';

const VAL = fileURLToPath(new URL('../../../shared/datasets/coco8/images/val/', import.meta.url));
// Real sizes of the three coco8 val images used (from their headers).
const IMAGES = [{ id: 36, file_name: '000000000036.jpg', width: 481, height: 640 }, { id: 42, file_name: '000000000042.jpg', width: 640, height: 478 }, { id: 49, file_name: '000000000049.jpg', width: 381, height: 500 }];
const CATS = [{ id: 1, name: 'person' }, { id: 18, name: 'dog' }];
const ann = (id: number, image_id: number, category_id: number, bbox: unknown, extra: object = {}) => ({ id, image_id, category_id, bbox, area: 100, iscrowd: 0, ...extra });

async function withJson(doc: unknown, fn: (file: string) => Promise<void>, raw?: Uint8Array | string): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-coco-'));
  try {
    mkdirSync(join(root, 'images'));
    for (const im of IMAGES) copyFileSync(join(VAL, im.file_name), join(root, 'images', im.file_name));
    writeFileSync(join(root, 'a.json'), raw ?? JSON.stringify(doc));
    await fn(join(root, 'a.json'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('broken records are reported one by one and left out; the good ones load with exact labels', async () => {
  const doc = {
    images: [...IMAGES, null, { id: 7, width: 10, height: 10 }, { id: 8, file_name: 'x.jpg' }, { ...IMAGES[0], file_name: 'dup.jpg' }, { id: '9', file_name: 'y.jpg', width: 5, height: 5 }],
    categories: [...CATS, { name: 'no id' }, { id: 1, name: 'dup' }, 'cat'],
    annotations: [
      ann(1, 36, 1, [48, 64, 96, 128]), // good: person on image 36
      ann(2, 42, 18, [0, 0, 64, 47.8], { iscrowd: 1 }), // good crowd: gt only, not a label
      null, // 2
      { id: 4, image_id: 36, category_id: 1 }, // 3: no bbox
      ann(5, 36, 1, 'abc'), // 4
      ann(6, 36, 1, [1, 2, 3]), // 5
      ann(7, 36, 1, [1, 2, -3, 4]), // 6
      ann(8, 999, 1, [1, 2, 3, 4]), // 7: unknown image
      ann(9, 36, 77, [1, 2, 3, 4]), // 8: unknown category
      ann(1, 36, 1, [1, 2, 3, 4]), // 9: duplicate id
      ann(11, 36, 1, [1, 2, 3, 4], { iscrowd: 'yes' }), // 10
      ann(12, 36, 1, [1, 2, 3, 4], { id: 'x' }), // 11
      { image_id: 49, category_id: 18, bbox: [38.1, 50, 76.2, 100], iscrowd: 0 }, // 12: no id, no area: kept, numbered, area = w*h
    ],
  };
  await withJson(doc, async (file) => {
    const ds = await loadDataset(file, { split: 'val' });
    const reasons = ds.problems.map((p) => p.reason);
    const want = [
      /^images\[3\]: not an object/, /^images\[4\]: id .*|^images\[4\]: file_name/, /^images\[5\]: width\/height must be positive integers/,
      /^images\[6\]: duplicate id 36/, /^images\[7\]: id is not an integer/,
      /^categories\[2\]: id is not an integer/, /^categories\[3\]: duplicate id 1/, /^categories\[4\]: not an object/,
      /^annotations\[2\]: not an object/, /^annotations\[3\]: bbox must be 4 finite numbers/, /^annotations\[4\]: bbox must be 4 finite numbers .*"abc"/,
      /^annotations\[5\]: bbox must be 4/, /^annotations\[6\]: bbox width\/height are negative/, /^annotations\[7\]: image_id 999 is not the id of a usable image/,
      /^annotations\[8\]: category_id 77 is not the id of a category/, /^annotations\[9\]: duplicate id 1/, /^annotations\[10\]: iscrowd must be 0 or 1/,
      /^annotations\[11\]: id is not an integer/, /^annotations\[12\]: area missing is not a number >= 0; bbox w\*h used/,
    ];
    for (const re of want) assert.ok(reasons.some((r) => re.test(r)), `${re} not in\n${reasons.join('\n')}`);
    assert.equal(ds.problems.length, want.length);
    assert.deepEqual(ds.items.map((i) => i.cocoImageId), [36, 42, 49]);
    assert.deepEqual(ds.names, ['person', 'dog']);
    const [a, b, c] = ds.items;
    assert.deepEqual(a.labels, [{ classId: 0, box: [(48 + 48) / 481, (64 + 64) / 640, 96 / 481, 128 / 640] }]);
    assert.deepEqual(b.labels, [], 'crowd is not a label');
    assert.equal(c.labels.length, 1);
    assert.deepEqual(ds.coco?.annotations.map((x) => [x.id, x.image_id, x.area, x.iscrowd]), [[1, 36, 100, 0], [2, 42, 100, 1], [3, 49, 7620, 0]]);
  });
});

test('more than 50 broken records of a kind: 50 listed, the rest counted', async () => {
  const annotations = Array.from({ length: 200 }, (_, i) => ann(i + 1, 36, 1, 'bad'));
  await withJson({ images: IMAGES, categories: CATS, annotations }, async (file) => {
    const ds = await loadDataset(file, { split: 'val' });
    assert.equal(ds.problems.length, 51);
    assert.ok(ds.problems.some((p) => /150 more records with problems/.test(p.reason)));
  });
});

test('a json unusable as a whole is a typed error', async () => {
  const typed = (code: string, re: RegExp) => (e: unknown) => e instanceof LeyoloError && e.code === code && re.test(e.message) && e.hint.length > 0;
  const cases: [unknown, string | Uint8Array | undefined, string, RegExp][] = [
    [undefined, '{"images": [', 'BAD_DATASET', /invalid JSON/],
    [undefined, '\ufeff{"images": [], "annotations": [], "categories": []}', 'BAD_DATASET', /invalid JSON/],
    [undefined, new Uint8Array([0x7b, 0xff, 0x7d]), 'BAD_DATASET', /not valid UTF-8/],
    [null, undefined, 'BAD_DATASET', /not a COCO instances json/],
    [[1, 2], undefined, 'BAD_DATASET', /not a COCO instances json/],
    [{ images: {}, annotations: [], categories: [] }, undefined, 'BAD_DATASET', /not a COCO instances json/],
    [{ images: [null, { id: 1 }], annotations: [], categories: CATS }, undefined, 'BAD_DATASET', /no usable images \(2 records\)/],
    [{ images: IMAGES, annotations: [], categories: [{ name: 'x' }] }, undefined, 'BAD_DATASET', /no usable categories/],
    [{ images: IMAGES, annotations: [], categories: Array.from({ length: 10_001 }, (_, i) => ({ id: i })) }, undefined, 'LIMIT_EXCEEDED', /10001 categories/],
    [{ images: [{ id: 1, file_name: 'missing.jpg', width: 10, height: 10 }], annotations: [], categories: CATS }, undefined, 'BAD_DATASET', /no usable images for .*image file not found/],
    [undefined, `${'['.repeat(200_000)}${']'.repeat(200_000)}`, 'BAD_DATASET', /not a COCO instances json/],
  ];
  for (const [doc, raw, code, re] of cases) {
    await withJson(doc, (file) => assert.rejects(loadDataset(file, { split: 'val' }), typed(code, re)), raw);
  }
});
