/**
 * Backward of one convolution z = conv(x, W) (+ b), as ONNX ops:
 *   dW [cOut, cIn/g, k, k], dx [B, cIn, H, W] from dz [B, cOut, Ho, Wo].
 * Formulations (chosen per conv shape; see bench/train.ts for the measurements):
 * - dense 1x1 stride 1: dW = sum_b dz_b x_b^T as one batched FusedMatMul(transB) + ReduceSum over
 *   B; dx = 1x1 Conv with W^T.
 * - other dense / depthwise: dW by the "swap batch and channels" trick, a Conv of x^T with dz^T as
 *   the kernel and the forward stride as dilation; depthwise uses group = C over [1, C*B, H, W].
 * - dx stride 1: Conv of dz with the flipped (and, dense, transposed) kernel, pad k-1-p.
 * - dx strided: ConvTranspose with the forward weight as is and the needed output_padding.
 */
import type { ConvUnit } from '../../model/resolve.js';
import type { Graph } from '../../onnx/ir.js';
import { attr } from '../../onnx/ir.js';
import type { Shapes } from './forward.js';
import { dwConvNchwc, dwWeightGradNchwc, useNchwcDw } from './depthwise.js';

const MS = 'com.microsoft';
const MIN_I64 = Number.MIN_SAFE_INTEGER;

function need(shapes: Shapes, n: string): number[] {
  const s = shapes.get(n);
  if (!s) throw new Error(`conv-grad: no shape for '${n}'`);
  return s;
}

const base = (u: ConvUnit): string => u.weight.replace(/\.weight$/, '');
const isDepthwise = (u: ConvUnit): boolean => u.groups > 1 && u.groups === u.cIn && u.cIn === u.cOut;

/** d loss / d W of one conv unit, [cOut, cIn/g, k, k] (`blocked`: x / dz already in NCHWc, depthwise only). */
export function convWeightGrad(g: Graph, shapes: Shapes, x: string, dz: string, u: ConvUnit, blk = 0, blocked: { x?: string; dz?: string } = {}): string {
  const n = base(u);
  const [B, cIn, H, W] = need(shapes, x);
  const [, cOut, Ho, Wo] = need(shapes, dz);
  if (useNchwcDw(u, blk)) {
    return dwWeightGradNchwc(g, x, dz, [B, cIn, H, W], need(shapes, dz), { c: cIn, k: u.k, s: u.s, pad: u.pad, blk }, `${n}:dW`, blocked.x, blocked.dz);
  }
  if (u.k === 1 && u.s === 1 && u.groups === 1 && u.pad === 0) {
    const dz3 = g.op('Reshape', [dz, g.constI64(`${n}:dz3`, [3], [B, cOut, Ho * Wo])], {}, `${n}:dzr`);
    const x3 = g.op('Reshape', [x, g.constI64(`${n}:x3`, [3], [B, cIn, H * W])], {}, `${n}:xr`);
    const mm = g.node('FusedMatMul', [dz3, x3], { transB: attr.int(1) }, { name: `${n}:dWb`, domain: MS })[0];
    const sum = g.op('ReduceSum', [mm, g.constI64(`${n}:ax0`, [1], [0])], { keepdims: attr.int(0) }, `${n}:dWs`);
    return g.op('Reshape', [sum, g.constI64(`${n}:wshape`, [4], [cOut, cIn, 1, 1])], {}, `${n}:dW`);
  }
  if (u.groups === 1) return denseWeightGradIm2col(g, x, dz, [B, cIn, H, W], [B, cOut, Ho, Wo], u);
  // Kernel extent the swapped conv produces: H + 2p - s (Ho - 1) >= k; the tail beyond k is sliced off.
  const kh = H + 2 * u.pad - u.s * (Ho - 1);
  const kw = W + 2 * u.pad - u.s * (Wo - 1);
  const conv = { strides: attr.ints([1, 1]), dilations: attr.ints([u.s, u.s]), pads: attr.ints([u.pad, u.pad, u.pad, u.pad]) };
  const dzT = g.op('Transpose', [dz], { perm: attr.ints([1, 0, 2, 3]) }, `${n}:dzT`); // [cOut, B, Ho, Wo]
  const xT = g.op('Transpose', [x], { perm: attr.ints([1, 0, 2, 3]) }, `${n}:xT`); // [cIn, B, H, W]
  let full: string;
  if (isDepthwise(u)) {
    // [1, C*B, H, W] * kernel [C, B, Ho, Wo] with group C -> [1, C, kh, kw]
    const x1 = g.op('Reshape', [xT, g.constI64(`${n}:x1`, [4], [1, cIn * B, H, W])], {}, `${n}:x1r`);
    const r = g.op('Conv', [x1, dzT], { ...conv, group: attr.int(cIn), kernel_shape: attr.ints([Ho, Wo]) }, `${n}:dWc`);
    full = g.op('Reshape', [r, g.constI64(`${n}:r4`, [4], [cOut, 1, kh, kw])], {}, `${n}:dWf`);
  } else {
    if (u.groups !== 1) throw new Error(`conv-grad: grouped (non-depthwise) conv ${u.weight} is not supported`);
    // [cIn, B, H, W] * kernel [cOut, B, Ho, Wo] -> [cIn, cOut, kh, kw] -> [cOut, cIn, kh, kw]
    const r = g.op('Conv', [xT, dzT], { ...conv, group: attr.int(1), kernel_shape: attr.ints([Ho, Wo]) }, `${n}:dWc`);
    full = g.op('Transpose', [r], { perm: attr.ints([1, 0, 2, 3]) }, `${n}:dWf`);
  }
  if (kh === u.k && kw === u.k) return full;
  return g.op('Slice', [full, g.constI64(`${n}:s0`, [2], [0, 0]), g.constI64(`${n}:s1`, [2], [u.k, u.k]), g.constI64(`${n}:sax`, [2], [2, 3])], {}, `${n}:dW`);
}

