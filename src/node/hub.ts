import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { LeyoloError } from '../errors.js';
import { writeFileAtomic } from './fs.js';
import { opt } from '../hints.js';

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
 * Base URL of the official release files. $LEYOLO_WEIGHTS_URL replaces it (a mirror, an internal
 * server, or a local one in tests): the file names stay LeYOLONano.pt, LeYOLOSmall.pt, ...
 *
 * @example
 * process.env.LEYOLO_WEIGHTS_URL = 'https://mirror.example/leyolo'; releaseUrl(); // 'https://mirror.example/leyolo'
 */
export function releaseUrl(): string {
  return (process.env.LEYOLO_WEIGHTS_URL || RELEASE).replace(/\/+$/, '');
}

/**
 * Find the weights file for a scale: explicit path > $LEYOLO_WEIGHTS > user cache > download of the
 * official release from {@link releaseUrl} (sha256-checked where known). Errors name the `weights`
 * option: WEIGHTS_NOT_FOUND (no such file, or HTTP 404), OFFLINE (no network), DOWNLOAD_FAILED
 * (any other HTTP status), BAD_CHECKPOINT (checksum mismatch).
 *
 * @example
 * const path = await resolveWeights({ scale: 'nano' }); // '/home/me/.cache/leyolo/LeYOLONano.pt'
 */
export async function resolveWeights(opts: { weights?: string; scale?: Scale }): Promise<string> {
  const explicit = opts.weights ?? process.env.LEYOLO_WEIGHTS;
  if (explicit) {
    if (!existsSync(explicit)) {
      const from = opts.weights ? opt('weights') : 'LEYOLO_WEIGHTS';
      throw new LeyoloError('WEIGHTS_NOT_FOUND', `weights file not found: ${explicit} (from ${from})`, `pass ${opt('weights', "'path/to.pt'")}: an existing .pt, .safetensors or .onnx file`);
    }
    return explicit;
  }
  const scale = opts.scale ?? 'nano';
  const cached = join(cacheDir(), FILE[scale]);
  if (existsSync(cached)) return cached;
  await download(`${releaseUrl()}/${FILE[scale]}`, cached, SHA256[scale]);
  return cached;
}

const LOCAL_HINT = `pass ${opt('weights', "'LeYOLONano.pt'")} (a local checkpoint), or set LEYOLO_WEIGHTS`;

/** GET `url` whole; network failures are OFFLINE, HTTP errors WEIGHTS_NOT_FOUND (404) or DOWNLOAD_FAILED. */
async function fetchBytes(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    // fetch() rejects only when no HTTP answer came: DNS, refused or reset connection, timeout.
    const why = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new LeyoloError('OFFLINE', `could not download ${url}: ${why}`, `check the network connection, or ${LOCAL_HINT}`, { cause: e });
  }
  if (res.status === 404) {
    throw new LeyoloError('WEIGHTS_NOT_FOUND', `no such release file: ${url} (HTTP 404)`, `${LOCAL_HINT}; with a mirror (LEYOLO_WEIGHTS_URL), check that it holds ${url.slice(url.lastIndexOf('/') + 1)}`);
  }
  if (!res.ok) {
    throw new LeyoloError('DOWNLOAD_FAILED', `could not download ${url}: the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, `retry later, or ${LOCAL_HINT}`);
  }
  try {
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new LeyoloError('OFFLINE', `download of ${url} broke off: ${(e as Error).message}`, `retry, or ${LOCAL_HINT}`, { cause: e });
  }
}

async function download(url: string, dest: string, sha256?: string): Promise<void> {
  process.stderr.write(`Downloading ${url} -> ${dest}\n`);
  const bytes = await fetchBytes(url);
  const got = createHash('sha256').update(bytes).digest('hex');
  if (sha256 && got !== sha256) {
    throw new LeyoloError('BAD_CHECKPOINT', `checksum mismatch for ${url}: got ${got}, expected ${sha256}`, `retry the download, or pass ${opt('weights', "'path/to.pt'")}: a trusted copy`);
  }
  if (!sha256) process.stderr.write(`sha256 ${got} (no published checksum to compare with)\n`);
  writeFileAtomic(dest, bytes);
}

