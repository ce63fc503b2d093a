/**
 * COCOeval.accumulate(): per (category, area range, maxDets) precision at 101 recall thresholds and
 * final recall, from the per-image matches. Same arithmetic as pycocotools (np.spacing(1) guard,
 * right-to-left precision envelope, searchsorted side='left', zero fill past the last recall).
 */
import type { CocoEvalDims, CocoParams, EvalImg } from './coco-types.js';
import { stableArgsortDesc } from './numeric.js';

/** np.spacing(1): the gap from 1.0 to the next float64, guards 0/0 in pr = tp / (tp + fp). */
const SPACING_1 = 2.220446049250313e-16;

export interface Accumulated {
  precision: Float64Array;
  recall: Float64Array;
  dims: CocoEvalDims;
}

/** First index i with a[i] >= v (np.searchsorted side='left' on an ascending array). */
function searchsortedLeft(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Pooled {
  /** [T,N] matched flags after the score sort (dtm != 0). */
  matched: Uint8Array;
  /** [T,N] ignore flags after the score sort. */
  ignored: Uint8Array;
  n: number;
  npig: number;
}

/** Concatenates the first maxDet detections of every image (image order) and sorts them by score (stable). */
function pool(E: EvalImg[], maxDet: number, T: number): Pooled {
  const parts = E.map((e) => Math.min(maxDet, e.dtScores.length));
  const n = parts.reduce((s, x) => s + x, 0);
  const scores = new Float64Array(n);
  const src: [EvalImg, number][] = [];
  let o = 0;
  E.forEach((e, j) => {
    for (let d = 0; d < parts[j]; d++) {
      scores[o++] = e.dtScores[d];
      src.push([e, d]);
    }
  });
  const inds = stableArgsortDesc(scores);
  const matched = new Uint8Array(T * n);
  const ignored = new Uint8Array(T * n);
  for (let c = 0; c < n; c++) {
    const [e, d] = src[inds[c]];
    const D = e.dtScores.length;
    for (let t = 0; t < T; t++) {
      matched[t * n + c] = e.dtMatches[t * D + d] !== 0 ? 1 : 0;
      ignored[t * n + c] = e.dtIgnore[t * D + d];
    }
  }
  let npig = 0;
  for (const e of E) for (const g of e.gtIgnore) if (g === 0) npig++;
  return { matched, ignored, n, npig };
}

/** Precision at the recall thresholds (q) and final recall for one IoU threshold row. */
function prAtThresholds(pl: Pooled, t: number, recThrs: Float64Array): { q: Float64Array; rc: number } {
  const { n, npig } = pl;
  const rc = new Float64Array(n);
  const pr = new Float64Array(n);
  let tp = 0;
  let fp = 0;
  for (let c = 0; c < n; c++) {
    const m = pl.matched[t * n + c];
    const ig = pl.ignored[t * n + c];
    if (m && !ig) tp++;
    if (!m && !ig) fp++;
    rc[c] = tp / npig;
    pr[c] = tp / (fp + tp + SPACING_1);
  }
  for (let i = n - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
  const q = new Float64Array(recThrs.length);
  for (let r = 0; r < recThrs.length; r++) {
    const pi = searchsortedLeft(rc, recThrs[r]);
    if (pi >= n) break; // pycocotools' try/except: the remaining thresholds stay 0
    q[r] = pr[pi];
  }
  return { q, rc: n ? rc[n - 1] : 0 };
}

/**
 * accumulate(): precision [T,R,K,A,M] and recall [T,K,A,M], -1 where no non-ignored GT exists.
 */
export function accumulate(evalImgs: (EvalImg | null)[][][], p: CocoParams): Accumulated {
  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = p.useCats ? p.catIds.length : 1;
  const A = p.areaRng.length;
  const M = p.maxDets.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E = evalImgs[k][a].filter((e): e is EvalImg => e !== null);
      if (E.length === 0) continue;
      for (let m = 0; m < M; m++) {
        const pl = pool(E, p.maxDets[m], T);
        if (pl.npig === 0) continue;
        for (let t = 0; t < T; t++) {
          const { q, rc } = prAtThresholds(pl, t, p.recThrs);
          recall[((t * K + k) * A + a) * M + m] = rc;
          for (let r = 0; r < R; r++) precision[(((t * R + r) * K + k) * A + a) * M + m] = q[r];
        }
      }
    }
  }
  return { precision, recall, dims: { T, R, K, A, M } };
}
