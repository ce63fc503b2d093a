/**
 * Checkpoint loading without code execution: `.pt` (torch.save zip + inert pickle) and
 * safetensors. Browser-safe; file loading lives in node.ts.
 */
import { LeyoloError } from '../errors.js';
import { readCheckpoint, type Checkpoint } from './pt.js';
import { checkpointFromSafetensors } from './safetensors.js';

export { readCheckpoint, toPlain, type BnInfo, type Checkpoint } from './pt.js';
export { readSafetensors, writeSafetensors, checkpointToSafetensors, checkpointFromSafetensors } from './safetensors.js';
export { unpickle, PickleGlobal, PickleObject, type PickleValue } from './pickle.js';
export { isAllowedGlobal } from './allowlist.js';

/**
 * Parses checkpoint bytes of either kind: a zip (`PK\x03\x04`) is read as a `.pt`, anything
 * else as leyolo safetensors.
 *
 * @example
 * const ck = readWeights(new Uint8Array(await file.arrayBuffer()));
 */
export function readWeights(bytes: Uint8Array): Checkpoint {
  if (bytes.length === 0) throw new LeyoloError('BAD_CHECKPOINT', 'weights file is empty', 'download the checkpoint again');
  const isZip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  return isZip || bytes[0] === 0x80 ? readCheckpoint(bytes) : checkpointFromSafetensors(bytes);
}
