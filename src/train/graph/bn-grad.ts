/**
 * Backward of SiLU and BatchNorm as hand-fused ONNX ops (per-channel scalars are [C] tensors,
 * big tensors [B, C, H, W]).
 *
 * SiLU a = u s, s = sigmoid(u):  du = da * s * (1 + u - a).
 * BatchNorm train (N = B H W, xhat = (z - mean) istd, istd = 1/sqrt(var + eps), k = gamma istd):
 *   dbeta = sum du,  dgamma = sum du xhat
 *   dz = k * dzs,  dzs = du - xhat dgamma / N - dbeta / N
 * The per-channel factor k is NOT applied to the big tensor: the conv gradients are linear in dz and
 * k acts per output channel, so the caller scales the (small) weights by k for the input gradient
 * and the (small) weight gradient by k (saves one full pass per BN). The correction term of dzs is
 * one BatchNormalization node on z (scale/bias = those per-channel factors), so dzs costs BN + Add.
 * BatchNorm eval (running stats): dzs = du; dgamma, dbeta as above.
 * Per-channel sums reduce H, W first and then B: ORT's one-shot ReduceSum over [0, 2, 3] is several
 * times slower (strided) and less accurate than the contiguous two-stage form.
 */
import type { Graph } from '../../onnx/ir.js';
import { attr } from '../../onnx/ir.js';
import type { BnMode, UnitRecord } from './forward.js';
import { gradOf } from './names.js';

/** du from da through SiLU. */
export function siluGrad(g: Graph, r: UnitRecord, da: string): string {
  const n = r.unit.weight.replace(/\.weight$/, '');
  const one = g.constF(`${n}:one`, [], [1]);
  const t = g.op('Sub', [r.u, r.a], {}, `${n}:g_ua`);
  const t1 = g.op('Add', [t, one], {}, `${n}:g_1ua`);
  const ds = g.op('Mul', [t1, r.s], {}, `${n}:g_ds`);
  return g.op('Mul', [da, ds], {}, `${n}:g_du`);
}

/** Per-channel sum [C] of t [B, C, H, W]: H, W first (contiguous), then B. */
export function channelSum(g: Graph, t: string, name: string): string {
  const hw = g.op('ReduceSum', [t, g.constI64(`${name}:hw`, [2], [2, 3])], { keepdims: attr.int(0) }, `${name}:bc`);
  return g.op('ReduceSum', [hw, g.constI64(`${name}:b`, [1], [0])], { keepdims: attr.int(0) }, name);
}

export interface BnGradOut {
  /** dz / k [B, C, H, W] (see the file comment) */
  dzs: string;
  /** k = gamma / sqrt(var + eps) [C]: dz = k dzs */
  k: string;
  dgamma: string;
  dbeta: string;
}

/** dz / k, k, dgamma, dbeta of the BN at `r.unit.bn` (the grads of gamma/beta are graph outputs). */
export function bnGrad(g: Graph, r: UnitRecord, du: string, mode: BnMode, eps: number, shape: number[]): BnGradOut {
  const bn = r.unit.bn ?? '';
  const [B, C, H, W] = shape;
  const N = B * H * W;
  const gamma = `${bn}.weight`;
  const dbeta = channelSum(g, du, gradOf(`${bn}.bias`));
  // xhat recomputed with one BN node: summing du * (z - mean) directly avoids the cancellation of
  // sum(du z) - mean sum(du) when |mean| >> std (float32 sums over N ~ 1e5 elements).
  const ones = g.constF(`${bn}:ones`, [C], new Float32Array(C).fill(1));
  const zeros = g.constF(`${bn}:zeros`, [C], new Float32Array(C));
  const epsA = { epsilon: attr.float(eps) };
  const xhat = g.op('BatchNormalization', [r.z, ones, zeros, r.mean, r.var], epsA, `${bn}:g_xhat`);
  const dgamma = channelSum(g, g.op('Mul', [du, xhat], {}, `${bn}:g_duxh`), gradOf(gamma));
  const epsC = g.constF(`${bn}:eps`, [], [eps]);
  const istd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [r.var, epsC], {}, `${bn}:g_ve`)], {}, `${bn}:g_sd`)], {}, `${bn}:g_istd`);
  const k = g.op('Mul', [gamma, istd], {}, `${bn}:g_k`);
  if (mode === 'eval') return { dzs: du, k, dgamma, dbeta };
  const mInvN = g.constF(`${bn}:minvN`, [], [-1 / N]);
  const sc = g.op('Mul', [dgamma, mInvN], {}, `${bn}:g_sc`);
  const bi = g.op('Mul', [dbeta, mInvN], {}, `${bn}:g_bi`);
  const corr = g.op('BatchNormalization', [r.z, sc, bi, r.mean, r.var], epsA, `${bn}:g_corr`);
  const dzs = g.op('Add', [du, corr], {}, `${bn}:g_dzs`);
  return { dzs, k, dgamma, dbeta };
}
