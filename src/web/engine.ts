/**
 * The browser Engine: onnxruntime-web with the WebGPU execution provider when the page can get a
 * GPU adapter, falling back to wasm (SIMD always; threads only when the page is cross-origin
 * isolated, because wasm threads need SharedArrayBuffer). No Node built-ins here.
 *
 * The runtime is imported on demand, one build per backend: `onnxruntime-web/wasm` (plain SIMD
 * build, 14 MB .wasm) for the CPU, `onnxruntime-web/webgpu` for WebGPU. The all-in-one JSEP build
 * is asyncify-instrumented for WebGPU and runs CPU kernels slower, so the wasm path avoids it.
 */
import type * as Ort from 'onnxruntime-web';
import type { Engine, ForwardOutput } from '../engine.js';
import { LeyoloError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Which onnxruntime-web execution provider to use; `auto` = WebGPU if available, else wasm. */
export type WebBackend = 'webgpu' | 'wasm' | 'auto';

/** Options of {@link createWebEngine}. */
export interface WebEngineOptions {
  backend?: WebBackend;
  /** wasm threads; default: min(4, hardwareConcurrency) when cross-origin isolated, else 1. */
  numThreads?: number;
  /** Where onnxruntime-web's .wasm/.mjs files are served from (default: next to the bundle). */
  wasmPaths?: string;
  /** Extra onnxruntime-web session options (advanced; merged over leyolo's). */
  sessionOptions?: Ort.InferenceSession.SessionOptions;
}

/** True when `navigator.gpu` hands out an adapter (a real GPU, or a software one like lavapipe). */
export async function webGpuAvailable(): Promise<boolean> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

type OrtModule = typeof Ort;
type Session = Ort.InferenceSession;
type OrtTensor = Ort.Tensor;

/** Load the onnxruntime-web build for `ep` (cached by the module system after the first call). */
async function loadRuntime(ep: 'webgpu' | 'wasm'): Promise<OrtModule> {
  return ep === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm');
}

/** Configure ort.env before the first session (later changes are ignored by ort). */
function configureWasm(ort: OrtModule, opts: WebEngineOptions): void {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  ort.env.wasm.numThreads = opts.numThreads ?? (isolated ? Math.min(4, Math.max(1, cores)) : 1);
  if (opts.wasmPaths) ort.env.wasm.wasmPaths = opts.wasmPaths;
  ort.env.logLevel = 'error';
}

/** ONNX bytes, or a builder that makes the graph for the execution provider that will run it. */
export type WebModel = Uint8Array | ((ep: 'webgpu' | 'wasm') => Uint8Array);

async function createSession(model: WebModel, ep: 'webgpu' | 'wasm', opts: WebEngineOptions): Promise<WebEngine> {
  const ort = await loadRuntime(ep);
  configureWasm(ort, opts);
  const session = await ort.InferenceSession.create(typeof model === 'function' ? model(ep) : model, {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    ...opts.sessionOptions,
  });
  return new WebEngine(ort, session, ep);
}

/**
 * onnxruntime-web implementation of {@link Engine}. Reuses the input ort.Tensor while the caller
 * passes the same Float32Array and dims (a pipeline that keeps one input buffer per size), and
 * disposes every output ort.Tensor after copying it out, so a video loop allocates nothing that
 * outlives a frame.
 */
export class WebEngine implements Engine {
  /** 'onnxruntime-web/webgpu' or 'onnxruntime-web/wasm' (Node's engine says 'onnxruntime-node/cpu'). */
  readonly backend: string;
  /** The execution provider that actually runs (after any fallback). */
  readonly ep: 'webgpu' | 'wasm';
  private readonly ort: OrtModule;
  private session: Session | null;
  private inputTensor: OrtTensor | null = null;
  private inputData: Float32Array | null = null;
  private inputDims = '';
  private readonly outputs = new Map<string, Float32Array>();

  constructor(ort: OrtModule, session: Session, backend: 'webgpu' | 'wasm') {
    this.ort = ort;
    this.session = session;
    this.ep = backend;
    this.backend = `onnxruntime-web/${backend}`;
  }

  /** Declared input shape, e.g. [1, 3, 320, 320] for a static export or ['batch', 3, 'height', 'width']. */
  get inputShape(): ReadonlyArray<number | string> {
    const m = this.session?.inputMetadata[0];
    return m && m.isTensor ? m.shape : [];
  }

  /** Declared shape of the first output, e.g. [1, 84, 2100] (official export) or ['batch', 84, 'N']. */
  get outputShape(): ReadonlyArray<number | string> {
    const m = this.session?.outputMetadata[0];
    return m && m.isTensor ? m.shape : [];
  }

  /** Output names of the model (e.g. `output0` for a decoded [1, 84, N] export). */
  get outputNames(): readonly string[] {
    return this.session?.outputNames ?? [];
  }

  async run(input: Float32Array, dims: [number, number, number, number]): Promise<ForwardOutput> {
    const session = this.session;
    if (!session) throw new LeyoloError('RUNTIME', 'engine used after dispose()', 'load() a new detector');
    const feeds: Record<string, OrtTensor> = { [session.inputNames[0]]: this.inputFor(input, dims) };
    const results = await session.run(feeds);
    try {
      return this.collect(session, results);
    } finally {
      for (const t of Object.values(results)) t.dispose();
    }
  }

  /** Wrap `input` in an ort.Tensor, reusing the last one when buffer and dims are unchanged. */
  private inputFor(input: Float32Array, dims: [number, number, number, number]): OrtTensor {
    const key = dims.join('x');
    if (this.inputTensor && this.inputData === input && this.inputDims === key) return this.inputTensor;
    this.inputTensor?.dispose();
    this.inputTensor = new this.ort.Tensor('float32', input, dims);
    this.inputData = input;
    this.inputDims = key;
    return this.inputTensor;
  }

  /**
   * Map ort outputs to ForwardOutput: one 3-D output [B, 4+nc, N] is `decoded`; 4-D outputs are the
   * per-level heads [B, 64+nc, H/s, W/s], largest map (P3) first. Data is copied into buffers this
   * engine owns (valid until the next run), so the ort tensors can be disposed right away.
   */
  private collect(session: Session, results: Ort.InferenceSession.OnnxValueMapType): ForwardOutput {
    const out: ForwardOutput = {};
    const heads: Tensor[] = [];
    for (const name of session.outputNames) {
      const t = results[name];
      if (!t || t.type !== 'float32') continue;
      const shape = t.dims.map(Number);
      const data = this.copyOut(name, t.data as Float32Array);
      if (shape.length === 3 && !out.decoded) out.decoded = { shape, data };
      else if (shape.length === 4) heads.push({ shape, data });
    }
    if (heads.length > 0) out.heads = heads.sort((a, b) => b.shape[2] * b.shape[3] - a.shape[2] * a.shape[3]);
    return out;
  }

  private copyOut(name: string, src: Float32Array): Float32Array {
    let dst = this.outputs.get(name);
    if (!dst || dst.length !== src.length) {
      dst = new Float32Array(src.length);
      this.outputs.set(name, dst);
    }
    dst.set(src);
    return dst;
  }

  async dispose(): Promise<void> {
    this.inputTensor?.dispose();
    this.inputTensor = null;
    this.inputData = null;
    this.outputs.clear();
    const s = this.session;
    this.session = null;
    if (s) await s.release();
  }
}

/**
 * Create a browser engine for an ONNX model. `auto` tries WebGPU and silently falls back to wasm
 * (no adapter, or the WebGPU session failed to build); `webgpu` falls back too but logs why.
 * `model` may be a builder called with the chosen provider (leyolo builds a wasm-tuned graph).
 *
 * @example
 * const engine = await createWebEngine(onnxBytes, { backend: 'auto' });
 * const out = await engine.run(chw, [1, 3, 320, 320]); // out.decoded: [1, 84, 2100]
 */
export async function createWebEngine(model: WebModel, opts: WebEngineOptions = {}): Promise<WebEngine> {
  const backend = opts.backend ?? 'auto';
  if (backend !== 'wasm' && (await webGpuAvailable())) {
    try {
      return await createSession(model, 'webgpu', opts);
    } catch (e) {
      if (backend === 'webgpu') console.warn(`leyolo: WebGPU session failed, using wasm: ${String(e)}`);
    }
  } else if (backend === 'webgpu') {
    console.warn('leyolo: WebGPU is not available in this browser, using wasm');
  }
  try {
    return await createSession(model, 'wasm', opts);
  } catch (e) {
    throw new LeyoloError('RUNTIME', `onnxruntime-web could not load the model: ${String(e)}`,
      'check that the file is a LeYOLO ONNX export or checkpoint and that the .wasm files are served');
  }
}
