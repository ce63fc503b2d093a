/** A dense float32 tensor, C-contiguous (row-major), e.g. a conv weight [cOut, cIn/groups, kH, kW]. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A named collection of tensors keyed by PyTorch state-dict names (`model.3.layers.0.c.weight`). */
export type StateDict = Map<string, Tensor>;
