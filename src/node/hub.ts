import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { LeyoloError } from '../errors.js';
import { writeFileAtomic } from './fs.js';

/** The four published scales; Large is the Medium network run at 768. */
export type Scale = 'nano' | 'small' | 'medium' | 'large';

const RELEASE = 'https://github.com/LilianHollard/LeYOLO/raw/main/weights';
const FILE: Record<Scale, string> = {
  nano: 'LeYOLONano.pt',
  small: 'LeYOLOSmall.pt',
  medium: 'LeYOLOMedium.pt',
  large: 'LeYOLOLarge.pt',
};
/**
 * Known sha256 of the official release files. Only Nano's is known to us (it is the file the golden
 * fixtures were made from); the others are checked structurally (the loader compares the checkpoint's
 * own layer table with ours) and their hash is printed so users can pin it.
 */
const SHA256: Partial<Record<Scale, string>> = {
  nano: '4b952e068ea3345eae0f95b48d88beb8ff90ee93d4027bb4ca6930698ade6d36',
};

/** Per-user cache dir: $LEYOLO_CACHE, else $XDG_CACHE_HOME/leyolo, else ~/.cache/leyolo. */
export function cacheDir(): string {
  if (process.env.LEYOLO_CACHE) return process.env.LEYOLO_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'leyolo');
}

/**
 * Find the weights file for a scale: explicit path > $LEYOLO_WEIGHTS > user cache > download of the
 * official release (sha256-checked where known). Throws a typed error naming `--weights` when offline.
 *
 * @example
 * const path = await resolveWeights({ scale: 'nano' }); // '/home/me/.cache/leyolo/LeYOLONano.pt'
 */
export async function resolveWeights(opts: { weights?: string; scale?: Scale }): Promise<string> {
  const explicit = opts.weights ?? process.env.LEYOLO_WEIGHTS;
  if (explicit) {
    if (!existsSync(explicit)) {
      const from = opts.weights ? '--weights' : 'LEYOLO_WEIGHTS';
      throw new LeyoloError('WEIGHTS_NOT_FOUND', `weights file not found: ${explicit} (from ${from})`, 'pass --weights PATH to an existing .pt, .safetensors or .onnx file');
    }
    return explicit;
  }
  const scale = opts.scale ?? 'nano';
  const cached = join(cacheDir(), FILE[scale]);
  if (existsSync(cached)) return cached;
  await download(`${RELEASE}/${FILE[scale]}`, cached, SHA256[scale]);
  return cached;
}

async function download(url: string, dest: string, sha256?: string): Promise<void> {
  process.stderr.write(`Downloading ${url} -> ${dest}\n`);
  let bytes: Uint8Array;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new LeyoloError(
      'OFFLINE',
      `could not download ${url}: ${(e as Error).message}`,
      'pass --weights PATH to a local checkpoint (e.g. LeYOLONano.pt), or set LEYOLO_WEIGHTS',
    );
  }
  const got = createHash('sha256').update(bytes).digest('hex');
  if (sha256 && got !== sha256) {
    throw new LeyoloError('BAD_CHECKPOINT', `checksum mismatch for ${url}: got ${got}, expected ${sha256}`, 'retry the download, or pass --weights PATH to a trusted copy');
  }
  if (!sha256) process.stderr.write(`sha256 ${got} (no published checksum to compare with)\n`);
  writeFileAtomic(dest, bytes);
}

/** sha256 of a file, hex. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
