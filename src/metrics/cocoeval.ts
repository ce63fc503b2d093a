/**
 * COCOeval (iouType 'bbox') port, matching pycocotools 2.0.x: evaluate() + accumulate() + summarize().
 * Written from the published algorithm; every pycocotools quirk that changes a number is kept and
 * named where it happens. Pure TS, browser-safe.
 */
import { LeyoloError } from '../errors.js';
import { accumulate } from './cocoeval-accumulate.js';
import { summarizeStats } from './coco-summary.js';
import { npLinspace, stableArgsortDesc } from './numeric.js';

export type { CocoGt, CocoGtAnnotation, CocoDet, CocoEvalOptions, CocoEvalDims, CocoEvalResult, CocoParams, EvalImg } from './coco-types.js';
import type { CocoGt, CocoDet, CocoEvalOptions, CocoEvalResult, CocoParams, EvalImg } from './coco-types.js';

interface Gt {
  id: number;
  bbox: number[];
  area: number;
  crowd: boolean;
}
interface Dt {
  id: number;
  bbox: number[];
  area: number;
  score: number;
  cat: number;
}

const sortedUnique = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** The default bbox parameters of pycocotools (iouThrs .50:.05:.95, 101 recall points, maxDets 1/10/100). */
export function defaultCocoParams(gt: CocoGt, opts: CocoEvalOptions = {}): CocoParams {
  return {
    imgIds: sortedUnique(opts.imgIds ?? gt.images.map((im) => im.id)),
    catIds: sortedUnique(opts.catIds ?? gt.categories.map((c) => c.id)),
    useCats: opts.useCats ?? true,
    // np.linspace(.5, 0.95, round((0.95 - .5) / .05) + 1) and np.linspace(.0, 1.00, round((1.00 - .0) / .01) + 1)
    iouThrs: npLinspace(0.5, 0.95, 10),
    recThrs: npLinspace(0, 1, 101),
    maxDets: [1, 10, 100],
    areaRng: [
      [0, 1e10],
      [0, 32 ** 2],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e10],
    ],
    areaRngLbl: ['all', 'small', 'medium', 'large'],
  };
}

/**
 * pycocotools' loadRes for bbox results: ids 1..N in list order, area = w*h, iscrowd 0. pycocotools
 * asserts that every result image is in the GT; we throw the same condition as a LeyoloError.
 */
function loadRes(gt: CocoGt, dts: CocoDet[]): Map<number, Dt[]> {
  const gtImgs = new Set(gt.images.map((im) => im.id));
  const byImg = new Map<number, Dt[]>();
  dts.forEach((d, i) => {
    if (!gtImgs.has(d.image_id)) {
      throw new LeyoloError(
        'BAD_ARGUMENT',
        `detection ${i} has image_id ${d.image_id}, which is not an image of the ground truth`,
        'evaluate only detections of images listed in the GT "images" (pycocotools loadRes rejects them too)',
      );
    }
    const rec: Dt = { id: i + 1, bbox: d.bbox, area: d.bbox[2] * d.bbox[3], score: d.score, cat: d.category_id };
    const list = byImg.get(d.image_id);
    if (list) list.push(rec);
    else byImg.set(d.image_id, [rec]);
  });
  return byImg;
}

/** Groups records by (image, category), keeping the input order within an image (getAnnIds order). */
function groupByImgCat<T>(items: Iterable<[number, number, T]>): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const [img, cat, v] of items) {
    const key = `${img},${cat}`;
    const list = out.get(key);
    if (list) list.push(v);
    else out.set(key, [v]);
  }
  return out;
}

/** maskUtils.iou for boxes: [D,G] row-major; crowd GT uses inter / area(dt). */
function bboxIou(dt: Dt[], gt: Gt[]): Float64Array {
  const G = gt.length;
  const out = new Float64Array(dt.length * G);
  for (let g = 0; g < G; g++) {
    const gb = gt[g].bbox;
    const ga = gb[2] * gb[3];
    for (let d = 0; d < dt.length; d++) {
      const db = dt[d].bbox;
      const da = db[2] * db[3];
      const w = Math.min(db[2] + db[0], gb[2] + gb[0]) - Math.max(db[0], gb[0]);
      if (w <= 0) continue;
      const h = Math.min(db[3] + db[1], gb[3] + gb[1]) - Math.max(db[1], gb[1]);
      if (h <= 0) continue;
      const inter = w * h;
      out[d * G + g] = inter / (gt[g].crowd ? da : da + ga - inter);
    }
  }
  return out;
}

/**
 * evaluateImg for one (image, category, area range): greedy matching of score-sorted detections to
 * GTs (non-ignored GTs first), per IoU threshold. Returns null when there is neither GT nor det.
 */
