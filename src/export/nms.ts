/**
 * In-graph NMS for exported models, with the semantics of our (Ultralytics 8.1.4) predict path:
 * best class per anchor (max score, ArgMax = first maximum), candidates with score > conf, boxes
 * xywh -> xyxy, class-offset boxes (xyxy + class * 7680) so that one NonMaxSuppression class slot
 * does class-aware NMS, then the first max_det survivors by score.
 *
 * ONNX Runtime's CPU NonMaxSuppression (onnxruntime/core/providers/cpu/object_detection/
 * non_max_suppression.cc) keeps scores `> score_threshold` (strict, like `conf > conf_thres`),
 * visits boxes by score with ties to the lower index (like torchvision's stable sort), suppresses
 * when IoU `> iou_threshold` (strict, like torchvision), computes IoU in float32 as
 * inter / (area1 + area2 - inter), and stops after max_output_boxes_per_class boxes per (batch,
 * class): with one class slot that is max_det per image, in score order.
 *
 * Output `detections` [K, 7] float32 rows: batch index, x1, y1, x2, y2 (input-tensor pixels, i.e.
 * letterboxed), score, class id; grouped by batch, each batch in descending score order.
 */
import { attr } from '../onnx/ir.js';
import type { Graph } from '../onnx/ir.js';

/** Thresholds baked into the NMS subgraph. */
export interface NmsSettings {
  /** Keep candidates with best-class score > conf (default 0.25). */
  conf: number;
  /** Suppress boxes with IoU > iou to a kept box of the same class (default 0.7). */
  iou: number;
  /** Detections per image (default 300). */
  maxDet: number;
  /** Class-agnostic NMS (no class offsets). */
  agnostic?: boolean;
}

/** Ultralytics `max_wh`: per-class box offset that keeps classes apart in one NMS. */
export const MAX_WH = 7680;

/**
 * Append NMS to a graph whose `decoded` tensor is [B, 4 + nc, N]; returns the `detections` name.
 *
 * @example
 * const g = inferenceGraph(m, sd, bn, { decode: true, heads: false });
 * const det = appendNms(g, 'decoded', m.nc, { conf: 0.25, iou: 0.7, maxDet: 300 });
 */
export function appendNms(g: Graph, decoded: string, nc: number, s: NmsSettings): string {
  const [xywh, scores] = g.node('Split', [decoded, g.constI64('nms.split', [2], [4, nc])], { axis: attr.int(1) }, { name: 'nms.split', outputs: 2 });
  // xywh [B, 4, N] -> xyxy (x1 = cx - w / 2 ... in float32, as xywh2xyxy does) -> boxes [B, N, 4].
  const [cxy, wh] = g.node('Split', [xywh, g.constI64('nms.split2', [2], [2, 2])], { axis: attr.int(1) }, { name: 'nms.cxy_wh', outputs: 2 });
  const half = g.op('Mul', [wh, g.constF('nms.half', [], [0.5])], {}, 'nms.halfwh');
  const xy1 = g.op('Sub', [cxy, half], {}, 'nms.xy1');
  const xy2 = g.op('Add', [cxy, half], {}, 'nms.xy2');
  const xyxy = g.op('Concat', [xy1, xy2], { axis: attr.int(1) }, 'nms.xyxy');
  const boxes = g.op('Transpose', [xyxy], { perm: attr.ints([0, 2, 1]) }, 'nms.boxes');
  // Best class: score [B, 1, N], class index [B, 1, N] (first maximum).
  const best = g.op('ReduceMax', [scores], { axes: attr.ints([1]), keepdims: attr.int(1) }, 'nms.best');
  const cls = g.op('Cast', [g.op('ArgMax', [scores], { axis: attr.int(1), keepdims: attr.int(1) }, 'nms.argmax')], { to: attr.int(1) }, 'nms.cls');
  const clsT = g.op('Transpose', [cls], { perm: attr.ints([0, 2, 1]) }, 'nms.clsT'); // [B, N, 1]
  const nmsBoxes = s.agnostic ? boxes : g.op('Add', [boxes, g.op('Mul', [clsT, g.constF('nms.maxwh', [], [MAX_WH])], {}, 'nms.offset')], {}, 'nms.offboxes');
  const sel = g.op('NonMaxSuppression', [
    nmsBoxes, best,
    g.constI64('nms.max_det', [1], [s.maxDet]),
    g.constF('nms.iou', [1], [s.iou]),
    g.constF('nms.conf', [1], [s.conf]),
  ], { center_point_box: attr.int(0) }, 'nms.select'); // [K, 3] = (batch, class slot 0, anchor)
  const idx = g.op('Gather', [sel, g.constI64('nms.bn', [2], [0, 2])], { axis: attr.int(1) }, 'nms.idx'); // [K, 2]
  const flat = g.constI64('nms.flat', [2], [0, -1]);
  const selBoxes = g.op('GatherND', [boxes, idx], {}, 'nms.selboxes'); // [K, 4]
  const selScore = g.op('GatherND', [g.op('Reshape', [best, flat], {}, 'nms.best2'), idx], {}, 'nms.selscore'); // [K]
  const selCls = g.op('GatherND', [g.op('Reshape', [cls, flat], {}, 'nms.cls2'), idx], {}, 'nms.selcls'); // [K]
  const col = g.constI64('nms.col', [1], [1]);
  const batch = g.op('Cast', [g.op('Gather', [sel, g.constI64('nms.b', [1], [0])], { axis: attr.int(1) }, 'nms.batch')], { to: attr.int(1) }, 'nms.batchf');
  const score = g.op('Unsqueeze', [selScore, col], {}, 'nms.score');
  const clsCol = g.op('Unsqueeze', [selCls, col], {}, 'nms.clscol');
  return g.op('Concat', [batch, selBoxes, score, clsCol], { axis: attr.int(1) }, 'detections');
}
