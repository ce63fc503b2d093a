/**
 * leyolo for Node: one import, one `Model` for every mode, as Ultralytics' `YOLO`.
 *
 * @example
 * import { load } from 'leyolo';
 * const model = await load({ weights: 'LeYOLONano.pt' });
 * console.log(await model.detect('bus.jpg'));                // [{ box, score, classId, label }, ...]
 * const { ultralytics } = await model.val({ data: 'coco8.yaml' });
 * await model.dispose();
 */
export { load, Model } from './node/model.js';
export { predict, yoloTxt, type PredictOptions, type PredictResult, type PredictFailure, type PredictRun } from './node/predict.js';
export { val, type ValRun, type ValHooks } from './node/val.js';
export { track, type TrackFrame, type TrackOptions } from './node/track.js';
export { createTracker, rowsToTracked, Tracker, type TrackedDetection, type TrackerConfig, type TrackerConfigInput, type Gmc } from './track/index.js';
export { train, type TrainRun, type TrainRunHooks, type TrainSource } from './node/train.js';
export { exportModel, type ExportRun, type ExportHooks } from './node/export.js';
export { DetectOptionsSchema, ValOptionsSchema, TrainOptionsSchema, ExportOptionsSchema, parseOptions, type ValOptions, type TrainOptions, type ExportModelOptions } from './options.js';
export { fromCheckpoint, type LoadOptions, type NodeDetector, type NodeImageInput } from './node/load.js';
export { Detector, type Detection, type DetectOptions, type DetectorLike, type ModelMeta } from './detector.js';
export { LeyoloError, isLeyoloError, type ErrorCode } from './errors.js';
export type { RgbImage } from './image/types.js';
export type { EpochRecord } from './train/report.js';
export { readWeights, readCheckpoint, writeCheckpoint, type Checkpoint } from './weights/index.js';
export { resolveModel, countParams } from './model/resolve.js';
export { modelInfo } from './model/flops.js';
export type { ScaleName } from './model/table.js';
