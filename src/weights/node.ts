/**
 * Node-only loading of checkpoint files (`.pt` zip checkpoints or leyolo `.safetensors`).
 * Kept apart from pt.ts so that the parsers stay browser-safe.
 */
import { asLeyoloError, withContext } from '../errors.js';
import { MAX_BYTES, readRegularFileSync } from '../node/fs.js';
import { readWeights } from './index.js';
import type { Checkpoint } from './pt.js';
import { opt } from '../hints.js';

/**
 * Reads and parses a checkpoint file; the format is detected from its bytes. Only regular files are
 * read (a FIFO, device, folder or file over 1 GiB is refused before reading). Throws only
 * LeyoloErrors: missing file -> WEIGHTS_NOT_FOUND; folder/FIFO/device/link loop -> BAD_PATH;
 * corrupt -> BAD_CHECKPOINT; hostile pickle -> UNSAFE_PICKLE; over a limit -> LIMIT_EXCEEDED.
 * Messages start with the path.
 *
 * @example
 * const ck = await loadCheckpointFile('weights/LeYOLONano.pt');
 */
export async function loadCheckpointFile(path: string): Promise<Checkpoint> {
  try {
    const bytes = readRegularFileSync(path, {
      maxBytes: MAX_BYTES.weights,
      what: 'weights file',
      notFound: 'WEIGHTS_NOT_FOUND',
      notFoundHint: `pass ${opt('weights', "'path/to.pt'")}: an existing LeYOLO .pt or .safetensors file`,
    });
    return readWeights(bytes);
  } catch (e) {
    const err = asLeyoloError(e, `cannot load weights ${path}`);
    throw err.message.includes(path) ? err : withContext(err, path);
  }
}
