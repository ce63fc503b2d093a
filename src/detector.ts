import { LeyoloError, guard } from './errors.js';
import type { Engine } from './engine.js';
import type { LetterboxInfo, RgbImage } from './image/types.js';
import type { Detection as PostDetection } from './postprocess/index.js';
import { runPipeline, runTensor, type PipelineModel, type PipelineOptions, type StageTimes } from './pipeline.js';
import type { LetterboxMode } from './image/letterbox.js';

/** One detection, plain JSON: box is xyxy in original-image pixels. */
export interface Detection {
  box: [number, number, number, number];
  score: number;
  classId: number;
  label: string;
}

/** Options of `detect()`; defaults are Ultralytics' predict defaults. */
export interface DetectOptions {
  /** Confidence threshold (default 0.25). */
  conf?: number;
  /** NMS IoU threshold (default 0.7). */
  iou?: number;
  /** Maximum detections per image (default 300). */
  maxDet?: number;
  /** Keep only these class ids. */
  classes?: number[];
  /** Class-agnostic NMS (default false). */
  agnostic?: boolean;
  /** One detection per (box, class) above conf instead of best class only (default false; val uses true). */
  multiLabel?: boolean;
}

/** Static facts about a loaded model. */
export interface ModelMeta {
  scale: string;
  nc: number;
  names: string[];
  strides: number[];
  imgsz: number;
}

/**
 * What every detector offers (a Detector, or the Node `Model` that wraps one): what val, predict
 * and the pipelines need. Structural, so wrappers delegate instead of subclassing.
 */
