/**
 * leyolo for the browser: `load()` a LeYOLO model from a URL, a File or bytes (`.pt`, `.safetensors`
 * or an exported `.onnx`), `detect()` on images, videos, canvases, bitmaps or ImageData, `dispose()`.
 * Same Detector and result shape as Node; inference runs in onnxruntime-web (WebGPU, else wasm).
 * Nothing here (or below) imports Node built-ins.
 */
import { Detector, type Detection, type DetectOptions, type ModelMeta } from '../detector.js';
import type { Engine } from '../engine.js';
import { LeyoloError, guard } from '../errors.js';
import type { LetterboxMode } from '../image/letterbox.js';
import type { RgbImage } from '../image/types.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import { CheckedEngine } from '../onnx/detector-spec.js';
import { buildInferenceGraph } from '../onnx/inference.js';
import { inspectOnnxDetector } from '../onnx/validate.js';
import { readWeights } from '../weights/index.js';
import { createWebEngine, type WebBackend, type WebEngine, type WebEngineOptions } from './engine.js';
import { ImageReader, isWebImageSource, type WebImageSource } from './input.js';
import { Letterboxer, type Pixels } from './preprocess.js';
import { opt } from '../hints.js';

export { createWebEngine, webGpuAvailable, WebEngine, type WebBackend, type WebEngineOptions, type WebModel } from './engine.js';
export { ImageReader, type WebImageSource } from './input.js';
export { Detector, type Detection, type DetectOptions, type ModelMeta } from '../detector.js';
export { LeyoloError, isLeyoloError, type ErrorCode } from '../errors.js';
export { createTracker, rowsToTracked, Tracker, type TrackedDetection, type TrackerConfig, type TrackerConfigInput, type Gmc } from '../track/index.js';
export type { RgbImage } from '../image/types.js';

/** Weights: a URL (fetched), a File/Blob from an <input type=file>, or the bytes themselves. */
export type WebWeights = string | URL | Blob | ArrayBuffer | Uint8Array;
/** What the browser `detect()` accepts. */
export type WebImageInput = WebImageSource | RgbImage;

/** Options of the browser {@link load}. */
export interface WebLoadOptions {
  weights: WebWeights;
  /** Inference size (default 640); a static-shape `.onnx` uses its own size instead. */
  imgsz?: number;
  /** 'auto' (default): WebGPU when the browser has an adapter, else wasm. */
  backend?: WebBackend;
  /** wasm threads (default: up to 4 when cross-origin isolated, else 1). */
  numThreads?: number;
  /** URL prefix of onnxruntime-web's .wasm/.mjs files (default: next to the script). */
  wasmPaths?: string;
  /** Extra onnxruntime-web session options (advanced). */
  sessionOptions?: WebEngineOptions['sessionOptions'];
}

type WeightsKind = 'onnx' | 'checkpoint';

/**
 * A detector running in the browser. A single image (the video-loop case) takes a fused path: the
 * canvas RGBA goes straight into a reused letterboxed tensor (src/web/preprocess.ts, bit-identical
 * to the shared letterbox + toTensor), then the shared post-processing. Batches use the generic
 * pipeline. A static-shape ONNX file is fed squares of its size.
 */
export class WebDetector extends Detector<WebImageInput> {
  private readonly reader = new ImageReader();
  private readonly letterboxer = new Letterboxer();

  /** `engine` (default `webEngine`) is what forward passes go through, e.g. a CheckedEngine over it. */
  constructor(meta: ModelMeta, readonly webEngine: WebEngine, private readonly fixedMode?: LetterboxMode, engine: Engine = webEngine) {
    // The base class's decode is only a fallback: detectBatch below reads images itself.
    super(meta, engine, async (x) => copyImage(toRgb(x, new ImageReader())));
  }

