// Dataset loading on the shared COCO subsets (counts from /work/shared/fixtures/val/manifest.json and the files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadDataset, toCocoGt } from '../src/data/index.js';
import type { Dataset } from '../src/data/index.js';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const DS = `${SHARED}datasets/`;
const nLabels = (ds: Dataset): number => ds.items.reduce((a, it) => a + it.labels.length, 0);
const coco80 = readFileSync(`${DS}coco80.names`, 'utf8').trim().split('\n').map((s) => s.trim());

test('coco8: 4+4 images, 17 val and 13 train boxes, 80 names from the yaml map', async () => {
  const val = await loadDataset(`${DS}coco8/coco8.yaml`, { split: 'val' });
  const train = await loadDataset(`${DS}coco8/coco8.yaml`, { split: 'train' });
  assert.deepEqual([val.items.length, nLabels(val), train.items.length, nLabels(train)], [4, 17, 4, 13]);
  assert.deepEqual(val.names, coco80);
  assert.equal(val.problems.length, 0);
  assert.ok(val.items[0].image.endsWith('images/val/000000000036.jpg'));
  assert.equal(val.items[0].cocoImageId, 36);
});

test('coco128: 128 images (2 with empty label files), 929 boxes', async () => {
  const ds = await loadDataset(`${DS}coco128/coco128.yaml`, { split: 'train' });
  assert.equal(ds.items.length, 128);
  assert.equal(nLabels(ds), 929);
  assert.equal(ds.items.filter((i) => i.labels.length === 0).length, 2);
});

test('coco-mini-train: folder layout and annotations.json agree; crowd kept in gt only; 90 -> 79', async () => {
  const dir = await loadDataset(`${DS}coco-mini-train`, { split: 'train' });
  const js = await loadDataset(`${DS}coco-mini-train/annotations.json`, { split: 'val' });
  assert.deepEqual([dir.items.length, nLabels(dir)], [215, 2016]);
  assert.deepEqual([js.items.length, nLabels(js)], [215, 2016]); // 2035 annotations - 19 crowd
  assert.ok(js.coco);
  assert.equal(js.coco.annotations.length, 2035);
  assert.equal(js.coco.annotations.filter((a) => a.iscrowd).length, 19);
  assert.deepEqual(js.names, coco80);
  assert.equal(js.categoryIds?.[79], 90);
  const toothbrushImgs = new Set(js.coco.annotations.filter((a) => a.category_id === 90 && !a.iscrowd).map((a) => a.image_id));
  assert.ok(toothbrushImgs.size > 0, 'subset has toothbrushes');
  for (const it of js.items.filter((i) => toothbrushImgs.has(i.cocoImageId ?? -1))) {
    assert.ok(it.labels.some((l) => l.classId === 79));
  }
  // Same labels per image as the YOLO txt files (written with 6 decimals -> 1e-5 tolerance incl. float32).
  const byImage = new Map(dir.items.map((i) => [i.image, i.labels]));
  const key = (l: { classId: number; box: number[] }): string => `${l.classId} ${l.box.map((v) => v.toFixed(3)).join(' ')}`;
  for (const it of js.items) {
    const a = [...it.labels].sort((x, y) => key(x).localeCompare(key(y)));
    const b = [...(byImage.get(it.image) ?? [])].sort((x, y) => key(x).localeCompare(key(y)));
    assert.equal(a.length, b.length, it.image);
    a.forEach((l, k) => {
      assert.equal(l.classId, b[k].classId);
      l.box.forEach((v, j) => assert.ok(Math.abs(v - b[k].box[j]) < 1e-5, `${it.image}: ${v} vs ${b[k].box[j]}`));
    });
  }
});

test('toCocoGt of coco8 val matches the fixture json derived from the same YOLO labels', async () => {
  const ds = await loadDataset(`${DS}coco8/coco8.yaml`, { split: 'val' });
  const coco = await loadDataset(`${DS}coco-mini-train/annotations.json`, { split: 'val' });
  const gt = toCocoGt(ds, new Map(), { categoryIds: coco.categoryIds });
  const ref = JSON.parse(readFileSync(`${DS}coco8/annotations_val_from_yolo.json`, 'utf8')) as typeof gt;
  assert.deepEqual(gt.images.map((i) => [i.id, i.width, i.height]), ref.images.map((i) => [i.id, i.width, i.height]));
  assert.equal(gt.annotations.length, ref.annotations.length);
  gt.annotations.forEach((a, k) => {
    const r = ref.annotations[k];
    assert.deepEqual([a.image_id, a.category_id], [r.image_id, r.category_id]);
    // the fixture rounds bbox to 2 decimals (0.005 px) -> 0.006; its area (from the same boxes) to 1e-4 relative
    a.bbox.forEach((v, j) => assert.ok(Math.abs(v - r.bbox[j]) < 0.006, `${v} vs ${r.bbox[j]}`));
    assert.ok(Math.abs(a.area - r.area) / r.area < 1e-4);
  });
});
