// Hostile and broken files inside a YOLO dataset folder: each is a per-file problem (reported, run goes
// on); nothing hangs (FIFOs), blows memory (/dev/zero, pixel bombs) or recurses forever (link loops).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDataset } from './dataset.js';
import { LeyoloError } from '../errors.js';
import { pngBomb } from '../../tests/fuzz/png.js';

async function jpeg(path: string): Promise<void> {
  await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 10, g: 200, b: 30 } } }).jpeg().toFile(path);
}


const mkfifo = (p: string) => assert.equal(spawnSync('mkfifo', [p]).status, 0, `mkfifo ${p}`);

test('FIFOs, devices, links, folders and pixel bombs among images and labels are per-file problems', async () => {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-hostile-'));
  try {
    const im = join(root, 'images'), lb = join(root, 'labels');
    mkdirSync(im);
    mkdirSync(lb);
    for (const n of ['good', 'fifolabel', 'dirlabel', 'danglabel', 'hexlabel']) await jpeg(join(im, `${n}.jpg`));
    writeFileSync(join(lb, 'good.txt'), '0 0.5 0.5 0.2 0.2\n');
    writeFileSync(join(lb, 'hexlabel.txt'), '0 0x1 0.5 0.2 0.2\n');
    mkfifo(join(lb, 'fifolabel.txt'));
    mkdirSync(join(lb, 'dirlabel.txt'));
    symlinkSync('nowhere.txt', join(lb, 'danglabel.txt'));
    mkfifo(join(im, 'fifo.jpg'));
    symlinkSync('/dev/zero', join(im, 'zero.jpg'));
    symlinkSync('missing.jpg', join(im, 'dangling.jpg'));
    symlinkSync('loopb.jpg', join(im, 'loopa.jpg'));
    symlinkSync('loopa.jpg', join(im, 'loopb.jpg'));
    mkdirSync(join(im, 'sub'));
    symlinkSync('..', join(im, 'sub', 'up')); // a folder loop: walked once
    symlinkSync(im, join(im, 'sub', 'again'));
    writeFileSync(join(im, 'bomb.png'), pngBomb(30000, 30000));
    writeFileSync(join(im, 'svgbomb.png'), '<svg xmlns="http://www.w3.org/2000/svg" width="30000" height="30000"><rect width="9" height="9"/></svg>');
    const t0 = performance.now();
    const ds = await loadDataset(root, { split: 'val' });
    assert.ok(performance.now() - t0 < 15_000, 'no hang');
    const by = (f: string) => ds.problems.find((p) => p.file === join(root, f));
    const expect: [string, RegExp, boolean][] = [
      ['images/fifo.jpg', /FIFO/, true],
      ['images/zero.jpg', /device/, true],
      ['images/dangling.jpg', /not found/, true],
      ['images/loopa.jpg', /ELOOP|link loop/, true],
      ['images/bomb.png', /30000x30000 .* over the 100-megapixel limit/, true],
      ['images/svgbomb.png', /30000x30000 .* over the 100-megapixel limit/, true],
      ['labels/fifolabel.txt', /FIFO.*kept without labels/, false],
      ['labels/dirlabel.txt', /folder.*kept without labels/, false],
      ['labels/danglabel.txt', /dangling symbolic link/, false],
      ['labels/hexlabel.txt', /could not convert string to float: '0x1'/, true],
    ];
    for (const [f, re, skipped] of expect) {
      const p = by(f);
      assert.ok(p, `${f} not reported; got ${ds.problems.map((x) => x.file).join(', ')}`);
      assert.match(p.reason, re, f);
      assert.equal(p.skipped, skipped, f);
    }
    assert.ok(ds.problems.some((p) => /already visited/.test(p.reason)), 'the folder loop is reported');
    const kept = ds.items.map((i) => i.image.slice(root.length + 1)).sort();
    assert.deepEqual(kept, ['images/danglabel.jpg', 'images/dirlabel.jpg', 'images/fifolabel.jpg', 'images/good.jpg']);
    assert.equal(ds.items.find((i) => i.image.endsWith('good.jpg'))?.labels.length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a dataset spec that is a link loop, a FIFO yaml or a FIFO image list is a typed error', async () => {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-hostile-'));
  try {
    const typed = (code: string) => (e: unknown) => e instanceof LeyoloError && e.code === code && e.hint.length > 0;
    symlinkSync('b', join(root, 'a'));
    symlinkSync('a', join(root, 'b'));
    await assert.rejects(loadDataset(join(root, 'a'), { split: 'val' }), typed('BAD_DATASET'));
    mkfifo(join(root, 'pipe.yaml'));
    await assert.rejects(loadDataset(join(root, 'pipe.yaml'), { split: 'val' }), typed('BAD_DATASET'));
    mkfifo(join(root, 'list.txt'));
    writeFileSync(join(root, 'd.yaml'), 'val: list.txt\nnames: [a]\n');
    await assert.rejects(loadDataset(join(root, 'd.yaml'), { split: 'val' }), typed('BAD_DATASET'));
    mkfifo(join(root, 'ann.json'));
    await assert.rejects(loadDataset(join(root, 'ann.json'), { split: 'val' }), typed('BAD_DATASET'));
    writeFileSync(join(root, 'nul.yaml'), 'val: "im\\0ages"\nnames: [a]\n');
    await assert.rejects(loadDataset(join(root, 'nul.yaml'), { split: 'val' }), typed('BAD_DATASET'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a txt image list naming FIFOs, NUL bytes and devices reports each and loads the good image', async () => {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-hostile-'));
  try {
    mkdirSync(join(root, 'images'));
    mkdirSync(join(root, 'labels'));
    await jpeg(join(root, 'images', 'ok.jpg'));
    writeFileSync(join(root, 'labels', 'ok.txt'), '0 0.5 0.5 0.2 0.2\n');
    mkfifo(join(root, 'images', 'p.jpg'));
    writeFileSync(join(root, 'list.txt'), './images/ok.jpg\n./images/p.jpg\n/dev/zero.jpg\n./images/bad\0name.jpg\n');
    writeFileSync(join(root, 'd.yaml'), 'val: list.txt\nnames: [a]\n');
    const ds = await loadDataset(join(root, 'd.yaml'), { split: 'val' });
    assert.deepEqual(ds.items.map((i) => i.image), [join(root, 'images', 'ok.jpg')]);
    assert.equal(ds.problems.filter((p) => p.skipped).length, 3);
    assert.ok(ds.problems.some((p) => /NUL/.test(p.reason)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
