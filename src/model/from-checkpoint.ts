import type { Checkpoint } from '../weights/pt.js';
import { resolveModel, type ResolvedModel } from './resolve.js';
import { checkTableAgainstYaml, detectScale, tableFromCheckpointYaml } from './yaml.js';
import type { ScaleName } from './table.js';

/**
 * The resolved network of a checkpoint: its own stored layer table decides the scale, our table is
 * resolved with the checkpoint's class count, and the two are checked row by row (MODEL_MISMATCH
 * names the first differing layer). `scale` forces Large (same table as Medium) when asked.
 *
 * @example
 * const m = modelOfCheckpoint(ck); // { scale: 'nano', nc: 80, ... }
 */
export function modelOfCheckpoint(ck: Checkpoint, scale?: ScaleName): ResolvedModel {
  let s = scale;
  if (Object.keys(ck.yaml).length > 0) {
    const detected = detectScale(tableFromCheckpointYaml(ck.yaml));
    if (!s || !(s === 'large' && detected === 'medium')) s = detected;
  }
  const m = resolveModel({ scale: s ?? 'nano', nc: ck.nc });
  if (Object.keys(ck.yaml).length > 0) checkTableAgainstYaml(m, ck.yaml);
  return m;
}