function evaluateImg(gtAll: Gt[], dtSorted: Dt[], ious: Float64Array, aRng: [number, number], p: CocoParams): EvalImg | null {
  if (gtAll.length === 0 && dtSorted.length === 0) return null;
  const ign = gtAll.map((g) => (g.crowd || g.area < aRng[0] || g.area > aRng[1] ? 1 : 0));
  // stable sort: non-ignored GTs first, original order otherwise
  const gtind = gtAll.map((_, i) => i).sort((a, b) => ign[a] - ign[b]);
  const gt = gtind.map((i) => gtAll[i]);
  const G0 = gtAll.length;
  const dt = dtSorted.slice(0, p.maxDets[p.maxDets.length - 1]);
  const T = p.iouThrs.length;
  const G = gt.length;
  const D = dt.length;
  const gtm = new Float64Array(T * G);
  const dtm = new Float64Array(T * D);
  const gtIg = Uint8Array.from(gtind.map((i) => ign[i]));
  const dtIg = new Uint8Array(T * D);
  if (G > 0 && D > 0) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        let iou = Math.min(p.iouThrs[t], 1 - 1e-10);
        let m = -1;
        for (let g = 0; g < G; g++) {
          if (gtm[t * G + g] > 0 && !gt[g].crowd) continue; // already matched, not a crowd region
          if (m > -1 && gtIg[m] === 0 && gtIg[g] === 1) break; // matched a real GT; only ignored ones left
          const v = ious[d * G0 + gtind[g]];
          if (v < iou) continue;
          iou = v;
          m = g;
        }
        if (m === -1) continue;
        dtIg[t * D + d] = gtIg[m];
        dtm[t * D + d] = gt[m].id;
        gtm[t * G + m] = dt[d].id;
      }
    }
  }
  // unmatched detections outside the area range are ignored
  for (let d = 0; d < D; d++) {
    const out = dt[d].area < aRng[0] || dt[d].area > aRng[1];
    if (!out) continue;
    for (let t = 0; t < T; t++) if (dtm[t * D + d] === 0) dtIg[t * D + d] = 1;
  }
  return { dtScores: Float64Array.from(dt.map((x) => x.score)), dtMatches: dtm, dtIgnore: dtIg, gtIgnore: gtIg };
}

/**
 * Runs evaluate(): returns evalImgs indexed [k][a][i] (category, area range, image) like pycocotools.
 */
export function cocoEvaluate(gt: CocoGt, dts: CocoDet[], p: CocoParams): (EvalImg | null)[][][] {
  const dtByImg = loadRes(gt, dts);
  const imgSet = new Set(p.imgIds);
  const catSet = new Set(p.catIds);
  const gts = groupByImgCat<Gt>(
    gt.annotations
      .filter((a) => imgSet.has(a.image_id) && (!p.useCats || catSet.has(a.category_id)))
      .map((a) => [a.image_id, a.category_id, { id: a.id, bbox: a.bbox, area: a.area, crowd: Boolean(a.iscrowd) }]),
  );
  const dtTriples: [number, number, Dt][] = [];
  for (const [img, list] of dtByImg) {
    if (!imgSet.has(img)) continue;
    for (const d of list) {
      if (!p.useCats || catSet.has(d.cat)) dtTriples.push([img, d.cat, d]);
    }
  }
  const dtsG = groupByImgCat<Dt>(dtTriples);
  const catIds = p.useCats ? p.catIds : [-1];
  const pick = <T>(m: Map<string, T[]>, img: number, cat: number): T[] =>
    p.useCats ? (m.get(`${img},${cat}`) ?? []) : p.catIds.flatMap((c) => m.get(`${img},${c}`) ?? []);
  const maxDet = p.maxDets[p.maxDets.length - 1];
  const evalImgs = catIds.map(() => p.areaRng.map(() => new Array<EvalImg | null>(p.imgIds.length).fill(null)));
  catIds.forEach((cat, k) => {
    p.imgIds.forEach((img, i) => {
      const g = pick(gts, img, cat);
      const dRaw = pick(dtsG, img, cat);
      if (g.length === 0 && dRaw.length === 0) return;
      // dets sorted by score with a stable mergesort, then cut to maxDets[-1] per image and category
      const order = stableArgsortDesc(dRaw.map((d) => d.score));
      const d = Array.from(order, (j) => dRaw[j]).slice(0, maxDet);
      const ious = bboxIou(d, g);
      p.areaRng.forEach((aRng, a) => {
        evalImgs[k][a][i] = evaluateImg(g, d, ious, aRng, p);
      });
    });
  });
  return evalImgs;
}

/**
 * COCO bbox evaluation, numerically equal to pycocotools' COCOeval(gt, dt, 'bbox') evaluate /
 * accumulate / summarize. Detections of categories outside `catIds` are ignored (as pycocotools);
 * a detection on an image missing from `gt.images` throws BAD_ARGUMENT (pycocotools asserts).
 * An empty detection list is allowed (pycocotools crashes on it) and gives 0 where GT exists.
 *
 * @example
 * const r = cocoEval(gt, dets);
 * console.log(formatCocoStats(r.stats)); // AP@[.50:.95] = r.stats[0]
 */
export function cocoEval(gt: CocoGt, dt: CocoDet[], opts: CocoEvalOptions = {}): CocoEvalResult {
  if (opts.iouType !== undefined && opts.iouType !== 'bbox') {
    throw new LeyoloError('BAD_ARGUMENT', `iouType ${String(opts.iouType)} is not supported`, "use iouType 'bbox'");
  }
  const p = defaultCocoParams(gt, opts);
  const evalImgs = cocoEvaluate(gt, dt, p);
  const acc = accumulate(evalImgs, p);
  const stats = summarizeStats(acc.precision, acc.recall, acc.dims, p);
  return {
    stats,
    precision: acc.precision,
    recall: acc.recall,
    dims: acc.dims,
    catIds: [...p.catIds],
    imgIds: [...p.imgIds],
    iouThrs: p.iouThrs,
    recThrs: p.recThrs,
    maxDets: [...p.maxDets],
    areaRng: p.areaRng.map((r) => [r[0], r[1]] as [number, number]),
    areaRngLbl: [...p.areaRngLbl],
  };
}
