/**
 * Choosing a uint8 clip range [lo, hi] for one activation tensor from its histogram, by minimising
 * the expected squared quantization error as seen by the tensor's consumer:
 * - plain tensors (identity): values inside [lo, hi] cost step^2 / 12 (uniform rounding error,
 *   step = (hi - lo) / 255), values outside cost their clipping distance squared;
 * - pre-activations that only feed a SiLU (x * sigmoid(x)): the error is measured after the SiLU,
 *   so rounding costs silu'(x)^2 * step^2 / 12 and clipping costs (silu(x) - silu(clip))^2. LeYOLO's
 *   folded-BN convs have pre-activations down to about -90 (model.1 of Nano) where SiLU is ~0:
 *   min/max or percentile ranges spend most uint8 levels there, while this objective clips them
 *   at about -6..-8 (silu(-8) = -0.003) and keeps fine steps where SiLU is not flat.
 * The search is separable: E(lo, hi) = L(lo) + R(hi) + step^2 / 12 * S(lo, hi), with L and R the
 * clipping errors below lo / above hi and S a prefix sum, so a G x G grid costs O(G * bins + G^2).
 */
import type { Range } from './quantize.js';

/** Which error a tensor's range minimises. */
export type RangeObjective = 'identity' | 'silu';

/** A fixed-bin histogram over [min, max] (counts per bin). */
export interface Histogram {
  min: number;
  max: number;
  counts: Float64Array;
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const silu = (x: number) => x * sig(x);
const dsilu = (x: number) => sig(x) * (1 + x * (1 - sig(x)));

/** Clip candidates: 1, 0.94, 0.94^2, ... down to ~1% of the extreme. */
const GRID = Array.from({ length: 72 }, (_, k) => 0.94 ** k);

/**
 * The [lo, hi] (lo <= 0 <= hi) minimising the expected squared error of uint8 quantization.
 *
 * @example
 * bestRange({ min: -90, max: 10, counts }, 'silu'); // e.g. { min: -7.1, max: 9.2 }
 */
export function bestRange(h: Histogram, objective: RangeObjective): Range {
  const { min, max, counts } = h;
  const n = counts.length;
  if (!(max > min)) return { min: Math.min(min, 0), max: Math.max(max, 0) };
  const w = (max - min) / n;
  const c = Float64Array.from({ length: n }, (_, i) => min + (i + 0.5) * w);
  const g = objective === 'silu' ? silu : (x: number) => x;
  const dg2 = objective === 'silu' ? (x: number) => dsilu(x) ** 2 : () => 1;
  // prefix[i] = sum over bins < i of count * g'(c)^2 (the in-range rounding weight)
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + counts[i] * dg2(c[i]);
  const bin = (x: number) => Math.max(0, Math.min(n, Math.round((x - min) / w)));
  const side = (edge: number, below: boolean) => {
    let e = 0;
    const ge = g(edge);
    for (let i = 0; i < n; i++) if (counts[i] > 0 && (below ? c[i] < edge : c[i] > edge)) e += counts[i] * (g(c[i]) - ge) ** 2;
    return e;
  };
  const los = min < 0 ? GRID.map((f) => min * f) : [0];
  const his = max > 0 ? GRID.map((f) => max * f) : [0];
  const L = los.map((lo) => side(lo, true));
  const R = his.map((hi) => side(hi, false));
  let best = { min: los[0], max: his[0], e: Infinity };
  los.forEach((lo, a) => {
    his.forEach((hi, b) => {
      const step = (hi - lo) / 255;
      const e = L[a] + R[b] + ((step * step) / 12) * (prefix[bin(hi)] - prefix[bin(lo)]);
      if (e < best.e) best = { min: lo, max: hi, e };
    });
  });
  return { min: Math.min(best.min, 0), max: Math.max(best.max, 0) };
}