  override detectBatch(inputs: WebImageInput[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    return guard('detect', async () => {
      this.assertOpen();
      if (!Array.isArray(inputs)) throw new LeyoloError('BAD_ARGUMENT', 'detectBatch() takes an array of images', 'e.g. detectBatch([a, b])');
      if (inputs.length === 0) return [];
      const m = mode ?? this.fixedMode ?? 'predict';
      if (inputs.length === 1 && (m === 'predict' || m === 'square')) return [await this.detectOne(inputs[0], opts, m)];
      const t0 = performance.now();
      // Several images: copies (the reader's buffer is reused by the next read).
      const images = inputs.map((x) => copyImage(toRgb(x, this.reader)));
      this.times.preprocess += performance.now() - t0;
      return this.detectImages(images, opts, mode ?? this.fixedMode);
    });
  }

  /** One image: read -> fused letterbox tensor -> the shared forward, NMS and box mapping. */
  private async detectOne(x: WebImageInput, opts: DetectOptions | undefined, mode: 'predict' | 'square'): Promise<Detection[]> {
    const t0 = performance.now();
    const lb = this.letterboxer.run(toPixels(x, this.reader), this.meta.imgsz, mode, Math.max(...this.meta.strides));
    this.times.preprocess += performance.now() - t0;
    const [dets] = await this.detectTensor(lb.tensor, [1, 3, lb.height, lb.width], [lb.info], opts);
    return dets;
  }
}

function isRgbImage(x: unknown): x is RgbImage {
  const o = x as Partial<RgbImage> | null;
  return !!o && o.data instanceof Uint8Array && typeof o.width === 'number' && typeof o.height === 'number'
    && o.data.length === o.width * o.height * 3;
}

function badImage(): LeyoloError {
  return new LeyoloError('BAD_IMAGE', 'unsupported image input',
    'pass an HTMLImageElement, HTMLVideoElement, HTMLCanvasElement, OffscreenCanvas, ImageBitmap, ImageData or { width, height, data: RGB Uint8Array }');
}

function toRgb(x: WebImageInput, reader: ImageReader): RgbImage {
  if (isRgbImage(x)) return x;
  if (isWebImageSource(x)) return reader.read(x);
  throw badImage();
}

function toPixels(x: WebImageInput, reader: ImageReader): Pixels {
  if (isRgbImage(x)) return { width: x.width, height: x.height, channels: 3, data: x.data };
  if (isWebImageSource(x)) return reader.readRgba(x);
  throw badImage();
}

function copyImage(im: RgbImage): RgbImage {
  return { width: im.width, height: im.height, data: im.data.slice() };
}

/** Fetch/read the weights; the file name (URL path or File.name) is kept to pick the format. */
async function readWeightBytes(w: WebWeights): Promise<{ bytes: Uint8Array; name: string }> {
  if (w instanceof Uint8Array) return { bytes: w, name: '' };
  if (w instanceof ArrayBuffer) return { bytes: new Uint8Array(w), name: '' };
  if (typeof Blob !== 'undefined' && w instanceof Blob) {
    return { bytes: new Uint8Array(await w.arrayBuffer()), name: (w as Partial<File>).name ?? '' };
  }
  const url = String(w);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new LeyoloError('WEIGHTS_NOT_FOUND', `cannot fetch weights ${url}: ${String(e)}`, 'check the URL and that the server allows this origin (CORS)');
  }
  if (!res.ok) throw new LeyoloError('WEIGHTS_NOT_FOUND', `cannot fetch weights ${url}: HTTP ${res.status}`, 'check the model URL');
  return { bytes: new Uint8Array(await res.arrayBuffer()), name: new URL(url, globalThis.location?.href).pathname };
}

/** `.onnx` by name, else by content: a zip/pickle is a .pt, `{`-headed safetensors, else ONNX protobuf. */
function weightsKind(bytes: Uint8Array, name: string): WeightsKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.pt') || lower.endsWith('.pth') || lower.endsWith('.safetensors')) return 'checkpoint';
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  const safetensors = bytes.length > 8 && bytes[8] === 0x7b; // u64 header length, then '{'
  return zip || bytes[0] === 0x80 || safetensors ? 'checkpoint' : 'onnx';
}

