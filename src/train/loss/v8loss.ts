/**
 * YOLOv8 detection loss (Ultralytics 8.1 `v8DetectionLoss`, as used by LeYOLO) and its analytic gradient
 * with respect to the raw head outputs, the assignment held constant (the official assigner runs under
 * no_grad on detached predictions, and CIoU's alpha is computed under no_grad).
 *
 *   tss  = max(sum target_scores, 1)
 *   cls  = gain_cls * sum_{b,a,c} BCEWithLogits(x, t) / tss
 *   box  = gain_box * sum_fg (1 - CIoU(pred, target)) * w / tss          w = sum_c target_scores (grid units)
 *   dfl  = gain_dfl * sum_fg mean_sides(CE(z, tl) wl + CE(z, tl+1) wr) * w / tss, target clamped to [0, 14.99]
 *   loss = (box + cls + dfl) * B                                         (what the trainer backprops)
 */
import { LeyoloError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import type { Assignment } from './assigner.js';
import { assignBatch, DEFAULT_ASSIGNER } from './assigner.js';
import { boxDflTerms } from './boxdfl.js';
import { expNonPos, log1pUnit } from './fastmath.js';
import type { FloatArray, Grid, HeadLike } from './geometry.js';
import { makeGrid, PredBoxes, REG_MAX } from './geometry.js';
import type { LossTargets } from './targets.js';
import { buildImageGts } from './targets.js';

export type { LossTargets } from './targets.js';

/** Loss gains (Ultralytics default.yaml). */
export interface LossGains {
  box: number;
  cls: number;
  dfl: number;
}

export const DEFAULT_GAINS: LossGains = { box: 7.5, cls: 0.5, dfl: 1.5 };

/** Options of {@link v8Loss}. */
export interface V8LossOptions {
  nc: number;
  /** stride of each head, e.g. [8, 16, 32] */
  strides: number[];
  /** network input [h, w]; must equal (H, W) of the first head times its stride */
  imgsz: [number, number];
  hyp?: LossGains;
  /**
   * The dense part of the class loss computed elsewhere: sum over every (b, anchor, class) of
   * softplus(x) (the training forward graph outputs it). The loss then skips its own pass over the
   * B N nc logits, and the returned class gradient holds only the sparse -clsScale t part at the
   * foreground anchors: the caller adds clsScale sigmoid(x) itself (the backward graph does).
   */
  clsSoftplusSum?: number;
}

/** Assigner targets, flat, in the official layouts. */
export interface AssignedTargets {
  /** [B, N] 1 for foreground anchors */
  fgMask: Uint8Array;
  /** [B, N, 4] xyxy input pixels of the assigned gt (gt 0 of the image for background, zeros if none) */
  targetBboxes: Float32Array;
  /** [B, N, nc] normalised alignment at the gt class, 0 elsewhere */
  targetScores: Float32Array;
  /** [B, N] index of the assigned gt within its image (0 for background) */
  targetGtIdx: Int32Array;
}

/** Result of {@link v8Loss}. */
export interface V8LossResult {
  /** (box + cls + dfl) * batch size: the official first return value */
  loss: number;
  /** gained terms: the official `loss.detach()` */
  items: LossGains;
  /** d loss / d heads, same shapes as the heads (when asked for) */
  grads?: Tensor[];
  assigned: AssignedTargets;
}

/** Internal hooks for gradient checks: freeze the assignment and/or CIoU's alpha per foreground anchor. */
export interface LossFreeze {
  assignment?: Assignment;
  alpha?: Float64Array;
}

/** Everything {@link v8LossDetailed} computes (gradients, raw assignment, alpha per fg anchor). */
export interface V8LossDetailed {
  loss: number;
  items: LossGains;
  /** float64 when the heads are float64, float32 otherwise */
  grads?: FloatArray[];
  assignment: Assignment;
  alpha: Float64Array;
  targetScoresSum: number;
  /** d loss / d (softplus sum of the class logits) = gain_cls B / tss: the dense class gradient is clsScale sigmoid(x). */
  clsScale: number;
}

function checkOptions(heads: readonly HeadLike[], opts: V8LossOptions): Grid {
  const grid = makeGrid(heads, opts.strides, opts.nc);
  const l0 = grid.levels[0];
  if (opts.imgsz[0] !== l0.h * l0.stride || opts.imgsz[1] !== l0.w * l0.stride) {
    throw new LeyoloError(
      'BAD_ARGUMENT',
      `imgsz [${opts.imgsz}] does not match the first head (${l0.h}x${l0.w} at stride ${l0.stride})`,
      'pass imgsz = [H0 * stride0, W0 * stride0] of the batch the heads came from',
    );
  }
  if (grid.n < DEFAULT_ASSIGNER.topk) {
    throw new LeyoloError('BAD_ARGUMENT', `only ${grid.n} anchors, top-k needs ${DEFAULT_ASSIGNER.topk}`, 'use a larger input');
  }
  return grid;
}

/**
 * Softplus sum over `data[start..end)` (BCE with target 0) and, when `g` is given, its gradient
 * `scale * sigmoid(x)`. A plain loop with local accumulators: this is the hot path (B * N * nc elements),
 * hence the table-driven exp/log1p (as accurate as Math's, ~2.5x faster).
 */
function softplusRange(data: FloatArray, start: number, end: number, scale: number, g: FloatArray | undefined): number {
  let sum = 0;
  if (g) {
    for (let i = start; i < end; i++) {
      const x = data[i], e = expNonPos(-Math.abs(x)), r = 1 / (1 + e);
      sum += (x > 0 ? x : 0) + log1pUnit(e);
      g[i] = scale * (x >= 0 ? r : e * r);
    }
  } else {
    for (let i = start; i < end; i++) {
      const x = data[i];
      sum += (x > 0 ? x : 0) + log1pUnit(expNonPos(-Math.abs(x)));
    }
  }
  return sum;
}

/**
 * BCE-with-logits summed over all (b, anchor, class), its gradient (scaled by `scale`) into `grads`.
 * Streams the heads with target 0, then corrects the single positive class of each fg anchor:
 * BCE(x, t) = softplus(x) - x t, d/dx = sigmoid(x) - t. `dense`: the softplus sum, computed elsewhere
 * (then only the sparse correction is done here, see V8LossOptions.clsSoftplusSum).
 */
function clsTerm(heads: readonly HeadLike[], grid: Grid, asg: Assignment, nc: number, scale: number, grads?: FloatArray[], dense?: number): number {
  let sum = dense ?? 0;
  for (let l = 0; l < grid.levels.length; l++) {
    const lv = grid.levels[l], hw = lv.h * lv.w, data = heads[l].data, g = grads?.[l];
    for (let b = 0; b < grid.batch; b++) {
      const start = (b * grid.channels + 4 * REG_MAX) * hw;
      if (dense === undefined) sum += softplusRange(data, start, start + nc * hw, scale, g);
      for (let p = 0; p < hw; p++) {
        const a = b * grid.n + lv.offset + p;
        if (!asg.fg[a]) continue;
        const i = start + asg.label[a] * hw + p, t = asg.score[a];
        sum -= data[i] * t;
        if (g) g[i] -= scale * t;
      }
    }
  }
  return sum;
}

/**
 * The full loss with float64 gradients and internals; `freeze` is for gradient checks only.
 *
 * @example
 * const d = v8LossDetailed(heads, targets, { nc: 80, strides: [8, 16, 32], imgsz: [640, 640] });
 */
export function v8LossDetailed(
  heads: readonly HeadLike[], targets: LossTargets, opts: V8LossOptions, wantGrad = true, freeze: LossFreeze = {},
): V8LossDetailed {
  const grid = checkOptions(heads, opts);
  const gains = opts.hyp ?? DEFAULT_GAINS;
  const gts = buildImageGts(targets, grid.batch, opts.imgsz);
  for (const im of gts) {
    for (const c of im.cls) {
      if (c >= opts.nc) throw new LeyoloError('BAD_ARGUMENT', `class ${c} >= nc ${opts.nc}`, 'check the labels against nc');
    }
  }
  const pred = new PredBoxes(heads, grid);
  const asg = freeze.assignment ?? assignBatch(grid, heads, pred, gts);
  let scoreSum = 0;
  for (let i = 0; i < asg.score.length; i++) scoreSum += asg.score[i];
  const tss = Math.max(scoreSum, 1);
  const B = grid.batch;
  // gradients in the heads' precision (float64 only for gradient checks); accumulation is float64 anyway
  const grads = wantGrad
    ? heads.map((h): FloatArray => (h.data instanceof Float64Array ? new Float64Array(h.data.length) : new Float32Array(h.data.length)))
    : undefined;
  const clsScale = (gains.cls * B) / tss;
  const cls = clsTerm(heads, grid, asg, opts.nc, clsScale, grads, opts.clsSoftplusSum);
  const bd = boxDflTerms(heads, grid, gts, asg, (gains.box * B) / tss, (gains.dfl * B) / tss, grads, freeze.alpha);
  const items = { box: (gains.box * bd.box) / tss, cls: (gains.cls * cls) / tss, dfl: (gains.dfl * bd.dfl) / tss };
  return { loss: (items.box + items.cls + items.dfl) * B, items, grads, assignment: asg, alpha: bd.alpha, targetScoresSum: tss, clsScale };
}

/** Expand the sparse assignment into the official dense target tensors. */
function denseTargets(heads: readonly HeadLike[], targets: LossTargets, opts: V8LossOptions, asg: Assignment): AssignedTargets {
  const grid = makeGrid(heads, opts.strides, opts.nc);
  const gts = buildImageGts(targets, grid.batch, opts.imgsz);
  const total = grid.batch * grid.n;
  const targetBboxes = new Float32Array(total * 4);
  const targetScores = new Float32Array(total * opts.nc);
  for (let i = 0; i < total; i++) {
    const im = gts[Math.floor(i / grid.n)];
    if (im.cls.length) for (let k = 0, o = asg.gtIdx[i] * 4; k < 4; k++) targetBboxes[i * 4 + k] = im.boxes[o + k];
    if (asg.fg[i]) targetScores[i * opts.nc + asg.label[i]] = asg.score[i];
  }
  return { fgMask: asg.fg, targetBboxes, targetScores, targetGtIdx: asg.gtIdx };
}

/**
 * YOLOv8 / LeYOLO detection loss of raw head outputs, with d(loss)/d(heads).
 *
 * @example
 * const r = v8Loss([p3, p4, p5], { batchIdx, cls, boxes }, { nc: 80, strides: [8, 16, 32], imgsz: [640, 640] });
 * // r.loss is what the trainer backprops; r.grads[i] has p_i's shape
 */
export function v8Loss(heads: Tensor[], targets: LossTargets, opts: V8LossOptions, wantGrad = true): V8LossResult {
  const d = v8LossDetailed(heads, targets, opts, wantGrad);
  const grads = d.grads?.map((g, i) => ({ shape: [...heads[i].shape], data: g instanceof Float32Array ? g : Float32Array.from(g) }));
  const assigned = denseTargets(heads, targets, opts, d.assignment);
  return grads ? { loss: d.loss, items: d.items, grads, assigned } : { loss: d.loss, items: d.items, assigned };
}
