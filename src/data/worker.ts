import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { LeyoloError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { buildTrainBatch, buildValInput } from './batch.js';
import type { ValInput } from './batch.js';
import type { TrainBatch } from './collate.js';
import type { Rng } from './rng.js';
import type { TrainSampleOptions } from './sample.js';
import type { Dataset } from './types.js';
import { opt } from '../hints.js';

/** Sample options that can cross a thread boundary (the decoder is always decodeImage there). */
export type PoolSampleOptions = Omit<TrainSampleOptions, 'load'>;

/** Messages main -> worker. */
export type PoolRequest =
  | { id: number; kind: 'train'; indices: number[]; opts: PoolSampleOptions; seed: number }
  | { id: number; kind: 'val'; index: number; imgsz: number };

/** Messages worker -> main. */
export type PoolResponse =
  | { id: number; ok: true; train?: TrainBatch; val?: ValInput }
  | { id: number; ok: false; error: { message: string; code?: string; hint?: string } };

/**
 * Start one worker on worker-entry. Under tsx (sources run as .ts: tests, dev) the worker must register
 * tsx itself, since tsx installs its loader only in the main thread; a tiny eval'd bootstrap does that.
 */
function spawnWorker(data: Dataset): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker-entry.js', import.meta.url), { workerData: data });
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./worker-entry.ts', import.meta.url).href);
  const boot = `import(${api}).then((m) => { m.register(); return import(${entry}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

interface Pending {
  resolve: (r: PoolResponse & { ok: true }) => void;
  reject: (e: Error) => void;
  worker?: Worker;
}

/**
 * worker_threads pool for data loading: decode + augment + collate of training batches, decode +
 * letterbox of val images, off the main thread. Batches are seeded per batch, so results do not depend
 * on which worker ran them; `workers: 0` runs everything in-thread (same results).
 *
 * @example
 * const pool = new DataPool(ds, { workers: 2 });
 * for await (const batch of pool.trainEpoch(batches, { imgsz: 640, mosaic: true, hyp: DEFAULT_HYP }, rng)) step(batch);
 * await pool.close();
 */
export class DataPool {
  private readonly ds: Dataset;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: PoolRequest[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(ds: Dataset, opts: { workers?: number } = {}) {
    this.ds = ds;
    const n = opts.workers ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    // Workers need only paths and labels; the COCO gt stays here.
    const shared: Dataset = { names: ds.names, items: ds.items, problems: [] };
    for (let i = 0; i < n; i++) {
      const w = spawnWorker(shared);
      w.on('message', (res: PoolResponse) => this.onMessage(w, res));
      w.on('error', (e) => this.onError(w, e));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Number of worker threads (0 = in-thread). */
  get size(): number {
    return this.workers.length;
  }

  private onMessage(w: Worker, res: PoolResponse): void {
    const p = this.pending.get(res.id);
    this.pending.delete(res.id);
    this.idle.push(w);
    this.pump();
    if (!p) return;
    if (res.ok) p.resolve(res);
    else p.reject(new LeyoloError((res.error.code ?? 'RUNTIME') as ErrorCode, res.error.message, res.error.hint ?? ''));
  }

  private onError(w: Worker, e: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker === w) {
        this.pending.delete(id);
        p.reject(new LeyoloError('RUNTIME', `data worker crashed: ${e.message}`, `try ${opt('workers', '0')} to load data in the main thread`));
      }
    }
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const req = this.queue.shift() as PoolRequest;
      const p = this.pending.get(req.id);
      if (p) p.worker = w;
      w.postMessage(req);
    }
  }

  private run(req: PoolRequest): Promise<PoolResponse & { ok: true }> {
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.queue.push(req);
      this.pump();
    });
  }

  /**
   * One training batch (see buildTrainBatch); the same seed gives the same batch on any worker.
   *
   * @example
   * const b = await pool.trainBatch([0, 1], { imgsz: 320, mosaic: false, hyp: DEFAULT_HYP }, 7);
   */
  async trainBatch(indices: readonly number[], opts: PoolSampleOptions, seed: number): Promise<TrainBatch> {
    if (this.workers.length === 0) return buildTrainBatch(this.ds, indices, opts, seed);
    const r = await this.run({ id: this.nextId++, kind: 'train', indices: [...indices], opts, seed });
    return r.train as TrainBatch;
  }

  /**
   * One val input (decode + val letterbox + tensor).
   *
   * @example
   * const v = await pool.valInput(0, 640);
   */
  async valInput(index: number, imgsz: number): Promise<ValInput> {
    if (this.workers.length === 0) return buildValInput(this.ds, index, imgsz);
    const r = await this.run({ id: this.nextId++, kind: 'val', index, imgsz });
    return r.val as ValInput;
  }

  /**
   * Batches of an epoch in order, keeping `prefetch` (default: workers + 1) batches in flight. Seeds are
   * drawn from `rng` up front, so the epoch is reproducible.
   *
   * @example
   * for await (const b of pool.trainEpoch([[0, 1], [2, 3]], opts, rng)) train(b);
   */
  async *trainEpoch(batches: readonly (readonly number[])[], opts: PoolSampleOptions, rng: Rng, prefetch = this.workers.length + 1): AsyncGenerator<TrainBatch> {
    const seeds = batches.map(() => rng.int(4294967296));
    yield* this.ordered(batches.length, prefetch, (k) => this.trainBatch(batches[k], opts, seeds[k]));
  }

  /**
   * Val inputs in order with `prefetch` in flight.
   *
   * @example
   * for await (const v of pool.valInputs(ds.items.map((_, i) => i), 640)) infer(v);
   */
  async *valInputs(indices: readonly number[], imgsz: number, prefetch = 2 * this.workers.length + 1): AsyncGenerator<ValInput> {
    yield* this.ordered(indices.length, prefetch, (k) => this.valInput(indices[k], imgsz));
  }

  private async *ordered<T>(n: number, prefetch: number, make: (k: number) => Promise<T>): AsyncGenerator<T> {
    const inflight: Promise<T>[] = [];
    let next = 0;
    const fill = (): void => {
      while (next < n && inflight.length < Math.max(1, prefetch)) inflight.push(make(next++));
    };
    fill();
    while (inflight.length) {
      const head = inflight.shift() as Promise<T>;
      // Avoid unhandled rejections of queued promises if the consumer stops early.
      for (const p of inflight) p.catch(() => undefined);
      const v = await head;
      fill();
      yield v;
    }
  }

  /**
   * Stop the worker threads.
   *
   * @example
   * await pool.close();
   */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    this.idle.length = 0;
  }
}
