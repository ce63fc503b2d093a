import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDataset, toCocoGt } from './dataset.js';
import { LeyoloError } from '../errors.js';

async function jpeg(path: string, w = 32, h = 24): Promise<void> {
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: 10, g: 200, b: 30 } } }).jpeg().toFile(path);
}

/** A temp dataset with one broken file per problem kind plus good files; returns its root. */
async function brokenDataset(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-ds-'));
  const im = join(root, 'images', 'train'), lb = join(root, 'labels', 'train');
  mkdirSync(im, { recursive: true });
  mkdirSync(lb, { recursive: true });
  const labels: Record<string, string> = {
    good: '0 0.5 0.5 0.2 0.2\n1 0.25 0.25 0.1 0.1\n',
    cols: '0 0.5 0.5 0.2\n',
    cls: '2 0.5 0.5 0.2 0.2\n',
    big: '0 1.2 0.5 0.2 0.2\n',
    neg: '0 0.5 -0.1 0.2 0.2\n',
    dups: '0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1\n',
    empty: '',
  };
  for (const [name, text] of Object.entries(labels)) {
    await jpeg(join(im, `${name}.jpg`));
    writeFileSync(join(lb, `${name}.txt`), text);
  }
  await jpeg(join(im, 'nolabel.jpg')); // background image: kept without labels
  writeFileSync(join(im, 'corrupt.jpg'), 'this is not an image');
  writeFileSync(join(lb, 'corrupt.txt'), '0 0.5 0.5 0.2 0.2\n');
  await jpeg(join(im, 'tiny.jpg'), 8, 8);
  const full = readFileSync(join(im, 'good.jpg'));
  writeFileSync(join(im, 'truncated.jpg'), full.subarray(0, full.length - 2)); // end marker FFD9 cut off
  writeFileSync(join(im, 'trailing.jpg'), Buffer.concat([full, Buffer.from('junk')])); // decodes; kept with a warning
  writeFileSync(join(lb, 'trailing.txt'), '0 0.5 0.5 0.2 0.2\n');
  writeFileSync(join(im, 'notes.txt'), 'not an image suffix: ignored');
  // A txt list naming a missing image and two real ones.
  writeFileSync(join(root, 'list.txt'), './images/train/good.jpg\n./images/train/missing.jpg\nimages/train/dups.jpg\n');
  writeFileSync(join(root, 'data.yaml'), 'path: .\ntrain: images/train\nval: list.txt\nnames: {0: a, 1: b}\n');
  return root;
}

