/**
 * Backward of SiLU and BatchNorm as hand-fused ONNX ops (per-channel scalars are [C] tensors,
 * big tensors [B, C, H, W]).
 *
 * SiLU a = u s, s = sigmoid(u):  du = da * s * (1 + u - a).
 * BatchNorm train (N = B H W, xhat = (z - mean) istd, istd = 1/sqrt(var + eps)):
 *   dbeta = sum du,  dgamma = sum du xhat
 *   dz = gamma istd du + xhat (-gamma istd dgamma / N) + (-gamma istd dbeta / N)
 * The last two terms are one BatchNormalization node on z (scale and bias = those per-channel
 * factors, mean/var = the batch statistics), so dz costs Mul + BN + Add over the big tensor.
 * BatchNorm eval (running stats): dz = gamma istd du; dgamma, dbeta as above.
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

export interface BnGradOut {
  dz: string;
  dgamma: string;
  dbeta: string;
}

/** dz, dgamma, dbeta of the BN at `r.unit.bn` (the grads of gamma/beta are graph outputs). */
export function bnGrad(g: Graph, r: UnitRecord, du: string, mode: BnMode, eps: number, shape: number[]): BnGradOut {
  const bn = r.unit.bn ?? '';
  const [B, C, H, W] = shape;
  const N = B * H * W;
  const gamma = `${bn}.weight`;
  const c4 = g.constI64(`${bn}:c4`, [4], [1, C, 1, 1]);
  const axes = g.constI64(`${bn}:axes`, [3], [0, 2, 3]);
  const dbeta = g.op('ReduceSum', [du, axes], { keepdims: attr.int(0) }, gradOf(`${bn}.bias`));
  // xhat recomputed with one BN node: summing du * (z - mean) directly avoids the cancellation of
  // sum(du z) - mean sum(du) when |mean| >> std (float32 sums over N ~ 1e5 elements).
  const ones = g.constF(`${bn}:ones`, [C], new Float32Array(C).fill(1));
  const zeros = g.constF(`${bn}:zeros`, [C], new Float32Array(C));
  const xhat = g.op('BatchNormalization', [r.z, ones, zeros, r.mean, r.var], { epsilon: attr.float(eps) }, `${bn}:g_xhat`);
  const dgamma = g.op('ReduceSum', [g.op('Mul', [du, xhat], {}, `${bn}:g_duxh`), axes], { keepdims: attr.int(0) }, gradOf(gamma));
  const epsC = g.constF(`${bn}:eps`, [], [eps]);
  const istd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [r.var, epsC], {}, `${bn}:g_ve`)], {}, `${bn}:g_sd`)], {}, `${bn}:g_istd`);
  const k = g.op('Mul', [gamma, istd], {}, `${bn}:g_k`);
  const kdu = g.op('Mul', [du, g.op('Reshape', [k, c4], {}, `${bn}:g_k4`)], {}, `${bn}:g_kdu`);
  if (mode === 'eval') return { dz: kdu, dgamma, dbeta };
  const mInvN = g.constF(`${bn}:minvN`, [], [-1 / N]);
  const kn = g.op('Mul', [k, mInvN], {}, `${bn}:g_kn`);
  const sc = g.op('Mul', [kn, dgamma], {}, `${bn}:g_sc`);
  const bi = g.op('Mul', [kn, dbeta], {}, `${bn}:g_bi`);
  const corr = g.op('BatchNormalization', [r.z, sc, bi, r.mean, r.var], { epsilon: attr.float(eps) }, `${bn}:g_corr`);
  const dz = g.op('Add', [kdu, corr], {}, `${bn}:g_dz`);
  return { dz, dgamma, dbeta };
}
