/**
 * Options of every mode, as typed defaults validated once (zod), shared by the library and the CLI:
 * each CLI flag is the kebab-case form of an option here (`maxDet` <-> `--max-det`), with the same
 * default. Never evaluated as code. Platform-neutral.
 */
import { z } from 'zod';
import { LeyoloError } from './errors.js';
import { TrainConfigSchema } from './train/config.js';

/** Most classes a model or dataset may have (also the checkpoint and dataset readers' cap). */
export const MAX_CLASSES = 10_000;

const unit = z.number().min(0).max(1);
const imgsz = z.number().int().min(32).max(4096).multipleOf(32);

/** `detect()` / `predict` options (Ultralytics predict defaults). */
export const DetectOptionsSchema = z.object({
  /** Confidence threshold. */
  conf: unit.default(0.25),
  /** NMS IoU threshold. */
  iou: unit.default(0.7),
  /** Detections kept per image. */
  maxDet: z.number().int().min(1).max(100_000).default(300),
  /** Keep only these class ids. */
  classes: z.array(z.number().int().min(0).max(MAX_CLASSES)).optional(),
  /** Class-agnostic NMS. */
  agnostic: z.boolean().default(false),
});

/** `val` options (Ultralytics val defaults, except `rect`: square batches like the fixtures). */
export const ValOptionsSchema = z.object({
  /** Ultralytics dataset yaml, an images folder (labels/ beside images/) or a COCO annotations json. */
  data: z.string().min(1),
  /** Image folder of a COCO json (default: images/ beside it). */
  images: z.string().optional(),
  split: z.enum(['val', 'train', 'test']).default('val'),
  /** Square letterbox size (default: the model's). */
  imgsz: imgsz.optional(),
  /** Images per forward pass. */
  batch: z.number().int().min(1).max(1024).default(1),
  conf: unit.default(0.001),
  iou: unit.default(0.7),
  maxDet: z.number().int().min(1).max(100_000).default(300),
  /** Per-image rectangles (Ultralytics rect batching) instead of squares. */
  rect: z.boolean().default(false),
  /** Write PR/F1/confusion-matrix PNGs into the run folder. */
  plots: z.boolean().default(true),
  /** Write predictions.json (COCO results format) into the run folder. */
  saveJson: z.boolean().default(false),
  /** Parent of run folders. */
  project: z.string().default('runs/val'),
  /** Run folder name (default: the next free number). */
  name: z.string().optional(),
});

/** `train` options: the training config plus data and where the run goes. */
export const TrainOptionsSchema = TrainConfigSchema.extend({
  data: z.string().min(1),
  images: z.string().optional(),
  /** Scale when training from scratch (ignored when fine-tuning a loaded model). */
  model: z.enum(['nano', 'small', 'medium', 'large']).default('nano'),
  project: z.string().default('runs/train'),
  name: z.string().optional(),
});

/** `export` options. */
export const ExportOptionsSchema = z.object({
  format: z.enum(['onnx']).default('onnx'),
  /** Square input size (default: the model's). */
  imgsz: imgsz.optional(),
  /** Dynamic batch, height and width. */
  dynamic: z.boolean().default(false),
  /** Fixed batch size (not with dynamic). */
  batch: z.number().int().min(1).max(1024).optional(),
  /** Also output the raw heads p3..p5 (not with nms). */
  heads: z.boolean().default(false),
  /** In-graph NMS with these settings. */
  nms: z.object({ conf: unit.default(0.25), iou: unit.default(0.7), maxDet: z.number().int().min(1).max(100_000).default(300), agnostic: z.boolean().default(false) }).optional(),
  /** float16 weights and activations. */
  half: z.boolean().default(false),
  /** Static INT8: calibration images from this folder. */
  int8: z.object({
    calib: z.string().min(1),
    calibN: z.number().int().min(1).max(100_000).default(64),
    method: z.enum(['mse', 'hybrid', 'percentile', 'minmax']).default('mse'),
    keep: z.number().int().min(0).max(1000).optional(),
  }).optional(),
  /** Write the file here (atomically); without it only the bytes are returned. */
  output: z.string().optional(),
  /** Name the scale in the metadata ('large' is Medium's table at 768). */
  scale: z.enum(['nano', 'small', 'medium', 'large']).optional(),
  /** Intra-op threads for INT8 calibration (default: all cores). */
  threads: z.number().int().min(1).max(256).optional(),
  /** ONNX opset, 13..17 (default 17). */
  opset: z.number().int().min(13).max(17).optional(),
});

export type DetectOptionsInput = z.input<typeof DetectOptionsSchema>;
export type ValOptions = z.input<typeof ValOptionsSchema>;
export type TrainOptions = z.input<typeof TrainOptionsSchema>;
export type ExportModelOptions = z.input<typeof ExportOptionsSchema>;

/**
 * Validate options once against a schema; a bad value is BAD_ARGUMENT naming the option (as
 * `what.option`) and the allowed values, with the cause kept.
 *
 * @example
 * const o = parseOptions(ValOptionsSchema, { data: 'coco8.yaml', batch: 4 }, 'val');
 */
export function parseOptions<S extends z.ZodTypeAny>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data as z.output<S>;
  const i = r.error.issues[0];
  const key = i.path.join('.');
  throw new LeyoloError('BAD_ARGUMENT', `${what}: option '${key || '(options)'}': ${i.message}`, `see the ${what} options in the README (or 'leyolo ${what} --help')`, { cause: r.error });
}
