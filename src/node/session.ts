/**
 * The one place that talks to onnxruntime-node: session creation and a typed run helper.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { LeyoloError, type ErrorCode } from '../errors.js';
import type { Tensor } from '../tensor.js';

export type Session = ort.InferenceSession;

export interface SessionOptions {
  /** Intra-op threads (default: os.availableParallelism()). */
  threads?: number;
  /**
   * Code for a model onnxruntime refuses: RUNTIME (default) for graphs leyolo built itself, where
   * a refusal is our bug; BAD_MODEL for a user's file.
   */
  refusedCode?: ErrorCode;
}

/**
 * An onnxruntime failure as a LeyoloError (cause kept): an allocation failure is LIMIT_EXCEEDED
 * (the model asks for more memory than there is), anything else `code`.
 *
 * @example
 * try { await s.run(feeds); } catch (e) { throw ortError(e, 'onnxruntime failed to run the model', 'BAD_MODEL', 'check the file'); }
 */
export function ortError(e: unknown, what: string, code: ErrorCode, hint: string): LeyoloError {
  if (e instanceof LeyoloError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/failed to allocate|out of memory|bad_alloc/i.test(msg)) {
    return new LeyoloError('LIMIT_EXCEEDED', `${what}: it needs more memory than is available (${msg.slice(0, 300)})`, 'use a smaller imgsz or model', { cause: e });
  }
  return new LeyoloError(code, `${what}: ${msg.slice(0, 500)}`, hint, { cause: e });
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
    const user = opts.refusedCode !== undefined && opts.refusedCode !== 'RUNTIME';
    throw ortError(e, 'onnxruntime could not load the model', opts.refusedCode ?? 'RUNTIME',
      user ? 'the file is corrupt or not a detector export; export or download it again' : 'rebuild the graph; if it persists, report a bug');
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
  let res: ort.InferenceSession.OnnxValueMapType;
  try {
    res = outputs ? await s.run(feeds, outputs) : await s.run(feeds);
  } catch (e) {
    throw ortError(e, 'onnxruntime failed to run the model', 'RUNTIME', 'check the input shapes; if it persists, report a bug');
  }
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(res)) {
    if (v.type !== 'float32') throw new LeyoloError('RUNTIME', `output ${k} has type ${v.type}`, 'expected float32 outputs');
    out[k] = { shape: [...v.dims], data: v.data as Float32Array };
  }
  return out;
}
