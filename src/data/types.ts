/**
 * Dataset types shared by `leyolo val` and `leyolo train`.
 *
 * Boxes inside a Dataset are YOLO-normalised [cx, cy, w, h] in 0..1 of the ORIGINAL image (that is what
 * label files hold and what the augmentations consume); convert with the item's width/height to get
 * xyxy pixels (the project-wide box format) at the boundary where pixels are needed.
 */
import type { CocoGt } from '../metrics/cocoeval.js';

/** One ground-truth box: class index 0..nc-1 and a normalised [cx, cy, w, h] box. */
export interface LabelBox {
  classId: number;
  box: [number, number, number, number];
}

/** One image of a dataset with its (non-crowd) labels. */
export interface DatasetItem {
  /** Absolute image path. */
  image: string;
  labels: LabelBox[];
  /**
   * COCO image id: the json's id for COCO datasets; for YOLO-label datasets the numeric file stem
   * (Ultralytics' `pred_to_json` convention: 000000000009.jpg -> 9) or, if stems are not all unique
   * integers, the 1-based item index. `toCocoGt` uses the same ids, so predictions can be written with it.
   */
  cocoImageId?: number;
  /** Original image size in pixels (EXIF-rotation corrected), from the header check or the COCO json. */
  width?: number;
  height?: number;
}

/** A per-file problem found while loading; `skipped` false means the file was kept (e.g. duplicate rows removed). */
export interface DatasetProblem {
  file: string;
  reason: string;
  skipped: boolean;
}

/** COCO-style ground truth (defined by src/metrics; pycocotools' COCO() shape). */
export type { CocoGt };

/** A loaded split. */
export interface Dataset {
  /** Class names, index = class id. */
  names: string[];
  items: DatasetItem[];
  problems: DatasetProblem[];
  /** For COCO-json datasets: the original ground truth (crowd regions, areas, ids) restricted to kept images. */
  coco?: CocoGt;
  /** For COCO-json datasets: class index -> original COCO category id (sorted ids, as Ultralytics maps them). */
  categoryIds?: number[];
}

/** Options of `loadDataset`. */
export interface LoadDatasetOptions {
  split: 'train' | 'val' | 'test';
  /** Image folder of a COCO json (default: `images/` beside the json, else the json's folder). */
  images?: string;
  /** Class names for a plain images dir (which has no yaml); default `class0..classN` from the labels. */
  names?: string[];
  /** Concurrent header checks (default 16). */
  concurrency?: number;
}
