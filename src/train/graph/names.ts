/**
 * Naming conventions shared by the training graphs and the step driver. Parameters keep their PyTorch
 * state-dict names as graph input names; derived tensors get a prefix so they can never collide.
 */
import type { BnSettings } from '../../onnx/fold.js';
import { bnEps } from '../../onnx/fold.js';

/** Saved raw conv output z (before BN) of the conv whose weight is `weight`. */
export const savedZ = (weight: string): string => `z:${weight}`;
/** Batch mean [C] of the BatchNorm at `bn` (training-mode forward output, backward input). */
export const batchMean = (bn: string): string => `mean:${bn}`;
/** Biased batch variance [C] of the BatchNorm at `bn`. */
export const batchVar = (bn: string): string => `var:${bn}`;
/** Gradient output of parameter `p`. */
export const gradOf = (p: string): string => `grad:${p}`;
/** Upstream gradient input d loss / d head level i (p3, p4, p5 -> 0, 1, 2). */
export const headGrad = (i: number): string => `dp${i + 3}`;
/** Training forward output [B]: sum of softplus over level i's class logits (the dense BCE part). */
export const clsSoftplus = (i: number): string => `softplus:p${i + 3}`;
/** Backward input [1]: the scale of the dense class gradient, d loss / d x_cls = clsScale sigmoid(x_cls) + sparse part. */
export const CLS_SCALE = 'cls_scale';
/** Head output name of level i (also the backward graph's input of the forward's heads). */
export const headName = (i: number): string => `p${i + 3}`;

/** Ultralytics sets every BatchNorm's momentum to 0.03 (initialize_weights); used when none is recorded. */
export const DEFAULT_BN_MOMENTUM = 0.03;

/** eps and momentum of one BatchNorm (a number means "this eps everywhere, Ultralytics momentum"). */
export function bnSetting(bn: BnSettings, prefix: string): { eps: number; momentum: number } {
  if (typeof bn === 'number') return { eps: bn, momentum: DEFAULT_BN_MOMENTUM };
  const e = bn.get(prefix);
  return e ?? { eps: bnEps(bn, prefix), momentum: DEFAULT_BN_MOMENTUM };
}
