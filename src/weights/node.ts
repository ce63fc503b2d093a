/**
 * Node-only loading of checkpoint files (`.pt` zip checkpoints or leyolo `.safetensors`).
 * Kept apart from pt.ts so that the parsers stay browser-safe.
 */
import { readFile } from 'node:fs/promises';
import { LeyoloError } from '../errors.js';
import { readWeights } from './index.js';
import type { Checkpoint } from './pt.js';

/**
 * Reads and parses a checkpoint file; the format is detected from its bytes.
 * Missing file -> WEIGHTS_NOT_FOUND; unreadable/corrupt -> BAD_CHECKPOINT; hostile pickle -> UNSAFE_PICKLE.
 *
 * @example
 * const ck = await loadCheckpointFile('weights/LeYOLONano.pt');
 */
export async function loadCheckpointFile(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new LeyoloError('WEIGHTS_NOT_FOUND', `weights file not found: ${path}`, 'pass --weights PATH to an existing LeYOLO .pt or .safetensors file');
    }
    if (code === 'EISDIR') throw new LeyoloError('WEIGHTS_NOT_FOUND', `weights path is a directory: ${path}`, 'pass --weights PATH to a .pt or .safetensors file, not a folder');
    throw new LeyoloError('BAD_CHECKPOINT', `cannot read weights file ${path}: ${(e as Error).message}`, 'check the file permissions');
  }
  try {
    return readWeights(bytes);
  } catch (e) {
    if (e instanceof LeyoloError) throw new LeyoloError(e.code, `${path}: ${e.message}`, e.hint);
    throw e;
  }
}
