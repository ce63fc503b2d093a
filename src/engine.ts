import type { Tensor } from './tensor.js';

/**
 * What the network returns for a batch: the raw head maps per level ([B, 64+nc, H/s, W/s], for
 * parity checks and training) and/or the in-graph decoded predictions ([B, 4+nc, N]: cx, cy, w, h in
 * input pixels, then class probabilities), which is the fast path for detection.
 */
export interface ForwardOutput {
  heads?: Tensor[];
  decoded?: Tensor;
}

/**
 * The one interface every inference backend implements (onnxruntime-node, onnxruntime-web wasm and
 * WebGPU). `input` is NCHW float32 RGB in [0, 1]; `dims` is [B, 3, H, W].
 *
 * @example
 * const out = await engine.run(tensor, [1, 3, 640, 640]);
 */
export interface Engine {
  readonly backend: string;
  run(input: Float32Array, dims: [number, number, number, number]): Promise<ForwardOutput>;
  dispose(): Promise<void>;
}
