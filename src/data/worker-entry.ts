// Worker side of DataPool: receives the dataset once (workerData), then builds train batches or val
// inputs on request and transfers the float buffers back (no copy).
import { parentPort, workerData } from 'node:worker_threads';
import { buildTrainBatch, buildValInput } from './batch.js';
import type { PoolRequest, PoolResponse } from './worker.js';
import type { Dataset } from './types.js';

const ds = workerData as Dataset;

async function handle(req: PoolRequest): Promise<{ res: PoolResponse; transfer: ArrayBuffer[] }> {
  if (req.kind === 'train') {
    const b = await buildTrainBatch(ds, req.indices, req.opts, req.seed);
    return { res: { id: req.id, ok: true, train: b }, transfer: [b.images.buffer, b.batchIdx.buffer, b.cls.buffer, b.boxes.buffer] as ArrayBuffer[] };
  }
  const v = await buildValInput(ds, req.index, req.imgsz);
  return { res: { id: req.id, ok: true, val: v }, transfer: [v.tensor.buffer as ArrayBuffer] };
}

parentPort?.on('message', (req: PoolRequest) => {
  handle(req).then(
    ({ res, transfer }) => parentPort?.postMessage(res, transfer),
    (e: unknown) => {
      const err = e as { message?: string; code?: string; hint?: string };
      parentPort?.postMessage({ id: req.id, ok: false, error: { message: err.message ?? String(e), code: err.code, hint: err.hint } } satisfies PoolResponse);
    },
  );
});
