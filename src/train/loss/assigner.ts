/**
 * Task-aligned assigner (Ultralytics 8.1 `TaskAlignedAssigner(topk=10, alpha=0.5, beta=6.0, eps=1e-9)`),
 * run on detached predictions. Sparse: per gt only the anchors whose centre lies inside it are visited
 * (every other anchor has align metric and overlap 0 in the official dense tensors).
 *
 * Per image b, gt g, anchor a (pixels):
 *   inGt      = min(ax - x1, ay - y1, x2 - ax, y2 - ay) > 1e-9            (select_candidates_in_gts)
 *   overlap   = max(CIoU(gt, pred * stride), 0), score = sigmoid(logit of the gt class)
 *   align     = score^alpha * overlap^beta                                  (get_box_metrics)
 *   candidate = a among torch.topk(align[g], 10) and inGt                   (select_topk_candidates)
 *   an anchor claimed by several gts goes to argmax_g overlap[g, a]          (select_highest_overlaps)
 *   target score = align * max_a(overlap of g's positives) / (max_a(align of g's positives) + eps)
 */
import { ciouForward } from './ciou.js';
import type { Grid, HeadLike, PredBoxes } from './geometry.js';
import { REG_MAX } from './geometry.js';
import { HeapTopK } from './topk.js';

/** Assigner hyper-parameters (the v8DetectionLoss values are the defaults). */
export interface AssignerParams {
  topk: number;
  alpha: number;
  beta: number;
  eps: number;
}

export const DEFAULT_ASSIGNER: AssignerParams = { topk: 10, alpha: 0.5, beta: 6.0, eps: 1e-9 };

/** Ground truths of one image, in the order they appear in the batch targets. */
export interface ImageGts {
  /** class index per gt (already truncated to an integer, as `.long()` does) */
  cls: Int32Array;
  /** xyxy in input pixels, [n, 4], rounded to float32 like the official preprocessing */
  boxes: Float64Array;
  /** mask_gt: x1 + y1 + x2 + y2 > 0 */
  valid: Uint8Array;
}

/** Assignment for a batch: flat [B*N] arrays. */
export interface Assignment {
  fg: Uint8Array;
  gtIdx: Int32Array;
  /** class of the assigned gt (0 for background, like the official clamp) */
  label: Int32Array;
  /** target score at `label` (the only non-zero class of the row); 0 for background */
  score: Float64Array;
}

/** Scratch arrays reused across gts of one image (sized N). */
interface Scratch {
  ids: Int32Array;
  align: Float64Array;
  ov: Float64Array;
  bestOv: Float64Array;
  bestAlign: Float64Array;
  bestGt: Int32Array;
  posCount: Int32Array;
  posGt: Int32Array;
  posAlign: Float64Array;
  posOv: Float64Array;
  /** one predicted box in pixels */
  pd: Float64Array;
}

function makeScratch(n: number): Scratch {
  return {
    ids: new Int32Array(n), align: new Float64Array(n), ov: new Float64Array(n),
    bestOv: new Float64Array(n), bestAlign: new Float64Array(n), bestGt: new Int32Array(n),
    posCount: new Int32Array(n), posGt: new Int32Array(n), posAlign: new Float64Array(n), posOv: new Float64Array(n),
    pd: new Float64Array(4),
  };
}

/**
 * List the anchors whose centre is inside gt box `bx[o..o+3]` (px) into `s.ids`, computing overlap and
 * align metric for each. Returns how many.
 */
function collectInGt(
  grid: Grid, heads: readonly HeadLike[], pred: PredBoxes, b: number, cls: number,
  bx: Float64Array, o: number, prm: AssignerParams, s: Scratch,
): number {
  const x1 = bx[o], y1 = bx[o + 1], x2 = bx[o + 2], y2 = bx[o + 3];
  const pd = s.pd;
  let m = 0;
  for (let l = 0; l < grid.levels.length; l++) {
    const lv = grid.levels[l], st = lv.stride, hw = lv.h * lv.w;
    // candidate rectangle of centres (i + 0.5) * st; the exact test below decides membership
    const c0 = Math.max(0, Math.floor(x1 / st - 0.5)), c1 = Math.min(lv.w - 1, Math.ceil(x2 / st - 0.5));
    const r0 = Math.max(0, Math.floor(y1 / st - 0.5)), r1 = Math.min(lv.h - 1, Math.ceil(y2 / st - 0.5));
    const clsBase = (b * grid.channels + 4 * REG_MAX + cls) * hw;
    const data = heads[l].data;
    for (let r = r0; r <= r1; r++) {
      const ay = (r + 0.5) * st;
      if (!(ay - y1 > prm.eps && y2 - ay > prm.eps)) continue;
      for (let c = c0; c <= c1; c++) {
        const ax = (c + 0.5) * st;
        if (!(ax - x1 > prm.eps && x2 - ax > prm.eps)) continue;
        const pix = r * lv.w + c, a = lv.offset + pix;
        const po = pred.get(b, a);
        for (let k = 0; k < 4; k++) pd[k] = pred.boxes[po + k] * st;
        const ov = Math.max(ciouForward(bx, o, pd, 0).ciou, 0);
        const score = 1 / (1 + Math.exp(-data[clsBase + pix]));
        s.ids[m] = a;
        s.ov[m] = ov;
        s.align[m] = Math.pow(score, prm.alpha) * Math.pow(ov, prm.beta);
        m++;
      }
    }
  }
  return m;
}

