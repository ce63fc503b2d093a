/**
 * Types of the COCOeval port (cocoeval.ts and its halves, cocoeval-accumulate.ts and
 * coco-summary.ts), in their own file so those modules import types without a cycle.
 */

/** COCO ground truth (the subset of the COCO json that bbox evaluation reads). */
export interface CocoGt {
  images: { id: number; width?: number; height?: number }[];
  annotations: CocoGtAnnotation[];
  categories: { id: number; name?: string }[];
}
/** One GT annotation; `area` (not w*h) decides the area range, `iscrowd` makes it an ignore region. */
export interface CocoGtAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: number[]; // [x, y, w, h]
  area: number;
  iscrowd?: number | boolean;
}
/** One detection in COCO results format. */
export interface CocoDet {
  image_id: number;
  category_id: number;
  bbox: number[]; // [x, y, w, h]
  score: number;
}
export interface CocoEvalOptions {
  iouType?: 'bbox';
  /** Images to evaluate (default: every image of the GT). Sorted and deduplicated as pycocotools does. */
  imgIds?: number[];
  /** Categories to evaluate (default: every GT category), sorted and deduplicated. */
  catIds?: number[];
  /** false = class-agnostic (proposal) evaluation, K = 1. Default true. */
  useCats?: boolean;
}
export interface CocoEvalDims {
  T: number;
  R: number;
  K: number;
  A: number;
  M: number;
}
export interface CocoEvalResult {
  /** The 12 COCO summary numbers (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl); -1 = undefined. */
  stats: number[];
  /** [T,R,K,A,M] row-major, -1 where a setting has no (non-ignored) GT. */
  precision: Float64Array;
  /** [T,K,A,M] row-major, -1 where undefined. */
  recall: Float64Array;
  dims: CocoEvalDims;
  catIds: number[];
  imgIds: number[];
  iouThrs: Float64Array;
  recThrs: Float64Array;
  maxDets: number[];
  areaRng: [number, number][];
  areaRngLbl: string[];
}

/** Parameters of a run (pycocotools `Params` for bbox, default values). */
export interface CocoParams {
  imgIds: number[];
  catIds: number[];
  useCats: boolean;
  iouThrs: Float64Array;
  recThrs: Float64Array;
  maxDets: number[];
  areaRng: [number, number][];
  areaRngLbl: string[];
}

/** Per (category, area range, image) matching result; pycocotools' `evalImgs` entry. */
export interface EvalImg {
  /** D detection scores, highest first (at most maxDets[-1]). */
  dtScores: Float64Array;
  /** [T,D] matched GT id, 0 = unmatched (a GT with id 0 reads as unmatched too, as in pycocotools). */
  dtMatches: Float64Array;
  /** [T,D] 1 = ignored detection. */
  dtIgnore: Uint8Array;
  /** [G] 1 = ignored GT (crowd or outside the area range). */
  gtIgnore: Uint8Array;
}
