/**
 * Anchor grid and DFL box decoding shared by the assigner and the loss (Ultralytics `make_anchors`,
 * `bbox_decode`/`dist2bbox`). Anchors are indexed level by level, row-major inside a level, exactly like
 * `torch.cat([xi.view(b, no, -1) for xi in feats], 2)`.
 */
import { LeyoloError } from '../../errors.js';
import { expNonPos } from './fastmath.js';

/** Number of DFL bins per box side (Detect.reg_max). */
export const REG_MAX = 16;

/** Numeric array a head may hold: float32 from the network, float64 in gradient checks. */
export type FloatArray = Float32Array | Float64Array;

/** A head output [B, 4*REG_MAX + nc, H, W]. */
export interface HeadLike {
  shape: number[];
  data: FloatArray;
}

/** One pyramid level: grid size, stride and where its anchors start in the flat anchor list. */
export interface Level {
  h: number;
  w: number;
  stride: number;
  offset: number;
}

/** Anchor grid of a set of heads: levels, total anchors, batch size, channels. */
export interface Grid {
  levels: Level[];
  n: number;
  batch: number;
  channels: number;
}

/**
 * Validate head shapes and lay out the anchors.
 *
 * @example
 * const grid = makeGrid(heads, [8, 16, 32], 80); // grid.n === 8400 at 640x640
 */
export function makeGrid(heads: readonly HeadLike[], strides: readonly number[], nc: number): Grid {
  const hint = 'pass the three Detect outputs [B, 64+nc, H, W] and one stride per level';
  if (heads.length === 0 || heads.length !== strides.length) {
    throw new LeyoloError('BAD_ARGUMENT', `got ${heads.length} heads and ${strides.length} strides`, hint);
  }
  const channels = 4 * REG_MAX + nc;
  const batch = heads[0].shape[0];
  const levels: Level[] = [];
  let offset = 0;
  heads.forEach((hd, i) => {
    const [b, c, h, w] = hd.shape;
    if (hd.shape.length !== 4 || b !== batch || c !== channels || hd.data.length !== b * c * h * w) {
      throw new LeyoloError('BAD_ARGUMENT', `head ${i} has shape [${hd.shape}], expected [${batch}, ${channels}, H, W]`, hint);
    }
    levels.push({ h, w, stride: strides[i], offset });
    offset += h * w;
  });
  return { levels, n: offset, batch, channels };
}

/** Level index of anchor `a`. */
export function levelOf(grid: Grid, a: number): number {
  const { levels } = grid;
  for (let l = levels.length - 1; l > 0; l--) if (a >= levels[l].offset) return l;
  return 0;
}

/**
 * Softmax over the 16 bins of one side, in float64. Writes probabilities into `p[0..15]` and returns the
 * expectation sum_k k p_k (the distance in grid units).
 */
export function softmaxExpect(data: FloatArray, base: number, step: number, p: Float64Array): number {
  let m = -Infinity;
  for (let k = 0; k < REG_MAX; k++) m = Math.max(m, data[base + k * step]);
  let s = 0;
  for (let k = 0; k < REG_MAX; k++) {
    const e = expNonPos(data[base + k * step] - m);
    p[k] = e;
    s += e;
  }
  let ex = 0;
  for (let k = 0; k < REG_MAX; k++) {
    p[k] /= s;
    ex += k * p[k];
  }
  return ex;
}

/**
 * Lazily decoded predicted boxes, xyxy in grid units of their level (`bbox_decode`), cached per anchor.
 */
export class PredBoxes {
  readonly boxes: Float64Array;
  private readonly done: Uint8Array;
  private readonly p = new Float64Array(REG_MAX);

  constructor(
    private readonly heads: readonly HeadLike[],
    private readonly grid: Grid,
  ) {
    this.boxes = new Float64Array(grid.batch * grid.n * 4);
    this.done = new Uint8Array(grid.batch * grid.n);
  }

  /** Offset into `boxes` of the decoded box of anchor `a` of image `b` (decoding it on first use). */
  get(b: number, a: number): number {
    const i = b * this.grid.n + a;
    if (!this.done[i]) {
      const l = levelOf(this.grid, a);
      const { h, w, offset } = this.grid.levels[l];
      const hw = h * w, pix = a - offset;
      const data = this.heads[l].data;
      const base = b * this.grid.channels * hw + pix;
      const ax = (pix % w) + 0.5, ay = Math.floor(pix / w) + 0.5;
      const lt = softmaxExpect(data, base, hw, this.p);
      const tp = softmaxExpect(data, base + REG_MAX * hw, hw, this.p);
      const rt = softmaxExpect(data, base + 2 * REG_MAX * hw, hw, this.p);
      const bt = softmaxExpect(data, base + 3 * REG_MAX * hw, hw, this.p);
      const o = i * 4;
      this.boxes[o] = ax - lt;
      this.boxes[o + 1] = ay - tp;
      this.boxes[o + 2] = ax + rt;
      this.boxes[o + 3] = ay + bt;
      this.done[i] = 1;
    }
    return i * 4;
  }
}
