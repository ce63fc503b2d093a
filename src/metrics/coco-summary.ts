/**
 * COCOeval.summarize(): the 12 summary numbers and pycocotools' exact text block.
 */
import type { CocoEvalDims, CocoParams } from './coco-types.js';
import { pairwiseSum } from './numeric.js';

interface StatSpec {
  ap: boolean;
  iouThr: number | null;
  area: string;
  maxDets: number;
}

/** The 12 settings of pycocotools' _summarizeDets, in order. */
function statSpecs(maxDets: number[]): StatSpec[] {
  const [m0, m1, m2] = maxDets;
  const s = (ap: boolean, iouThr: number | null, area: string, md: number): StatSpec => ({ ap, iouThr, area, maxDets: md });
  return [
    s(true, null, 'all', m2),
    s(true, 0.5, 'all', m2),
    s(true, 0.75, 'all', m2),
    s(true, null, 'small', m2),
    s(true, null, 'medium', m2),
    s(true, null, 'large', m2),
    s(false, null, 'all', m0),
    s(false, null, 'all', m1),
    s(false, null, 'all', m2),
    s(false, null, 'small', m2),
    s(false, null, 'medium', m2),
    s(false, null, 'large', m2),
  ];
}

/** Mean of the entries > -1 of one setting, in numpy's flattening order (t, r, k); -1 if none. */
function summarizeOne(spec: StatSpec, precision: Float64Array, recall: Float64Array, d: CocoEvalDims, p: CocoParams): number {
  // np.where(iouThr == p.iouThrs): exact float comparison, as pycocotools
  const ts = spec.iouThr === null ? [...Array(d.T).keys()] : [...p.iouThrs.keys()].filter((t) => p.iouThrs[t] === spec.iouThr);
  const a = p.areaRngLbl.indexOf(spec.area);
  const m = p.maxDets.indexOf(spec.maxDets);
  const vals: number[] = [];
  if (a >= 0 && m >= 0) {
    for (const t of ts) {
      if (spec.ap) {
        for (let r = 0; r < d.R; r++) {
          for (let k = 0; k < d.K; k++) vals.push(precision[(((t * d.R + r) * d.K + k) * d.A + a) * d.M + m]);
        }
      } else {
        for (let k = 0; k < d.K; k++) vals.push(recall[((t * d.K + k) * d.A + a) * d.M + m]);
      }
    }
  }
  const kept = vals.filter((v) => v > -1);
  return kept.length === 0 ? -1 : pairwiseSum(kept) / kept.length;
}

/** The 12 stats of COCOeval.summarize() for bbox. */
export function summarizeStats(precision: Float64Array, recall: Float64Array, dims: CocoEvalDims, p: CocoParams): number[] {
  return statSpecs(p.maxDets).map((s) => summarizeOne(s, precision, recall, dims, p));
}

/**
 * Python's `'{:0.Nf}'.format(x)`: like toFixed, but an exact binary tie rounds half to even.
 * A tie at N decimals is x = odd / 2^(N+1), which x * 2^(N+1) detects exactly.
 */
export function pyFixed(x: number, digits: number): string {
  const scaled = x * 2 ** (digits + 1);
  if (Number.isFinite(x) && Number.isInteger(scaled) && Math.abs(scaled % 2) === 1) {
    const lo = Math.floor(x * 10 ** digits); // exact: x*10^N = odd*5^N/2 fits in 53 bits here
    const n = lo % 2 === 0 ? lo : lo + 1;
    const s = (Math.abs(n) / 10 ** digits).toFixed(digits);
    return n < 0 ? `-${s}` : s;
  }
  return x.toFixed(digits);
}

/**
 * The 12-line summary block pycocotools prints in summarize(), byte for byte (default params).
 *
 * @example
 * formatCocoStats(cocoEval(gt, dets).stats).split('\n')[0];
 * // ' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.442'
 */
export function formatCocoStats(stats: number[], maxDets: number[] = [1, 10, 100]): string {
  const specs = statSpecs(maxDets);
  const lines = specs.map((s, i) => {
    const title = (s.ap ? 'Average Precision' : 'Average Recall').padEnd(18);
    const type = s.ap ? '(AP)' : '(AR)';
    const iou = (s.iouThr === null ? '0.50:0.95' : s.iouThr.toFixed(2)).padEnd(9);
    const area = s.area.padStart(6);
    const md = String(s.maxDets).padStart(3);
    return ` ${title} ${type} @[ IoU=${iou} | area=${area} | maxDets=${md} ] = ${pyFixed(stats[i], 3)}`;
  });
  return lines.join('\n') + '\n';
}

/** Named view of the 12 stats (AP = stats[0] = AP@[.50:.95], AP50, AP75, APs, APm, APl). */
export interface CocoSummary {
  stats: number[];
  AP: number;
  AP50: number;
  AP75: number;
  APs: number;
  APm: number;
  APl: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARs: number;
  ARm: number;
  ARl: number;
}

/**
 * Names the 12 COCO stats.
 *
 * @example
 * const { AP, AP50 } = cocoSummary(cocoEval(gt, dets).stats);
 */
export function cocoSummary(stats: number[]): CocoSummary {
  const [AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl] = stats;
  return { stats: [...stats], AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl };
}
