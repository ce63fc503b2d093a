import type { StateDict } from '../tensor.js';
import { numel } from '../tensor.js';
import { paramShapes, type ResolvedModel } from './resolve.js';

/**
 * A deterministic random state dict for a resolved model (for benchmarks of scales that have no
 * public weights, and for tests of shapes). Conv weights ~ U(-b, b) with Kaiming-uniform bound
 * b = 1/sqrt(fan_in) like PyTorch's default init; BN weight 1, bias 0, running mean 0, var 1;
 * the DFL conv gets 0..15 as in Ultralytics.
 *
 * @example
 * const sd = randomStateDict(resolveModel({ scale: 'small' }), 0);
 */
export function randomStateDict(m: ResolvedModel, seed = 0): StateDict {
  let s = (seed ^ 0x9e3779b9) >>> 0;
  const rand = () => {
    // mulberry32: small, fast, deterministic.
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const sd: StateDict = new Map();
  const shapes = paramShapes(m);
  // A 1-D `X.weight` is a BatchNorm scale exactly when `X.running_var` exists.
  const isBnWeight = (n: string) => n.endsWith('.weight') && shapes.has(n.replace(/\.weight$/, '.running_var'));
  for (const [name, shape] of shapes) {
    const data = new Float32Array(numel(shape));
    if (name.endsWith('dfl.conv.weight')) data.forEach((_, i) => (data[i] = i));
    else if (name.endsWith('running_var')) data.fill(1);
    else if (name.endsWith('running_mean')) data.fill(0);
    else if (isBnWeight(name)) data.fill(1);
    else {
      const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : Math.max(1, shape[0]);
      const b = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < data.length; i++) data[i] = (2 * rand() - 1) * b;
    }
    sd.set(name, { shape: [...shape], data });
  }
  return sd;
}

/**
 * BatchNorm settings for a state dict that did not come from a checkpoint: the official values
 * (eps 1e-3, momentum 0.03) for every `X` that has an `X.running_var`.
 *
 * @example
 * const bn = defaultBn(randomStateDict(m)); // Map { 'model.0.bn' => { eps: 0.001, momentum: 0.03 }, ... }
 */
export function defaultBn(sd: StateDict): Map<string, { eps: number; momentum: number }> {
  return new Map([...sd.keys()].filter((k) => k.endsWith('.running_var')).map((k) => [k.replace(/\.running_var$/, ''), { eps: 1e-3, momentum: 0.03 }]));
}
