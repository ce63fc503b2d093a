import { LeyoloError, guardSync } from '../errors.js';
import type { Checkpoint } from '../weights/pt.js';
import { paramShapes, resolveModel, type ResolvedModel } from './resolve.js';
import { checkTableAgainstYaml, detectScale, tableFromCheckpointYaml } from './yaml.js';
import type { ScaleName } from './table.js';

/** MODEL_MISMATCH naming the first tensor the model expects that the weights lack or shape differently. */
function checkShapes(m: ResolvedModel, ck: Checkpoint): void {
  for (const [name, shape] of paramShapes(m)) {
    const t = ck.stateDict.get(name);
    if (!t) throw new LeyoloError('MODEL_MISMATCH', `weights lack '${name}' (a ${m.scale} model with nc=${m.nc} needs it)`, 'the weights do not belong to this model scale/nc; use an official LeYOLO checkpoint');
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new LeyoloError('MODEL_MISMATCH', `'${name}' has shape [${t.shape.join(', ')}], a ${m.scale} model with nc=${m.nc} expects [${shape.join(', ')}]`,
        'the weights do not belong to this model scale/nc; use an official LeYOLO checkpoint');
    }
  }
}

/**
 * The resolved network of a checkpoint: its own stored layer table decides the scale, our table is
 * resolved with the checkpoint's class count, and the two are checked row by row (MODEL_MISMATCH
 * names the first differing layer); then every tensor the network needs must be in the state dict
 * with the expected shape (MODEL_MISMATCH otherwise). `scale` forces Large (same table as Medium)
 * when asked. Throws only LeyoloErrors.
 *
 * @example
 * const m = modelOfCheckpoint(ck); // { scale: 'nano', nc: 80, ... }
 */
export function modelOfCheckpoint(ck: Checkpoint, scale?: ScaleName): ResolvedModel {
  return guardSync('checking the checkpoint against the model table', () => {
    let s = scale;
    if (Object.keys(ck.yaml).length > 0) {
      const detected = detectScale(tableFromCheckpointYaml(ck.yaml));
      if (!s || !(s === 'large' && detected === 'medium')) s = detected;
    }
    const m = resolveModel({ scale: s ?? 'nano', nc: ck.nc });
    if (Object.keys(ck.yaml).length > 0) checkTableAgainstYaml(m, ck.yaml);
    checkShapes(m, ck);
    return m;
  });
}