test('broken files are reported with their reason and skipped; the run goes on', async () => {
  const root = await brokenDataset();
  try {
    const ds = await loadDataset(join(root, 'data.yaml'), { split: 'train' });
    const reasons = new Map(ds.problems.map((p) => [p.file.slice(root.length + 1), p]));
    const expect: [string, RegExp, boolean][] = [
      ['labels/train/cols.txt', /5 columns, 4 columns/, true],
      ['labels/train/cls.txt', /class 2 exceeds dataset class count 2/, true],
      ['labels/train/big.txt', /non-normalized or out of bounds coordinates \[1\.2\]/, true],
      ['labels/train/neg.txt', /negative label values \[-0\.1\]/, true],
      ['labels/train/dups.txt', /1 duplicate labels removed/, false],
      ['images/train/corrupt.jpg', /corrupt image/, true],
      ['images/train/tiny.jpg', /under 10 pixels/, true],
      ['images/train/truncated.jpg', /corrupt JPEG: truncated/, true],
      ['images/train/trailing.jpg', /no end-of-image marker, but it decodes/, false],
    ];
    for (const [file, re, skipped] of expect) {
      const p = reasons.get(file);
      assert.ok(p, `no problem reported for ${file}; got ${[...reasons.keys()].join(', ')}`);
      assert.match(p.reason, re);
      assert.equal(p.skipped, skipped, file);
    }
    assert.equal(ds.problems.length, expect.length);
    const kept = ds.items.map((i) => i.image.slice(root.length + 1)).sort();
    assert.deepEqual(kept, [
      'images/train/dups.jpg', 'images/train/empty.jpg', 'images/train/good.jpg', 'images/train/nolabel.jpg', 'images/train/trailing.jpg',
    ]);
    assert.equal(ds.items.find((i) => i.image.endsWith('dups.jpg'))?.labels.length, 2);
    assert.deepEqual(ds.names, ['a', 'b']);
    assert.deepEqual([ds.items[0].width, ds.items[0].height], [32, 24]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('txt image lists: ./ and relative lines start at the list folder; missing images reported', async () => {
  const root = await brokenDataset();
  try {
    const ds = await loadDataset(join(root, 'data.yaml'), { split: 'val' });
    assert.deepEqual(ds.items.map((i) => i.image.slice(root.length + 1)), ['images/train/dups.jpg', 'images/train/good.jpg']);
    const miss = ds.problems.find((p) => p.file.endsWith('missing.jpg'));
    assert.match(miss?.reason ?? '', /image file not found/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('toCocoGt: pixels, area = w*h, ids from numeric stems or index', async () => {
  const root = await brokenDataset();
  try {
    const ds = await loadDataset(join(root, 'data.yaml'), { split: 'val' });
    const gt = toCocoGt(ds, new Map([[ds.items[1].image, { w: 100, h: 50 }]]));
    assert.deepEqual(gt.images.map((i) => i.id), [1, 2]); // stems are not numeric -> 1-based index
    const a = gt.annotations.find((x) => x.image_id === 2 && x.category_id === 0);
    // good.jpg label 0 0.5 0.5 0.2 0.2 on a 100x50 image; float32 labels -> 1e-5 tolerance
    const want = [40, 20, 20, 10];
    a?.bbox.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-5, `${v} vs ${want[k]}`));
    assert.ok(Math.abs((a?.area ?? 0) - 200) < 1e-3);
    assert.deepEqual(gt.categories, [{ id: 0, name: 'a' }, { id: 1, name: 'b' }]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof LeyoloError && e.code === 'BAD_DATASET' && re.test(e.message) && e.hint.length > 0);
}

test('empty, unreadable or all-broken datasets are BAD_DATASET with a hint', async () => {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-ds-'));
  try {
    await rejects(loadDataset(join(root, 'nope.yaml'), { split: 'val' }), /dataset not found/);
    mkdirSync(join(root, 'images'));
    await rejects(loadDataset(root, { split: 'val' }), /no images found/);
    writeFileSync(join(root, 'images', 'x.jpg'), 'garbage');
    await rejects(loadDataset(root, { split: 'val' }), /no usable images/);
    await jpeg(join(root, 'images', 'y.jpg'));
    await rejects(loadDataset(root, { split: 'val' }), /no label files found/);
    writeFileSync(join(root, 'a.yaml'), 'train: images\nnames: [a]\n');
    await rejects(loadDataset(join(root, 'a.yaml'), { split: 'val' }), /no 'val' split/);
    writeFileSync(join(root, 'b.yaml'), 'val: images\nnames: {0: a, 2: b}\n');
    await rejects(loadDataset(join(root, 'b.yaml'), { split: 'val' }), /names keys/);
    writeFileSync(join(root, 'c.yaml'), 'val: [images, nothere]\nnames: [a]\n');
    await rejects(loadDataset(join(root, 'c.yaml'), { split: 'val' }), /does not exist/);
    writeFileSync(join(root, 'd.json'), '{"images": []}');
    await rejects(loadDataset(join(root, 'd.json'), { split: 'val' }), /not a COCO instances json/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a yaml split can be a list of folders; path is relative to the yaml', async () => {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-ds-'));
  try {
    for (const s of ['a', 'b']) {
      mkdirSync(join(root, 'data', 'images', s), { recursive: true });
      mkdirSync(join(root, 'data', 'labels', s), { recursive: true });
      await jpeg(join(root, 'data', 'images', s, `1${s === 'a' ? 0 : 1}.png`));
      writeFileSync(join(root, 'data', 'labels', s, `1${s === 'a' ? 0 : 1}.txt`), '0 0.5 0.5 1 1\n');
    }
    mkdirSync(join(root, 'cfg'));
    writeFileSync(join(root, 'cfg', 'x.yml'), 'path: ../data\ntrain: [images/a, images/b]\nnames: [only]\n');
    const ds = await loadDataset(join(root, 'cfg', 'x.yml'), { split: 'train' });
    assert.equal(ds.items.length, 2);
    assert.deepEqual(ds.items.map((i) => i.cocoImageId), [10, 11]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