/** Run top-k for one gt over its `m` in-gt anchors and record the selected ones as positives. */
function selectTopk(n: number, m: number, g: number, s: Scratch, heap: HeapTopK): void {
  heap.reset();
  const k = heap.k;
  // torch.topk sees the whole row: anchors 0..k-1 first (0 unless inside the gt), then the rest in order.
  let j = 0;
  for (let a = 0; a < Math.min(k, n); a++) {
    if (j < m && s.ids[j] === a) {
      heap.offer(s.align[j], j + n);
      j++;
    } else heap.offer(0, -1 - a);
  }
  for (; j < m; j++) if (s.align[j] > 0) heap.offer(s.align[j], j + n);
  for (let t = 0; t < heap.size; t++) {
    const id = heap.ids[t];
    if (id < 0) continue; // a top-k pick outside the gt: masked by mask_in_gts
    const jj = id - n, a = s.ids[jj];
    if (s.posCount[a]++ === 0) {
      s.posGt[a] = g;
      s.posAlign[a] = s.align[jj];
      s.posOv[a] = s.ov[jj];
    }
  }
}

/** Assign one image; writes its slice of `out`. */
function assignImage(
  grid: Grid, heads: readonly HeadLike[], pred: PredBoxes, b: number, gts: ImageGts,
  prm: AssignerParams, s: Scratch, heap: HeapTopK, out: Assignment,
): void {
  const n = grid.n, ng = gts.cls.length;
  s.bestOv.fill(0); s.bestAlign.fill(0); s.bestGt.fill(0); s.posCount.fill(0);
  for (let g = 0; g < ng; g++) {
    if (!gts.valid[g]) continue;
    const m = collectInGt(grid, heads, pred, b, gts.cls[g], gts.boxes, g * 4, prm, s);
    for (let j = 0; j < m; j++) {
      const a = s.ids[j];
      // overlaps.argmax over gts: the first gt reaching the maximum wins
      if (s.ov[j] > s.bestOv[a]) { s.bestOv[a] = s.ov[j]; s.bestGt[a] = g; s.bestAlign[a] = s.align[j]; }
    }
    selectTopk(n, m, g, s, heap);
  }
  // resolve multi-gt anchors, then per-gt maxima for the normalisation
  const pa = new Float64Array(ng), po = new Float64Array(ng);
  for (let a = 0; a < n; a++) {
    const c = s.posCount[a];
    if (c === 0) continue;
    if (c > 1) { s.posGt[a] = s.bestGt[a]; s.posAlign[a] = s.bestAlign[a]; s.posOv[a] = s.bestOv[a]; }
    const g = s.posGt[a];
    pa[g] = Math.max(pa[g], s.posAlign[a]);
    po[g] = Math.max(po[g], s.posOv[a]);
  }
  const base = b * n;
  for (let a = 0; a < n; a++) {
    const i = base + a;
    if (s.posCount[a] === 0) { out.fg[i] = 0; out.gtIdx[i] = 0; out.label[i] = ng ? Math.max(gts.cls[0], 0) : 0; out.score[i] = 0; continue; }
    const g = s.posGt[a];
    out.fg[i] = 1;
    out.gtIdx[i] = g;
    out.label[i] = Math.max(gts.cls[g], 0);
    out.score[i] = (s.posAlign[a] * po[g]) / (pa[g] + prm.eps);
  }
}

/**
 * Assign every image of the batch.
 *
 * @example
 * const asg = assignBatch(grid, heads, new PredBoxes(heads, grid), perImageGts);
 */
export function assignBatch(
  grid: Grid, heads: readonly HeadLike[], pred: PredBoxes, gts: readonly ImageGts[],
  prm: AssignerParams = DEFAULT_ASSIGNER,
): Assignment {
  const total = grid.batch * grid.n;
  const out: Assignment = {
    fg: new Uint8Array(total), gtIdx: new Int32Array(total), label: new Int32Array(total), score: new Float64Array(total),
  };
  const s = makeScratch(grid.n);
  const heap = new HeapTopK(prm.topk);
  for (let b = 0; b < grid.batch; b++) assignImage(grid, heads, pred, b, gts[b], prm, s, heap, out);
  return out;
}
