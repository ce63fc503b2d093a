/**
 * Box (CIoU) and DFL terms of `BboxLoss` over the foreground anchors, with their gradients with respect
 * to the 64 distribution logits of each anchor. Everything in grid units of the anchor's level, as the
 * official code divides target boxes by the stride before `BboxLoss`.
 *
 * Per fg anchor with weight w (its target score), sides s = l, t, r, b with logits z_s[0..15]:
 *   p_s = softmax(z_s), E_s = sum_k k p_s[k], pred = (ax - E_l, ay - E_t, ax + E_r, ay + E_b)
 *   box:  (1 - CIoU(pred, target)) w;   dE_s through dCIoU/dpred;   dz_s[k] = dE_s p_s[k] (k - E_s)
 *   dfl:  mean_s (CE(z_s, tl) wl + CE(z_s, tl + 1) wr) w,   dz_s[k] = w/4 (p_s[k] - wl [k = tl] - wr [k = tl + 1])
 *   with target distance d = clamp(ltrb, 0, 15 - 0.01), tl = floor(d), wl = tl + 1 - d, wr = 1 - wl.
 */
import type { Assignment, ImageGts } from './assigner.js';
import { ciouBackward } from './ciou.js';
import type { FloatArray, Grid, HeadLike } from './geometry.js';
import { levelOf, REG_MAX } from './geometry.js';

/** `bbox2dist` clamp: reg_max - 1 - 0.01, as a float32 like the official clamp_ on a float32 tensor. */
const DIST_MAX = Math.fround(REG_MAX - 1 - 0.01);

/** Sums (before gains and /tss) and the CIoU alpha used for each fg anchor, in fg order. */
export interface BoxDflSums {
  box: number;
  dfl: number;
  alpha: Float64Array;
}

/** Per-anchor scratch: logits, probabilities, expectations and log-sum-exps of the 4 sides. */
interface AnchorScratch {
  z: Float64Array;
  p: Float64Array;
  e: Float64Array;
  lse: Float64Array;
  pred: Float64Array;
  tgt: Float64Array;
  gBox: Float64Array;
  gz: Float64Array;
}

function scratch(): AnchorScratch {
  const n = 4 * REG_MAX;
  return {
    z: new Float64Array(n), p: new Float64Array(n), e: new Float64Array(4), lse: new Float64Array(4),
    pred: new Float64Array(4), tgt: new Float64Array(4), gBox: new Float64Array(4), gz: new Float64Array(n),
  };
}

/** Load the 64 logits of one anchor and compute softmax, expectation and log-sum-exp per side. */
function decodeSides(data: FloatArray, base: number, hw: number, s: AnchorScratch): void {
  for (let side = 0; side < 4; side++) {
    const o = side * REG_MAX;
    let m = -Infinity;
    for (let k = 0; k < REG_MAX; k++) {
      const v = data[base + (o + k) * hw];
      s.z[o + k] = v;
      if (v > m) m = v;
    }
    let sum = 0;
    for (let k = 0; k < REG_MAX; k++) sum += s.p[o + k] = Math.exp(s.z[o + k] - m);
    let ex = 0;
    for (let k = 0; k < REG_MAX; k++) ex += k * (s.p[o + k] /= sum);
    s.e[side] = ex;
    s.lse[side] = m + Math.log(sum);
  }
}

/** DFL of one anchor (mean over sides) and, when `gScale` != 0, its gradient added into `s.gz`. */
function dflAnchor(s: AnchorScratch, ax: number, ay: number, gScale: number): number {
  const ltrb = [ax - s.tgt[0], ay - s.tgt[1], s.tgt[2] - ax, s.tgt[3] - ay];
  let loss = 0;
  for (let side = 0; side < 4; side++) {
    const d = Math.min(Math.max(ltrb[side], 0), DIST_MAX);
    const tl = Math.floor(d), wl = tl + 1 - d, wr = 1 - wl, o = side * REG_MAX;
    loss += (s.lse[side] - s.z[o + tl]) * wl + (s.lse[side] - s.z[o + tl + 1]) * wr;
    if (gScale !== 0) {
      for (let k = 0; k < REG_MAX; k++) s.gz[o + k] += gScale * s.p[o + k];
      s.gz[o + tl] -= gScale * wl;
      s.gz[o + tl + 1] -= gScale * wr;
    }
  }
  return loss / 4;
}

/** Chain d(total)/d(pred box) through the box decode and the 4 softmax expectations into `s.gz`. */
function boxToLogits(s: AnchorScratch): void {
  const dE = [-s.gBox[0], -s.gBox[1], s.gBox[2], s.gBox[3]];
  for (let side = 0; side < 4; side++) {
    const o = side * REG_MAX, ex = s.e[side];
    for (let k = 0; k < REG_MAX; k++) s.gz[o + k] += dE[side] * s.p[o + k] * (k - ex);
  }
}

/**
 * Box and DFL sums over all fg anchors; gradients (already multiplied by `boxScale`/`dflScale`, i.e.
 * gain * B / tss) added into `grads`. `alphaIn` freezes CIoU's alpha per fg anchor (gradient checks).
 *
 * @example
 * const { box, dfl } = boxDflTerms(heads, grid, gts, asg, 7.5 * B / tss, 1.5 * B / tss);
 */
export function boxDflTerms(
  heads: readonly HeadLike[], grid: Grid, gts: readonly ImageGts[], asg: Assignment,
  boxScale: number, dflScale: number, grads?: FloatArray[], alphaIn?: Float64Array,
): BoxDflSums {
  let nfg = 0;
  for (let i = 0; i < asg.fg.length; i++) nfg += asg.fg[i];
  const alpha = new Float64Array(nfg);
  const s = scratch();
  let box = 0, dfl = 0, j = 0;
  for (let i = 0; i < asg.fg.length; i++) {
    if (!asg.fg[i]) continue;
    const b = Math.floor(i / grid.n), a = i - b * grid.n, l = levelOf(grid, a);
    const { w: gw, h: gh, stride, offset } = grid.levels[l];
    const hw = gw * gh, pix = a - offset, ax = (pix % gw) + 0.5, ay = Math.floor(pix / gw) + 0.5;
    const base = b * grid.channels * hw + pix;
    decodeSides(heads[l].data, base, hw, s);
    s.pred.set([ax - s.e[0], ay - s.e[1], ax + s.e[2], ay + s.e[3]]);
    const go = asg.gtIdx[i] * 4, gb = gts[b].boxes;
    for (let k = 0; k < 4; k++) s.tgt[k] = gb[go + k] / stride;
    const w = asg.score[i];
    s.gBox.fill(0);
    s.gz.fill(0);
    const c = ciouBackward(s.pred, 0, s.tgt, 0, -boxScale * w, s.gBox, 0, alphaIn?.[j]);
    alpha[j++] = c.alpha;
    box += (1 - c.ciou) * w;
    dfl += dflAnchor(s, ax, ay, grads ? (dflScale * w) / 4 : 0) * w;
    if (!grads) continue;
    boxToLogits(s);
    const g = grads[l];
    for (let k = 0; k < 4 * REG_MAX; k++) g[base + k * hw] += s.gz[k];
  }
  return { box, dfl, alpha };
}