function checkImgsz(imgsz: number): void {
  if (!Number.isInteger(imgsz) || imgsz < 32 || imgsz % 32 !== 0) {
    throw new LeyoloError('BAD_ARGUMENT', `imgsz must be a positive multiple of 32, got ${imgsz}`, 'e.g. imgsz 640 or 320');
  }
}

/** `.pt` / `.safetensors`: the same reader and ONNX builder as Node, then onnxruntime-web. */
async function fromCheckpointBytes(bytes: Uint8Array, opts: WebLoadOptions, imgsz: number): Promise<WebDetector> {
  const ck = readWeights(bytes);
  const m = modelOfCheckpoint(ck);
  // Dynamic batch and size, like Node: predict letterboxes to rectangles that differ per image.
  // On wasm, SiLU as h * (1 + tanh(h)): the same function, cheaper in onnxruntime-web's CPU kernels.
  const graph = (ep: 'webgpu' | 'wasm'): Uint8Array => buildInferenceGraph(m, ck.stateDict, ck.bn,
    { batch: 'dynamic', height: 'dynamic', width: 'dynamic', heads: false, decode: true, silu: ep === 'wasm' ? 'tanh' : 'sigmoid' });
  const engine = await createWebEngine(graph, opts);
  const names = Array.from({ length: ck.nc }, (_, i) => ck.names[i] ?? String(i));
  return new WebDetector({ scale: m.scale, nc: m.nc, names, strides: m.strides, imgsz }, engine);
}

/**
 * `.onnx`: validated first (src/onnx/validate.ts: the same rules as Node, so a broken, hostile or
 * non-detector file is refused before onnxruntime-web allocates anything), then run as is; class
 * names/strides from the checked metadata; a static input size forces squares; every forward pass's
 * shapes are checked (CheckedEngine).
 */
async function fromOnnxBytes(bytes: Uint8Array, opts: WebLoadOptions, imgsz: number): Promise<WebDetector> {
  const spec = inspectOnnxDetector(bytes);
  if (spec.kind === 'nms') {
    throw new LeyoloError('MODEL_MISMATCH', 'ONNX exports with in-graph NMS (a `detections` output) do not run in the browser yet', `export without ${opt('nms')} for the browser`);
  }
  const engine = await createWebEngine(bytes, opts);
  const { fixed } = spec;
  const meta: ModelMeta = { scale: spec.scale, nc: spec.nc, names: spec.names, strides: spec.strides, imgsz: fixed ? fixed[0] : imgsz };
  return new WebDetector(meta, engine, fixed ? 'square' : undefined, new CheckedEngine(engine, spec));
}

/**
 * The browser's `Model`: the same name and `detect` / `detectBatch` / `dispose` surface as Node's
 * (val, train and export need files and run in Node).
 */
export type Model = WebDetector;

/**
 * Load a LeYOLO model in the browser. Resolves once the session is ready.
 *
 * @example
 * import { load } from 'leyolo'; // the package's `browser` export
 * const model = await load({ weights: '/models/LeYOLONano.pt', imgsz: 320, backend: 'wasm' });
 * const dets = await model.detect(document.querySelector('video')!, { conf: 0.25 });
 * // [{ box: [x1, y1, x2, y2], score: 0.91, classId: 0, label: 'person' }, ...]
 * await model.dispose();
 */
export async function load(opts: WebLoadOptions): Promise<Model> {
  const imgsz = opts.imgsz ?? 640;
  checkImgsz(imgsz);
  const { bytes, name } = await readWeightBytes(opts.weights);
  if (bytes.length === 0) throw new LeyoloError('BAD_CHECKPOINT', 'weights file is empty', 'download the model again');
  return weightsKind(bytes, name) === 'onnx' ? fromOnnxBytes(bytes, opts, imgsz) : fromCheckpointBytes(bytes, opts, imgsz);
}
