/**
 * Checkpoint loading without code execution: `.pt` (torch.save zip + inert pickle) and
 * safetensors. Browser-safe; file loading lives in node.ts.
 */
import { LeyoloError, guardSync } from '../errors.js';
import { readCheckpoint, type Checkpoint } from './pt.js';
import { checkpointFromSafetensors } from './safetensors.js';

export { readCheckpoint, toPlain, type BnInfo, type Checkpoint } from './pt.js';
export { readSafetensors, writeSafetensors, checkpointToSafetensors, checkpointFromSafetensors } from './safetensors.js';
export { unpickle, PickleGlobal, PickleObject, type PickleValue } from './pickle.js';
export { isAllowedGlobal } from './allowlist.js';
export { LIMITS } from './limits.js';

const HINT = 'pass a LeYOLO/Ultralytics .pt checkpoint (torch.save zip) or a .safetensors file written by `leyolo convert`';

/** What well-known non-checkpoint files look like, for a helpful message. */
const KNOWN: [string, number[]][] = [
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
  ['a gzip file', [0x1f, 0x8b]],
  ['an empty zip archive', [0x50, 0x4b, 0x05, 0x06]],
];

/** What kind of file `bytes` is: a torch zip, a legacy torch pickle, safetensors, or neither. */
function sniff(bytes: Uint8Array): 'zip' | 'pickle' | 'safetensors' | undefined {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  // PROTO 2..5: a pickle as torch.save wrote it before 1.6 (refused with a clear message by readCheckpoint).
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'pickle';
  // safetensors: u64 header length, then a JSON object, so byte 8 is '{'.
  if (bytes.length >= 10 && bytes[8] === 0x7b) return 'safetensors';
  return undefined;
}

function notACheckpoint(bytes: Uint8Array): LeyoloError {
  const known = KNOWN.find(([, magic]) => magic.every((b, i) => bytes[i] === b));
  const text = bytes.subarray(0, 64).every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  const looks = known ? known[0] : text ? 'a text file' : 'of an unknown kind';
  const onnx = bytes[0] === 0x08 ? ' (an ONNX model? pass it as a path ending in .onnx)' : '';
  return new LeyoloError('BAD_CHECKPOINT', `not a checkpoint (.pt or .safetensors): the file is ${looks}${onnx}`, HINT);
}

/**
 * Parses checkpoint bytes of either kind, recognised by their content: a zip (`PK\x03\x04`) is read
 * as a `.pt`, `<u64 length>{...` as leyolo safetensors; anything else is refused as "not a
 * checkpoint". Throws only LeyoloErrors (BAD_CHECKPOINT, UNSAFE_PICKLE, LIMIT_EXCEEDED).
 *
 * @example
 * const ck = readWeights(new Uint8Array(await file.arrayBuffer()));
 */
export function readWeights(bytes: Uint8Array): Checkpoint {
  return guardSync('reading weights', () => {
    if (bytes.length === 0) throw new LeyoloError('BAD_CHECKPOINT', 'weights file is empty', 'download the checkpoint again');
    const kind = sniff(bytes);
    if (kind === 'zip' || kind === 'pickle') return readCheckpoint(bytes);
    if (kind === 'safetensors') return checkpointFromSafetensors(bytes);
    throw notACheckpoint(bytes);
  });
}
export { writeCheckpoint } from './pt-writer.js';
