/**
 * Fold a conv (+ optional bias) and its eval-mode BatchNorm into one conv, in float64:
 *   s = gamma / sqrt(running_var + eps);  W' = W * s[o];  b' = (b - running_mean) * s + beta.
 * The result is rounded once to float32 (checkpoint weights are fp16 upcast, so this is exact
 * up to the final rounding).
 */
import { LeyoloError } from '../errors.js';
import { numel } from '../tensor.js';
import type { StateDict, Tensor } from '../tensor.js';
import type { ConvUnit } from '../model/resolve.js';
import { opt } from '../hints.js';

export type BnSettings = Map<string, { eps: number; momentum: number }> | number;

/** Fetch a tensor by state-dict name and check its shape. */
export function getTensor(sd: StateDict, name: string, shape: number[]): Tensor {
  const t = sd.get(name);
  if (!t) throw new LeyoloError('MODEL_MISMATCH', `weights lack '${name}'`, `the weights do not belong to this model scale/nc; check ${opt('model')} and ${opt('nc')}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || t.data.length !== numel(shape)) {
    throw new LeyoloError('MODEL_MISMATCH', `'${name}' has shape [${t.shape.join(', ')}], the model expects [${shape.join(', ')}]`,
      `the weights do not belong to this model scale/nc; check ${opt('model')} and ${opt('nc')}`);
  }
  return t;
}

/** eps of the BatchNorm at `prefix` (from the checkpoint's modules, or one number for all). */
export function bnEps(bn: BnSettings, prefix: string): number {
  if (typeof bn === 'number') return bn;
  const e = bn.get(prefix);
  if (!e) throw new LeyoloError('BAD_CHECKPOINT', `no eps/momentum recorded for BatchNorm '${prefix}'`, 're-read the checkpoint with readCheckpoint(), or pass one eps (1e-3) for all');
  return e.eps;
}

/**
 * Folded float32 weight [cOut, cIn/g, k, k] and bias [cOut] of one conv unit.
 *
 * @example
 * const { weight, bias } = foldConv(unit, stateDict, 1e-3);
 */
export function foldConv(u: ConvUnit, sd: StateDict, bn: BnSettings): { weight: Float32Array; bias: Float32Array } {
  const wShape = [u.cOut, u.cIn / u.groups, u.k, u.k];
  const w = getTensor(sd, u.weight, wShape).data;
  const b = u.bias ? getTensor(sd, u.bias, [u.cOut]).data : null;
  const per = w.length / u.cOut;
  const weight = new Float32Array(w.length);
  const bias = new Float32Array(u.cOut);
  if (!u.bn) {
    weight.set(w);
    if (b) bias.set(b);
    return { weight, bias };
  }
  const gamma = getTensor(sd, `${u.bn}.weight`, [u.cOut]).data;
  const beta = getTensor(sd, `${u.bn}.bias`, [u.cOut]).data;
  const mean = getTensor(sd, `${u.bn}.running_mean`, [u.cOut]).data;
  const vr = getTensor(sd, `${u.bn}.running_var`, [u.cOut]).data;
  const eps = bnEps(bn, u.bn);
  for (let o = 0; o < u.cOut; o++) {
    const s = gamma[o] / Math.sqrt(vr[o] + eps);
    for (let j = o * per; j < (o + 1) * per; j++) weight[j] = w[j] * s;
    bias[o] = ((b ? b[o] : 0) - mean[o]) * s + beta[o];
  }
  return { weight, bias };
}
