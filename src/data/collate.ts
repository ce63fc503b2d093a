import { toTensor } from '../image/letterbox.js';
import { LeyoloError } from '../errors.js';
import type { TrainSample } from './sample.js';

/** A training batch in the layout of Ultralytics' collate_fn + v8DetectionLoss inputs. */
export interface TrainBatch {
  /** [B, 3, S, S] RGB / 255. */
  images: Float32Array;
  batchSize: number;
  imgsz: number;
  /** [N] index of each label's image in the batch. */
  batchIdx: Float32Array;
  /** [N] class ids. */
  cls: Float32Array;
  /** [N, 4] normalised [cx, cy, w, h]. */
  boxes: Float32Array;
  /** Images of this batch that failed to decode and were replaced by blank background samples. */
  problems?: { file: string; reason: string }[];
}

/**
 * Stack samples (all S x S) into one batch; labels are concatenated with their image index.
 *
 * @example
 * const batch = collate(await Promise.all([0, 1].map((i) => buildTrainSample(ds, i, opts, rng))));
 */
export function collate(samples: readonly TrainSample[]): TrainBatch {
  if (samples.length === 0) throw new LeyoloError('BAD_ARGUMENT', 'empty batch', 'pass at least one sample');
  const S = samples[0].image.width;
  const plane = 3 * S * S;
  const images = new Float32Array(samples.length * plane);
  const n = samples.reduce((a, s) => a + s.labels.length, 0);
  const batchIdx = new Float32Array(n), cls = new Float32Array(n), boxes = new Float32Array(n * 4);
  let k = 0;
  samples.forEach((s, b) => {
    if (s.image.width !== S || s.image.height !== S) {
      throw new LeyoloError('BAD_ARGUMENT', `sample ${b} is ${s.image.width}x${s.image.height}, batch is ${S}x${S}`, 'build every sample with the same imgsz');
    }
    toTensor(s.image, images.subarray(b * plane, (b + 1) * plane));
    for (const l of s.labels) {
      batchIdx[k] = b;
      cls[k] = l.classId;
      boxes.set(l.box, k * 4);
      k++;
    }
  });
  return { images, batchSize: samples.length, imgsz: S, batchIdx, cls, boxes };
}
