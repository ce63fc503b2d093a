/**
 * leyolo for Node: `load()` a LeYOLO model, `detect()` objects, `dispose()`.
 *
 * @example
 * import { load } from 'leyolo';
 * const model = await load({ weights: 'LeYOLONano.pt' });
 * console.log(await model.detect('bus.jpg'));
 * await model.dispose();
 */
export { load, fromCheckpoint, type LoadOptions, type NodeDetector, type NodeImageInput } from './node/load.js';
export { Detector, type Detection, type DetectOptions, type ModelMeta } from './detector.js';
export { LeyoloError, isLeyoloError, type ErrorCode } from './errors.js';
export type { RgbImage } from './image/types.js';
export { readWeights, readCheckpoint, type Checkpoint } from './weights/index.js';
export { resolveModel, countParams } from './model/resolve.js';
export { modelInfo } from './model/flops.js';
export type { ScaleName } from './model/table.js';