export interface DetectorLike<In> {
  readonly meta: ModelMeta;
  readonly times: StageTimes;
  readonly backend: string;
  detect(input: In, opts?: DetectOptions): Promise<Detection[]>;
  detectBatch(inputs: In[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]>;
  detectImages(images: RgbImage[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]>;
  withImgsz(imgsz: number): DetectorLike<In>;
  dispose(): Promise<void>;
}

/** Resolve and validate detect options once (typed defaults; bad values are typed errors). */
export function resolveDetectOptions(o: DetectOptions = {}, nc = Infinity): PipelineOptions {
  if (typeof o !== 'object' || o === null) throw new LeyoloError('BAD_ARGUMENT', 'detect options must be an object', 'e.g. { conf: 0.25 }');
  if (o.classes !== undefined && !Array.isArray(o.classes)) throw new LeyoloError('BAD_ARGUMENT', 'classes must be an array of class ids', 'e.g. classes: [0, 2]');
  const conf = o.conf ?? 0.25;
  const iou = o.iou ?? 0.7;
  const maxDet = o.maxDet ?? 300;
  if (!(conf >= 0 && conf <= 1)) throw new LeyoloError('BAD_ARGUMENT', `conf must be in [0, 1], got ${conf}`, 'e.g. conf: 0.25');
  if (!(iou >= 0 && iou <= 1)) throw new LeyoloError('BAD_ARGUMENT', `iou must be in [0, 1], got ${iou}`, 'e.g. iou: 0.7');
  if (!(Number.isInteger(maxDet) && maxDet >= 1 && maxDet <= 100_000)) throw new LeyoloError('BAD_ARGUMENT', `maxDet must be an integer in [1, 100000], got ${maxDet}`, 'e.g. maxDet: 300');
  const bad = o.classes?.find((c) => !Number.isInteger(c) || c < 0 || c >= nc);
  if (bad !== undefined) throw new LeyoloError('BAD_ARGUMENT', `class id ${bad} is out of range for a model with ${nc} classes`, `use ids in 0..${nc - 1}`);
  return { conf, iou, maxDet, classes: o.classes, agnostic: o.agnostic ?? false, multiLabel: o.multiLabel ?? false };
}

/**
 * A loaded detector: platform-neutral (the engine and image decoding are injected by the Node or
 * browser entry point). Returns plain JSON.
 *
 * @example
 * const model = await load({ weights: 'LeYOLONano.pt' });
 * const dets = await model.detect('bus.jpg', { conf: 0.25 });
 * // [{ box: [x1, y1, x2, y2], score: 0.87, classId: 5, label: 'bus' }, ...]
 * model.dispose();
 */
export class Detector<In = RgbImage> implements DetectorLike<In> {
  /** Cumulative per-stage ms since load (for `val` and `bench` reports). */
  readonly times: StageTimes = { preprocess: 0, inference: 0, postprocess: 0 };
  private disposed = false;

  constructor(
    readonly meta: ModelMeta,
    private readonly engine: Engine,
    private readonly decode: (input: In) => Promise<RgbImage>,
  ) {}

  /** The engine's backend name, e.g. 'onnxruntime-node/cpu' or 'onnxruntime-web/wasm'. */
  get backend(): string {
    return this.engine.backend;
  }

  /** Detect objects in one image (path, bytes, raw image, ... depending on the platform). */
  async detect(input: In, opts?: DetectOptions): Promise<Detection[]> {
    const [dets] = await this.detectBatch([input], opts);
    return dets;
  }

  /** Detect objects in several images with one forward pass. */
  detectBatch(inputs: In[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    return guard('detect', async () => {
      this.assertOpen();
      if (!Array.isArray(inputs)) throw new LeyoloError('BAD_ARGUMENT', 'detectBatch() takes an array of images', 'e.g. detectBatch([a, b])');
      if (inputs.length === 0) return [];
      const t0 = performance.now();
      const images = await Promise.all(inputs.map((x) => this.decode(x)));
      this.times.preprocess += performance.now() - t0;
      return this.detectImages(images, opts, mode);
    });
  }

  /** Detect on already-decoded RGB images (lets callers overlap decoding with inference). */
  detectImages(images: RgbImage[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    return guard('detect', async () => {
      this.assertOpen();
      const o = resolveDetectOptions(opts, this.meta.nc);
      return this.labelled(await runPipeline(this.pipelineModel(), images, this.meta.imgsz, o, mode, this.times));
    });
  }

  /** Detect on an input the caller letterboxed itself ([B, 3, H, W], `infos[i]` for image i). */
  protected detectTensor(input: Float32Array, shape: [number, number, number, number], infos: readonly LetterboxInfo[], opts?: DetectOptions): Promise<Detection[][]> {
    return guard('detect', async () => {
      this.assertOpen();
      const o = resolveDetectOptions(opts, this.meta.nc);
      return this.labelled(await runTensor(this.pipelineModel(), input, shape, infos, o, this.times));
    });
  }

  /**
   * The same model at another inference size, sharing its session (val's `imgsz` option). Models
   * with a fixed input size (static or NMS ONNX exports) refuse.
   *
   * @example
   * const at320 = model.withImgsz(320);
   */
  withImgsz(imgsz: number): Detector<In> {
    if (!Number.isInteger(imgsz) || imgsz < 32 || imgsz > 4096 || imgsz % 32 !== 0) {
      throw new LeyoloError('BAD_ARGUMENT', `imgsz must be a multiple of 32 in 32..4096, got ${imgsz}`, 'e.g. imgsz: 640');
    }
    // Subclasses exist for fixed-size files (square or NMS exports, the browser's fused path).
    if (Object.getPrototypeOf(this) !== Detector.prototype) {
      throw new LeyoloError('BAD_ARGUMENT', `this model runs at a fixed size (${this.meta.imgsz}); imgsz cannot change`, 'export with dynamic: true, or load the .pt/.safetensors weights');
    }
    return new Detector({ ...this.meta, imgsz }, this.engine, this.decode);
  }

  protected assertOpen(): void {
    if (this.disposed) throw new LeyoloError('BAD_ARGUMENT', 'detect() called after dispose()', 'load the model again');
  }

  private pipelineModel(): PipelineModel {
    return { engine: this.engine, nc: this.meta.nc, strides: this.meta.strides, stride: Math.max(...this.meta.strides) };
  }

  private labelled(out: PostDetection[][]): Detection[][] {
    return out.map((dets) => dets.map((d) => ({ box: d.box, score: d.score, classId: d.classId, label: this.meta.names[d.classId] ?? String(d.classId) })));
  }

  /** Release the inference session. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.engine.dispose();
  }
}
