/** The typed LeYOLO model definition: tables, resolution, FLOPs and checkpoint-table checks. */
export { MODEL_TABLES, SCALE_NAMES } from './table.js';
export type { LayerRow, LayerKind, ModelTable, ScaleName, ScaleParams, MnConvRow, BlockRow, SppfRow, UpsampleRow, ConcatRow, DetectRow } from './table.js';
export { resolveModel, paramShapes, countParams, usedLayers, makeDivisible, scaleChannels } from './resolve.js';
export type { ResolvedModel, ResolvedLayer, ResolveOptions, ConvUnit, ParamSpec, DetectBranches } from './resolve.js';
export { modelInfo } from './flops.js';
export type { ModelInfo, LayerInfo, FlopOptions } from './flops.js';
export { tableFromCheckpointYaml, detectScale, checkTableAgainstYaml } from './yaml.js';
export { modelOfCheckpoint } from './from-checkpoint.js';
export type { CheckpointTable } from './yaml.js';
