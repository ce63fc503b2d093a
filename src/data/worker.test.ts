import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { buildTrainBatch, buildValInput } from './batch.js';
import { loadDataset } from './dataset.js';
import { DEFAULT_HYP } from './hyp.js';
import { Rng } from './rng.js';
import { DataPool } from './worker.js';
import { LeyoloError } from '../errors.js';

const COCO8 = fileURLToPath(new URL('../../../shared/datasets/coco8/coco8.yaml', import.meta.url));

test('DataPool: worker batches and val inputs equal the in-thread ones (seeded), in order', async () => {
  const ds = await loadDataset(COCO8, { split: 'train' });
  const opts = { imgsz: 160, mosaic: true, hyp: DEFAULT_HYP };
  const batches = [[0, 1], [2, 3], [3, 0]];
  const pool = new DataPool(ds, { workers: 2 });
  try {
    const got = [];
    for await (const b of pool.trainEpoch(batches, opts, new Rng(11))) got.push(b);
    const replay = new Rng(11);
    const seeds = batches.map(() => replay.int(4294967296));
    assert.equal(got.length, 3);
    for (let k = 0; k < batches.length; k++) {
      const want = await buildTrainBatch(ds, batches[k], opts, seeds[k]);
      assert.deepEqual(got[k], want, `batch ${k}`);
    }
    const vals = [];
    for await (const v of pool.valInputs([2, 0], 160)) vals.push(v);
    assert.deepEqual(vals.map((v) => v.index), [2, 0]);
    assert.deepEqual(vals[0], await buildValInput(ds, 2, 160));
    // A training image that no longer decodes becomes a blank background sample, reported by file;
    // a val image that does not decode is still a typed error (validate() reports and skips it).
    const broken = new DataPool({ ...ds, items: [{ image: '/nonexistent/x.jpg', labels: [{ classId: 0, box: [0.5, 0.5, 0.2, 0.2] }] }] }, { workers: 1 });
    try {
      const b = await broken.trainBatch([0], { ...opts, mosaic: false }, 1);
      assert.deepEqual(b.problems?.map((p) => p.file), ['/nonexistent/x.jpg']);
      assert.equal(b.cls.length, 0, 'no labels from the missing image');
      // Uniform (HSV's value gain may shift the grey level; nothing else is drawn on a blank sample).
      assert.ok(b.images.every((v) => v === b.images[0]), 'blank uniform sample');
      await assert.rejects(broken.valInput(0, 160), (e: unknown) => e instanceof LeyoloError);
    } finally {
      await broken.close();
    }
  } finally {
    await pool.close();
  }
});
