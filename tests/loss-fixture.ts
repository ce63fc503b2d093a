/** Readers for ../shared/fixtures/loss shared by the loss and gradient parity tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LossTargets } from '../src/train/loss/index.js';

export const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
export const LOSS_DIR = `${SHARED}fixtures/loss/`;

/** A float32 little-endian fixture file, copied into its own aligned buffer. */
export function f32(name: string): Float32Array {
  const b = readFileSync(LOSS_DIR + name);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** targets.bin: [n, 6] float32 rows (batch_idx, cls, x, y, w, h), normalized xywh. */
export function loadTargets(): LossTargets {
  const t = f32('targets.bin');
  const n = t.length / 6;
  const out: LossTargets = { batchIdx: new Float32Array(n), cls: new Float32Array(n), boxes: new Float32Array(4 * n) };
  for (let i = 0; i < n; i++) {
    out.batchIdx[i] = t[6 * i];
    out.cls[i] = t[6 * i + 1];
    out.boxes.set(t.subarray(6 * i + 2, 6 * i + 6), 4 * i);
  }
  return out;
}
