import { mkdirSync, renameSync, writeFileSync, existsSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { LeyoloError } from '../errors.js';

/**
 * Write a file atomically: write `path.tmp-<pid>` then rename over `path`, so a crash never leaves a
 * half-written output or checkpoint. Refuses to overwrite any path listed in `protect` (inputs).
 *
 * @example
 * writeFileAtomic('runs/train/1/weights/last.safetensors', bytes);
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, protect: readonly string[] = []): void {
  const abs = resolve(path);
  if (protect.some((p) => resolve(p) === abs)) {
    throw new LeyoloError('BAD_ARGUMENT', `refusing to overwrite an input file: ${path}`, 'choose a different output path');
  }
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, abs);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

/**
 * Next free numbered run directory as Ultralytics does: `runs/predict/1`, `runs/predict/2`, ...
 * (Ultralytics names them predict, predict2, ...; we use plain numbers as the issue specifies).
 *
 * @example
 * const dir = nextRunDir('runs/predict'); // 'runs/predict/3'
 */
export function nextRunDir(parent: string, name?: string): string {
  mkdirSync(parent, { recursive: true });
  if (name) {
    const fixed = join(parent, name);
    mkdirSync(fixed, { recursive: true });
    return fixed;
  }
  const used = new Set(readdirSync(parent));
  let n = 1;
  while (used.has(String(n))) n++;
  const dir = join(parent, String(n));
  mkdirSync(dir, { recursive: true });
  return dir;
}