/**
 * dW of a dense k x k conv by im2col: the k*k strided windows of the padded x, concatenated to
 * col [B, k k cIn, Ho Wo] (order kh, kw, cIn), then one batched GEMM dz [B, cOut, HoWo] x col^T and a sum
 * over B. Measured ~3x cheaper for the stem conv than the swapped-batch Conv, whose im2col buffer is
 * [B Ho Wo, k k] per input channel (66 MB at B 8, 320) with a GEMM of N = k k.
 */
function denseWeightGradIm2col(g: Graph, x: string, dz: string, xShape: number[], zShape: number[], u: ConvUnit): string {
  const n = base(u);
  const [B, cIn] = xShape;
  const [, cOut, Ho, Wo] = zShape;
  const p = u.pad;
  const xp = p > 0 ? g.op('Pad', [x, g.constI64(`${n}:pads`, [8], [0, 0, p, p, 0, 0, p, p])], {}, `${n}:xpad`) : x;
  const cols: string[] = [];
  for (let i = 0; i < u.k; i++) {
    for (let j = 0; j < u.k; j++) {
      const st = g.constI64(`${n}:w${i}${j}a`, [2], [i, j]);
      const en = g.constI64(`${n}:w${i}${j}b`, [2], [i + u.s * (Ho - 1) + 1, j + u.s * (Wo - 1) + 1]);
      cols.push(g.op('Slice', [xp, st, en, g.constI64(`${n}:wax`, [2], [2, 3]), g.constI64(`${n}:wst`, [2], [u.s, u.s])], {}, `${n}:w${i}${j}`));
    }
  }
  const col = g.op('Reshape', [g.op('Concat', cols, { axis: attr.int(1) }, `${n}:col`), g.constI64(`${n}:col3`, [3], [B, u.k * u.k * cIn, Ho * Wo])], {}, `${n}:colr`);
  const dz3 = g.op('Reshape', [dz, g.constI64(`${n}:dz3`, [3], [B, cOut, Ho * Wo])], {}, `${n}:dzr`);
  const mm = g.node('FusedMatMul', [dz3, col], { transB: attr.int(1) }, { name: `${n}:dWb`, domain: MS })[0];
  const sum = g.op('ReduceSum', [mm, g.constI64(`${n}:ax0`, [1], [0])], { keepdims: attr.int(0) }, `${n}:dWs`);
  const w4 = g.op('Reshape', [sum, g.constI64(`${n}:w4`, [4], [cOut, u.k, u.k, cIn])], {}, `${n}:dWkkc`);
  return g.op('Transpose', [w4], { perm: attr.ints([0, 3, 1, 2]) }, `${n}:dW`);
}

/** d loss / d x of one conv unit, shaped like x (`weight`: the forward weight, or a scaled copy of it). */
export function convInputGrad(g: Graph, shapes: Shapes, dz: string, u: ConvUnit, xShape: number[], blk = 0, weight = u.weight): string {
  const n = base(u);
  const [, , H, W] = xShape;
  const [, , Ho, Wo] = need(shapes, dz);
  if (u.s !== 1) {
    // ConvTranspose output = (Ho-1) s - 2p + k + output_padding must give back H.
    const oph = H - ((Ho - 1) * u.s - 2 * u.pad + u.k);
    const opw = W - ((Wo - 1) * u.s - 2 * u.pad + u.k);
    return g.op('ConvTranspose', [dz, weight], {
      strides: attr.ints([u.s, u.s]), pads: attr.ints([u.pad, u.pad, u.pad, u.pad]), group: attr.int(u.groups),
      kernel_shape: attr.ints([u.k, u.k]), output_padding: attr.ints([oph, opw]), dilations: attr.ints([1, 1]),
    }, `${n}:dx`);
  }
  let wb = weight;
  if (u.k > 1) {
    wb = g.op('Slice', [weight, g.constI64(`${n}:f0`, [2], [-1, -1]), g.constI64(`${n}:f1`, [2], [MIN_I64, MIN_I64]),
      g.constI64(`${n}:fax`, [2], [2, 3]), g.constI64(`${n}:fst`, [2], [-1, -1])], {}, `${n}:wflip`);
  }
  if (u.groups === 1) wb = g.op('Transpose', [wb], { perm: attr.ints([1, 0, 2, 3]) }, `${n}:wT`);
  const q = u.k - 1 - u.pad;
  if (useNchwcDw(u, blk)) return dwConvNchwc(g, dz, wb, null, { c: u.cIn, k: u.k, s: 1, pad: q, blk }, `${n}:dx`);
  return g.op('Conv', [dz, wb], {
    strides: attr.ints([1, 1]), pads: attr.ints([q, q, q, q]), group: attr.int(u.groups), kernel_shape: attr.ints([u.k, u.k]), dilations: attr.ints([1, 1]),
  }, `${n}:dx`);
}
