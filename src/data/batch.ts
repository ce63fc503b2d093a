import { decodeImage } from '../node/decode.js';
import { letterbox, toTensor } from '../image/letterbox.js';
import type { LetterboxInfo } from '../image/types.js';
import { collate } from './collate.js';
import type { TrainBatch } from './collate.js';
import { Rng } from './rng.js';
import { buildTrainSample, drainSampleProblems } from './sample.js';
import type { TrainSampleOptions } from './sample.js';
import type { Dataset } from './types.js';

/**
 * One training batch from a seed: samples built in order with one Rng(seed), then collated. Because the
 * seed (not thread timing) fixes every draw, a batch built in a worker equals one built here.
 *
 * @example
 * const batch = await buildTrainBatch(ds, [0, 1, 2, 3], { imgsz: 640, mosaic: true, hyp: DEFAULT_HYP }, 1234);
 */
export async function buildTrainBatch(ds: Dataset, indices: readonly number[], opts: TrainSampleOptions, seed: number): Promise<TrainBatch> {
  const rng = new Rng(seed);
  const samples = [];
  for (const i of indices) samples.push(await buildTrainSample(ds, i, opts, rng));
  const problems = drainSampleProblems();
  return problems.length > 0 ? { ...collate(samples), problems } : collate(samples);
}

/** A validation input: [1, 3, S, S] tensor plus what postprocess needs to map boxes back. */
export interface ValInput {
  index: number;
  tensor: Float32Array;
  info: LetterboxInfo;
}

/**
 * Decode + val letterbox (Ultralytics val, rect=False: long side to S with ceil, pad to S x S) + tensor.
 *
 * @example
 * const v = await buildValInput(ds, 0, 640);
 */
export async function buildValInput(ds: Dataset, index: number, imgsz: number): Promise<ValInput> {
  const img = await decodeImage(ds.items[index].image);
  const lb = letterbox(img, { size: imgsz, mode: 'val' });
  return { index, tensor: toTensor(lb.image), info: lb.info };
}
