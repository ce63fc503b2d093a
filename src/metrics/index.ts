/**
 * Detection metrics: a pycocotools-exact COCOeval (bbox) port, Ultralytics 8.1.4 validation metrics
 * (matching, ap_per_class, DetMetrics, ConfusionMatrix), text reports and SVG plots. Browser-safe.
 */
export { cocoEval, defaultCocoParams } from './cocoeval.js';
export type { CocoDet, CocoEvalDims, CocoEvalOptions, CocoEvalResult, CocoGt, CocoGtAnnotation } from './cocoeval.js';
export { cocoSummary, formatCocoStats, pyFixed } from './coco-summary.js';
export type { CocoSummary } from './coco-summary.js';
export { apPerClass, computeAp, smooth, CURVE_X } from './ap.js';
export type { ApInputs, ApPerClass } from './ap.js';
export { boxIou, matchPredictions, IOU_THRESHOLDS } from './match.js';
export type { BoxXyxy } from './match.js';
export { DetStats } from './detstats.js';
export type { DetClassResult, DetCurves, DetLabel, DetPrediction, DetResult, DetStatsOptions } from './detstats.js';
export { ConfusionMatrix } from './confusion.js';
export type { ConfusionMatrixOptions } from './confusion.js';
export { formatUltralyticsTable, pyG } from './report.js';
export { confusionMatrixSvg, f1CurveSvg, mcCurveSvg, prCurveSvg } from './plots.js';
export type { CurveMetric, PlotSize } from './plots.js';
