/**
 * YOLOv8 / LeYOLO detection loss (v8DetectionLoss parity) with analytic head-output gradients.
 *
 * @example
 * import { v8Loss } from './train/loss/index.js';
 * const { loss, items, grads } = v8Loss(heads, targets, { nc: 80, strides: [8, 16, 32], imgsz: [640, 640] });
 */
export { v8Loss, v8LossDetailed, DEFAULT_GAINS } from './v8loss.js';
export type { V8LossOptions, V8LossResult, V8LossDetailed, AssignedTargets, LossGains, LossFreeze, LossTargets } from './v8loss.js';
export { DEFAULT_ASSIGNER } from './assigner.js';
export type { Assignment, AssignerParams } from './assigner.js';
export { ciouForward, ciouBackward } from './ciou.js';
export { REG_MAX } from './geometry.js';
