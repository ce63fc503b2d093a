/**
 * Depthwise convolutions through ORT's NCHWc kernels (domain com.microsoft.nchwc) with RUNTIME
 * weights. ORT only converts a Conv to its fast blocked-layout kernel when the weight is a constant;
 * here the weight is a graph input, so we emit the blocked ops ourselves: ReorderInput (NCHW ->
 * NCHW{blk}c), nchwc.Conv with the weight reordered in-graph to its depthwise layout
 * [C/blk, kh, kw, blk], ReorderOutput. Measured (2 threads, B 8): 3-8x faster than Conv with a weight
 * input for 5x5 kernels; the weight gradient below is 3-8x faster than the grouped-conv trick.
 *
 * The block size (16 with AVX-512, 8 with AVX2) is probed once per process: see nchwcBlockSize()
 * (src/node/nchwc.ts).
 */
import { Graph, attr } from '../../onnx/ir.js';

const NCHWC = 'com.microsoft.nchwc';

export interface DwSpec {
  /** channels (= groups) */
  c: number;
  k: number;
  s: number;
  pad: number;
  /** NCHWc block size */
  blk: number;
}

const i64 = (g: Graph, name: string, v: number[]): string => g.constI64(name, [v.length], v);

/** Weight [C, 1, kh, kw] -> the nchwc depthwise layout [C/blk, kh, kw, blk] (as a [C, 1, kh, kw] tensor). */
export function dwReorderWeight(g: Graph, w: string, c: number, kh: number, kw: number, blk: number, name: string): string {
  const r = g.op('Reshape', [w, i64(g, `${name}:s0`, [c / blk, blk, kh * kw])], {}, `${name}:r0`);
  const t = g.op('Transpose', [r], { perm: attr.ints([0, 2, 1]) }, `${name}:t`);
  return g.op('Reshape', [t, i64(g, `${name}:s1`, [c, 1, kh, kw])], {}, `${name}:r1`);
}

/** y = depthwise conv(x [B, C, H, W], w [C, 1, k, k]) (+ bias), NCHW in and out. */
export function dwConvNchwc(g: Graph, x: string, w: string, bias: string | null, d: DwSpec, name: string, pads?: number[]): string {
  const wr = dwReorderWeight(g, w, d.c, d.k, d.k, d.blk, `${name}:w`);
  const xr = g.node('ReorderInput', [x], { channels_last: attr.int(0) }, { name: `${name}:rin`, domain: NCHWC })[0];
  const p = pads ?? [d.pad, d.pad, d.pad, d.pad];
  const y = g.node('Conv', bias ? [xr, wr, bias] : [xr, wr], {
    kernel_shape: attr.ints([d.k, d.k]), strides: attr.ints([d.s, d.s]), pads: attr.ints(p), group: attr.int(d.c), dilations: attr.ints([1, 1]),
  }, { name: `${name}:nconv`, domain: NCHWC })[0];
  return g.node('ReorderOutput', [y], { channels: attr.int(d.c), channels_last: attr.int(0) }, { name, domain: NCHWC })[0];
}

/**
 * dW [C, 1, k, k] of a depthwise conv: dW[c, i, j] = sum_{b,y,x} dz[b,c,y,x] xpad[b,c,s y+i,s x+j].
 * Per (b, c) this is a correlation of x with dz as the kernel, i.e. ONE depthwise conv over
 * [1, B*C, H, W] whose runtime kernel is dz [B*C, 1, Ho, Wo] (stride -> dilation), giving
 * [1, B*C, kh', kw'] -> sum over B -> slice to k x k. `xBlocked` / `dzBlocked`: x / dz already in
 * NCHWc (as [B, C, ., .] buffers), reused instead of reordering again.
 */
export function dwWeightGradNchwc(
  g: Graph, x: string, dz: string, xShape: number[], zShape: number[], d: DwSpec, name: string, xBlocked?: string, dzBlocked?: string,
): string {
  const [B, C, H, W] = xShape;
  const [, , Ho, Wo] = zShape;
  const kh = H + 2 * d.pad - d.s * (Ho - 1);
  const kw = W + 2 * d.pad - d.s * (Wo - 1);
  // With C % blk == 0 the NCHWc buffer of x [B, C, H, W] ([B, C/blk, H, W, blk]) is byte for byte the
  // NCHWc buffer of [1, B*C, H, W]: reuse the forward recompute's ReorderInput instead of redoing it.
  const xr = xBlocked
    ? g.op('Reshape', [xBlocked, i64(g, `${name}:xs`, [1, B * C, H, W])], {}, `${name}:xb`)
    : g.node('ReorderInput', [g.op('Reshape', [x, i64(g, `${name}:xs`, [1, B * C, H, W])], {}, `${name}:x1`)],
      { channels_last: attr.int(0) }, { name: `${name}:rin`, domain: NCHWC })[0];
  // The runtime kernel layout [B*C/blk, Ho, Wo, blk] is the NCHWc buffer of dz: reuse the input
  // gradient's ReorderInput of dz when there is one (stride 1) instead of a Transpose.
  const wr = dzBlocked
    ? g.op('Reshape', [dzBlocked, i64(g, `${name}:dzs`, [B * C, 1, Ho, Wo])], {}, `${name}:dzb`)
    : dwReorderWeight(g, dz, B * C, Ho, Wo, d.blk, `${name}:dz`);
  const y = g.node('Conv', [xr, wr], {
    kernel_shape: attr.ints([Ho, Wo]), strides: attr.ints([1, 1]), dilations: attr.ints([d.s, d.s]),
    pads: attr.ints([d.pad, d.pad, d.pad, d.pad]), group: attr.int(B * C),
  }, { name: `${name}:nconv`, domain: NCHWC })[0];
  const yo = g.node('ReorderOutput', [y], { channels: attr.int(B * C), channels_last: attr.int(0) }, { name: `${name}:rout`, domain: NCHWC })[0];
  const r = g.op('Reshape', [yo, i64(g, `${name}:ys`, [B, C, 1, kh, kw])], {}, `${name}:y5`);
  const sum = g.op('ReduceSum', [r, i64(g, `${name}:ax`, [0])], { keepdims: attr.int(0) }, `${name}:sum`);
  if (kh === d.k && kw === d.k) return sum;
  return g.op('Slice', [sum, i64(g, `${name}:a`, [0, 0]), i64(g, `${name}:b`, [d.k, d.k]), i64(g, `${name}:c`, [2, 3])], {}, `${name}:slice`);
}


/** True when this conv unit can run on the NCHWc depthwise kernels with block size `blk`. */
export function useNchwcDw(u: { groups: number; cIn: number; cOut: number }, blk: number): boolean {
  return blk > 0 && u.groups > 1 && u.groups === u.cIn && u.cIn === u.cOut && u.cIn % blk === 0;
}
