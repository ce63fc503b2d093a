/**
 * Ultralytics-style detection metrics accumulator (DetectionValidator.update_metrics + DetMetrics of
 * Ultralytics 8.1.4): feed one image at a time, then compute P, R, mAP50, mAP50-95, fitness, per
 * class numbers and the curves for plots.
 */
import { apPerClass, CURVE_X } from './ap.js';
import type { BoxXyxy } from './match.js';
import { boxIou, IOU_THRESHOLDS, matchPredictions } from './match.js';
import { pairwiseSum } from './numeric.js';

/** One prediction of one image (after NMS; xyxy in original-image pixels). */
export interface DetPrediction {
  box: BoxXyxy;
  score: number;
  classId: number;
}
/** One GT label of one image (crowd regions excluded, as Ultralytics' YOLO labels). */
export interface DetLabel {
  box: BoxXyxy;
  classId: number;
}

export interface DetClassResult {
  classId: number;
  name: string;
  /** Images that contain at least one label of this class. */
  images: number;
  instances: number;
  precision: number;
  recall: number;
  mAP50: number;
  mAP5095: number;
}

export interface DetCurves {
  /** 1000 points 0..1: confidence for p/r/f1, recall for prCurve. */
  px: Float64Array;
  /** Per class (same order as perClass). */
  p: Float64Array[];
  r: Float64Array[];
  f1: Float64Array[];
  /** Precision at IoU 0.5 vs recall; null for a class without predictions (Ultralytics skips it). */
  prCurve: (Float64Array | null)[];
}

export interface DetResult {
  /** Images added (Ultralytics `seen`). */
  images: number;
  /** GT labels over all classes. */
  instances: number;
  precision: number;
  recall: number;
  mAP50: number;
  mAP75: number;
  mAP5095: number;
  /** 0.1*mAP50 + 0.9*mAP50-95 (Ultralytics fitness). */
  fitness: number;
  /** Classes present in the labels, ascending id (Ultralytics `ap_class_index`). */
  perClass: DetClassResult[];
  /** [nc] mAP50-95 per class id; classes without labels get the overall mAP50-95 (Ultralytics `maps`). */
  maps: Float64Array;
  curves: DetCurves;
}

export interface DetStatsOptions {
  /** Emulate torch float32 box IoU (default true: the official validator's arithmetic). */
  float32?: boolean;
}

/**
 * Accumulates per-image matches at IoU .50:.05:.95 with Ultralytics' val matching.
 *
 * @example
 * const s = new DetStats();
 * s.add([{ box: [0, 0, 10, 10], score: 0.9, classId: 0 }], [{ box: [0, 0, 10, 10], classId: 0 }]);
 * s.compute(1, ['person']).mAP50; // 0.995 (101-point interpolation tops out below 1)
 */
export class DetStats {
  private readonly tp: Uint8Array[] = [];
  private readonly conf: number[] = [];
  private readonly predCls: number[] = [];
  private readonly targetCls: number[] = [];
  private readonly imagesPerClass = new Map<number, number>();
  private seen = 0;
  private readonly float32: boolean;

  constructor(opts: DetStatsOptions = {}) {
    this.float32 = opts.float32 ?? true;
  }

  /** Adds one image: its predictions (any order; Ultralytics passes them score-sorted) and labels. */
  add(pred: readonly DetPrediction[], gt: readonly DetLabel[]): void {
    this.seen++;
    for (const c of new Set(gt.map((g) => g.classId))) this.imagesPerClass.set(c, (this.imagesPerClass.get(c) ?? 0) + 1);
    if (pred.length === 0 && gt.length === 0) return;
    for (const g of gt) this.targetCls.push(g.classId);
    if (pred.length === 0) return;
    const T = IOU_THRESHOLDS.length;
    let correct: Uint8Array = new Uint8Array(pred.length * T);
    if (gt.length > 0) {
      const iou = boxIou(
        gt.map((g) => g.box),
        pred.map((p) => p.box),
        this.float32,
      );
      correct = matchPredictions(
        pred.map((p) => p.classId),
        gt.map((g) => g.classId),
        iou,
      );
    }
    pred.forEach((p, i) => {
      this.tp.push(correct.subarray(i * T, (i + 1) * T));
      this.conf.push(Math.fround(p.score)); // the official stats hold conf as a float32 tensor
      this.predCls.push(p.classId);
    });
  }

  /**
   * Computes the metrics. `names[c]` labels class c (default: its id). Like Ultralytics, if no
   * prediction is correct at any threshold, every metric is 0 and perClass is empty.
   */
  compute(nc: number, names: readonly string[] | Record<number, string> = []): DetResult {
    const T = IOU_THRESHOLDS.length;
    const tp = new Uint8Array(this.tp.length * T);
    this.tp.forEach((row, i) => tp.set(row, i * T));
    const empty: DetResult = {
      images: this.seen,
      instances: this.targetCls.length,
      precision: 0,
      recall: 0,
      mAP50: 0,
      mAP75: 0,
      mAP5095: 0,
      fitness: 0,
      perClass: [],
      maps: new Float64Array(Math.max(0, nc)),
      curves: { px: CURVE_X, p: [], r: [], f1: [], prCurve: [] },
    };
    if (!tp.some((v) => v === 1)) return empty;
    const res = apPerClass({ tp, nIou: T, conf: this.conf, predCls: this.predCls, targetCls: this.targetCls });
    const ap50 = res.ap.map((a) => a[0]);
    const ap5095 = res.ap.map((a) => pairwiseSum(a) / a.length);
    const nameOf = (c: number): string => (names as Record<number, string>)[c] ?? String(c);
    const mean = (xs: number[]): number => (xs.length ? pairwiseSum(xs) / xs.length : 0);
    const all = res.ap.flatMap((a) => Array.from(a));
    const mAP50 = mean(ap50);
    const mAP5095 = mean(all);
    return {
      ...empty,
      precision: mean(res.p),
      recall: mean(res.r),
      mAP50,
      mAP75: mean(res.ap.map((a) => a[5])),
      mAP5095,
      fitness: 0.1 * mAP50 + 0.9 * mAP5095,
      perClass: res.classes.map((c, i) => ({
        classId: c,
        name: nameOf(c),
        images: this.imagesPerClass.get(c) ?? 0,
        instances: res.nt[i],
        precision: res.p[i],
        recall: res.r[i],
        mAP50: ap50[i],
        mAP5095: ap5095[i],
      })),
      maps: classMaps(nc, res.classes, ap5095, mAP5095),
      curves: { px: CURVE_X, p: res.pCurve, r: res.rCurve, f1: res.f1Curve, prCurve: res.prCurve },
    };
  }
}

/** Ultralytics `Metric.maps`: overall mAP everywhere, overwritten by each labelled class's own value. */
function classMaps(nc: number, classes: number[], ap: number[], overall: number): Float64Array {
  const maps = new Float64Array(Math.max(0, nc, ...classes.map((c) => c + 1))).fill(overall);
  classes.forEach((c, i) => {
    maps[c] = ap[i];
  });
  return maps;
}
