/**
 * Initial parameters for training: PyTorch-default random init (plus Ultralytics' Detect bias init),
 * then every checkpoint tensor whose name and shape match is copied in. A COCO checkpoint on a
 * dataset with other classes keeps everything but the class branch's last conv (its shape differs).
 */
import type { StateDict } from '../tensor.js';
import type { ResolvedModel } from '../model/resolve.js';
import { randomStateDict } from '../model/random-weights.js';
import type { Checkpoint } from '../weights/pt.js';

/**
 * @example
 * const { params, copied, reinit } = initParams(resolveModel({ scale: 'nano', nc: 3 }), cocoCk, 0);
 */
export function initParams(m: ResolvedModel, ck: Checkpoint | null, seed: number): { params: StateDict; copied: number; reinit: string[] } {
  const params = randomStateDict(m, seed);
  const d = m.layers[m.detectIndex];
  // Ultralytics Detect.bias_init: box logits 1.0; class logits log(5 / nc / (640 / s)^2) (~0.01 prior).
  m.strides.forEach((s, i) => {
    params.get(`model.${d.index}.cv2.${i}.3.bias`)?.data.fill(1);
    params.get(`model.${d.index}.cv3.${i}.3.bias`)?.data.fill(Math.log(5 / m.nc / (640 / s) ** 2));
  });
  let copied = 0;
  const reinit: string[] = [];
  if (ck) {
    for (const [name, t] of params) {
      const src = ck.stateDict.get(name);
      if (src && src.shape.join() === t.shape.join()) {
        t.data.set(src.data);
        copied++;
      } else reinit.push(name);
    }
  }
  return { params, copied, reinit };
}

/** Names of BatchNorm scale parameters (`X.weight` with an `X.running_var`): the no-decay group 2. */
export function bnWeightNames(params: StateDict): Set<string> {
  return new Set([...params.keys()].filter((n) => n.endsWith('.weight') && params.has(n.replace(/\.weight$/, '.running_var'))));
}
