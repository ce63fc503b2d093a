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
    const broken = new DataPool({ ...ds, items: [{ image: '/nonexistent/x.jpg', labels: [] }] }, { workers: 1 });
    try {
      await assert.rejects(broken.trainBatch([0], opts, 1), (e: unknown) => e instanceof LeyoloError);
    } finally {
      await broken.close();
    }
  } finally {
    await pool.close();
  }
});
