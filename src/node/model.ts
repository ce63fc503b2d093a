/**
 * The Node `Model`: one object for every mode, as Ultralytics' `YOLO` (`detect`, `predict`, `val`,
 * `train`, `export`), each also a plain function (predict.ts, val.ts, train.ts, export.ts) for
 * tree-shaking. Options have the CLI flags' names (camelCase) and defaults (src/options.ts).
 */
import type { Detection, DetectOptions, DetectorLike, ModelMeta } from '../detector.js';
import { LeyoloError, guard, withContext } from '../errors.js';
import type { LetterboxMode } from '../image/letterbox.js';
import type { RgbImage } from '../image/types.js';
import type { ExportModelOptions, TrainOptions, ValOptions } from '../options.js';
import type { StageTimes } from '../pipeline.js';
import { readWeights } from '../weights/index.js';
import type { Checkpoint } from '../weights/pt.js';
import { exportModel, type ExportHooks, type ExportRun } from './export.js';
import { MAX_BYTES, readRegularFile } from './fs.js';
import { resolveWeights } from './hub.js';
import { fromCheckpoint, type LoadOptions, type NodeDetector, type NodeImageInput } from './load.js';
import { loadOnnxBytes } from './onnx.js';
import { predict, type PredictOptions, type PredictRun } from './predict.js';
import type { SourceList } from './sources.js';
import { track, type TrackFrame, type TrackOptions } from './track.js';
import { train, type TrainRun, type TrainRunHooks } from './train.js';
import { val, type ValHooks, type ValRun } from './val.js';

/**
 * A loaded LeYOLO model. `detect()` works for every weights format; `train()` and `export()` need
 * the checkpoint (`.pt` or `.safetensors`), not an exported `.onnx`.
 *
 * @example
 * const model = await load({ weights: 'LeYOLONano.pt' });
 * const dets = await model.detect('bus.jpg');              // [{ box, score, classId, label }]
 * const metrics = await model.val({ data: 'coco128.yaml' }); // metrics.ultralytics.mAP5095
 * const run = await model.train({ data: 'coco8.yaml', epochs: 10, imgsz: 320 });
 * const { path } = await model.export({ imgsz: 320, output: 'nano.onnx' });
 * for await (const f of model.track('clip.mp4')) console.log(f.frame, f.tracks); // [{ box, id, score, classId, label }]
 * await model.dispose();
 */
export class Model implements DetectorLike<NodeImageInput> {
  constructor(
    /** The detector every mode runs through. */
    readonly detector: NodeDetector,
    /** The checkpoint (null for an `.onnx` file). */
    readonly checkpoint: Checkpoint | null,
    /** The weights file it came from. */
    readonly weights: string,
  ) {}

  get meta(): ModelMeta {
    return this.detector.meta;
  }

  get times(): StageTimes {
    return this.detector.times;
  }

  get backend(): string {
    return this.detector.backend;
  }

  /** Detect objects in one image: a path, encoded bytes, or raw pixels `{ data, width, height, channels }`. */
  detect(input: NodeImageInput, opts?: DetectOptions): Promise<Detection[]> {
    return this.detector.detect(input, opts);
  }

  /** Detect objects in several images with one forward pass. */
  detectBatch(inputs: NodeImageInput[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    return this.detector.detectBatch(inputs, opts, mode);
  }

  /** Detect on already-decoded RGB images. */
  detectImages(images: RgbImage[], opts?: DetectOptions, mode?: LetterboxMode): Promise<Detection[][]> {
    return this.detector.detectImages(images, opts, mode);
  }

  /** The same model at another inference size (shares the session). */
  withImgsz(imgsz: number): DetectorLike<NodeImageInput> {
    return this.detector.withImgsz(imgsz);
  }

  /** Predict mode over files, folders, quoted globs and videos (see {@link predict}). */
  predict(sources: string | readonly string[] | SourceList, opts?: PredictOptions): Promise<PredictRun> {
    return predict(this.detector, sources, opts);
  }

  /** Track mode: every frame of a video, folder or glob with its tracks (see {@link track}). */
  track(source: string, opts?: TrackOptions): AsyncGenerator<TrackFrame> {
    return track(this.detector, source, opts);
  }

  /** Val mode on a dataset (see {@link val}). */
  val(opts: ValOptions, hooks?: ValHooks): Promise<ValRun> {
    return val(this.detector, opts, hooks);
  }

  /** Fine-tune this model on a dataset (see {@link train}). */
  train(opts: TrainOptions, hooks?: TrainRunHooks): Promise<TrainRun> {
    return train(opts, { checkpoint: this.requireCheckpoint('train'), weights: this.weights }, hooks);
  }

  /** Export to ONNX (see {@link exportModel}); the default size is the model's. */
  export(opts?: ExportModelOptions, hooks?: ExportHooks): Promise<ExportRun> {
    return exportModel(this.requireCheckpoint('export'), opts, hooks, this.meta.imgsz);
  }

  /** Release the inference session. */
  dispose(): Promise<void> {
    return this.detector.dispose();
  }

  private requireCheckpoint(mode: string): Checkpoint {
    if (this.checkpoint) return this.checkpoint;
    throw new LeyoloError('BAD_ARGUMENT', `${mode} needs the model's checkpoint, and ${this.weights} is an exported .onnx`, 'load the .pt or .safetensors weights instead');
  }
}

/**
 * Load a LeYOLO model: `.pt` (official Ultralytics/LeYOLO checkpoints, read without executing
 * anything), `.safetensors`, or an exported `.onnx`. Without `weights`: $LEYOLO_WEIGHTS, the user
 * cache, then the official release file of `model` (default nano).
 *
 * @example
 * import { load } from 'leyolo';
 * const model = await load({ weights: 'LeYOLONano.pt', imgsz: 640 });
 * const dets = await model.detect('bus.jpg', { conf: 0.25 });
 * await model.dispose();
 */
export function load(opts: LoadOptions = {}): Promise<Model> {
  return guard('load', async () => {
    if (typeof opts !== 'object' || opts === null) throw new LeyoloError('BAD_ARGUMENT', 'load() takes an options object', "e.g. load({ weights: 'LeYOLONano.pt' })");
    const imgsz = opts.imgsz ?? 640;
    if (!Number.isInteger(imgsz) || imgsz < 32 || imgsz > 4096 || imgsz % 32 !== 0) {
      throw new LeyoloError(imgsz > 4096 ? 'LIMIT_EXCEEDED' : 'BAD_ARGUMENT', `imgsz must be a multiple of 32 in 32..4096, got ${imgsz}`, 'e.g. imgsz: 640 or 320');
    }
    const path = await resolveWeights({ weights: opts.weights, scale: opts.model });
    const bytes = await readRegularFile(path, { maxBytes: MAX_BYTES.weights, what: 'weights file', notFound: 'WEIGHTS_NOT_FOUND', notFoundHint: "pass weights: the path of an existing .pt, .safetensors or .onnx file" });
    if (path.toLowerCase().endsWith('.onnx')) {
      return new Model(await loadOnnxBytes(bytes, { imgsz, threads: opts.threads, maxPixels: opts.maxPixels }), null, path);
    }
    let ck: Checkpoint;
    try {
      ck = readWeights(bytes);
    } catch (e) {
      throw e instanceof LeyoloError ? withContext(e, path) : e;
    }
    return new Model(await fromCheckpoint(ck, { imgsz, threads: opts.threads, scale: opts.model, maxPixels: opts.maxPixels }), ck, path);
  });
}
