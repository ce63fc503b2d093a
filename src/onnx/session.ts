/**
 * The one place that talks to onnxruntime-node: session creation and a typed run helper.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { LeyoloError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export type Session = ort.InferenceSession;

export interface SessionOptions {
  /** Intra-op threads (default: os.availableParallelism()). */
  threads?: number;
}

/**
 * Create a CPU InferenceSession for ONNX bytes (graph optimizations 'all', sequential execution).
 *
 * @example
 * const s = await createSession(buildInferenceGraph(m, sd, 1e-3, { decode: true }), { threads: 2 });
 */
export async function createSession(modelBytes: Uint8Array, opts: SessionOptions = {}): Promise<Session> {
  const threads = opts.threads ?? os.availableParallelism();
  try {
    return await ort.InferenceSession.create(modelBytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
  } catch (e) {
    throw new LeyoloError('RUNTIME', `onnxruntime could not load the model: ${(e as Error).message}`, 'rebuild the graph; if it persists, report a bug');
  }
}

/**
 * Run a session on named float32 inputs and return the requested outputs as Tensors.
 *
 * @example
 * const { decoded } = await runSession(s, { images: { shape: [1, 3, 640, 640], data } });
 */
export async function runSession(s: Session, inputs: Record<string, Tensor>, outputs?: string[]): Promise<Record<string, Tensor>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(inputs)) feeds[k] = new ort.Tensor('float32', t.data, t.shape);
  const res = outputs ? await s.run(feeds, outputs) : await s.run(feeds);
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(res)) {
    if (v.type !== 'float32') throw new LeyoloError('RUNTIME', `output ${k} has type ${v.type}`, 'expected float32 outputs');
    out[k] = { shape: [...v.dims], data: v.data as Float32Array };
  }
  return out;
}
