/**
 * Batch targets -> per-image ground truths, as `v8DetectionLoss.preprocess` does: rows grouped by image in
 * their original order, normalized xywh scaled by (w, h, w, h) of the input and turned into xyxy pixels.
 * Arithmetic is rounded to float32 at each step so the boxes (and hence which anchor centres fall inside
 * them) are bit-identical to the official float32 tensors.
 */
import { LeyoloError } from '../../errors.js';
import type { ImageGts } from './assigner.js';

/** Targets of a batch, Ultralytics layout (`batch['batch_idx']`, `batch['cls']`, `batch['bboxes']`). */
export interface LossTargets {
  /** image index of each row, [n] */
  batchIdx: Int32Array | Float32Array;
  /** class of each row, [n] */
  cls: Float32Array;
  /** normalized xywh (centre x, centre y, width, height in 0..1 of the input), [n, 4] */
  boxes: Float32Array;
}

const f = Math.fround;

/**
 * Group targets per image and convert them to xyxy pixel boxes of an `imgsz = [h, w]` input.
 *
 * @example
 * const gts = buildImageGts({ batchIdx: new Int32Array([0]), cls: new Float32Array([3]),
 *   boxes: new Float32Array([0.5, 0.5, 0.2, 0.4]) }, 2, [320, 320]);
 */
export function buildImageGts(t: LossTargets, batch: number, imgsz: readonly [number, number]): ImageGts[] {
  const n = t.batchIdx.length;
  if (t.cls.length !== n || t.boxes.length !== 4 * n) {
    throw new LeyoloError(
      'BAD_ARGUMENT',
      `targets disagree: ${n} batch indices, ${t.cls.length} classes, ${t.boxes.length / 4} boxes`,
      'give batchIdx [n], cls [n] and boxes [n, 4] for the same n rows',
    );
  }
  const rows: number[][] = Array.from({ length: batch }, () => []);
  for (let i = 0; i < n; i++) {
    const b = t.batchIdx[i];
    if (!Number.isInteger(b) || b < 0 || b >= batch) {
      throw new LeyoloError('BAD_ARGUMENT', `target ${i} has batch index ${b}, batch size is ${batch}`, 'use image indices 0..B-1');
    }
    rows[b].push(i);
  }
  const [H, W] = imgsz;
  return rows.map((idx) => {
    const m = idx.length;
    const out: ImageGts = { cls: new Int32Array(m), boxes: new Float64Array(4 * m), valid: new Uint8Array(m) };
    idx.forEach((i, g) => {
      out.cls[g] = Math.trunc(t.cls[i]);
      const x = f(t.boxes[4 * i] * W), y = f(t.boxes[4 * i + 1] * H);
      const dw = f(t.boxes[4 * i + 2] * W) / 2, dh = f(t.boxes[4 * i + 3] * H) / 2;
      const x1 = f(x - dw), y1 = f(y - dh), x2 = f(x + dw), y2 = f(y + dh);
      out.boxes.set([x1, y1, x2, y2], 4 * g);
      out.valid[g] = f(f(f(x1 + y1) + x2) + y2) > 0 ? 1 : 0;
    });
    return out;
  });
}
