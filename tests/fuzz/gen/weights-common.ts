/**
 * Shared by the checkpoint and safetensors fuzz generators: the official Nano read once per worker,
 * the checks a loaded checkpoint must pass, and the byte mutations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../../../src/errors.js';
import { LeyoloError } from '../../../src/errors.js';
import type { Rng } from '../../../src/data/rng.js';
import { readCheckpoint, type Checkpoint } from '../../../src/weights/pt.js';
import { checkpointToSafetensors } from '../../../src/weights/safetensors.js';
import type { Expect } from '../types.js';

export const NANO = join('weights', 'LeYOLONano.pt');

let reference: { pt: Uint8Array; ck: Checkpoint; st: Uint8Array } | undefined;

/** The official Nano's bytes, its parsed checkpoint and its safetensors form (computed once per worker). */
export function nano(shared: string): { pt: Uint8Array; ck: Checkpoint; st: Uint8Array } {
  if (!reference) {
    // Read here rather than through fixtures.ts, which loads onnxruntime (not needed by these families).
    const pt = new Uint8Array(readFileSync(join(shared, NANO)));
    const ck = readCheckpoint(pt);
    reference = { pt, ck, st: checkpointToSafetensors(ck) };
  }
  return reference;
}

export const err = (...codes: ErrorCode[]): Expect => ({ kind: 'error', codes });
export const OK: Expect = { kind: 'ok' };
/** Codes a random mutation of a checkpoint may legitimately end in. */
export const EITHER: Expect = { kind: 'either', codes: ['BAD_CHECKPOINT', 'LIMIT_EXCEEDED', 'UNSAFE_PICKLE', 'MODEL_MISMATCH'] };
export const BAD = err('BAD_CHECKPOINT');
export const LIMIT = err('LIMIT_EXCEEDED');
export const BAD_OR_LIMIT = err('BAD_CHECKPOINT', 'LIMIT_EXCEEDED');
export const UNSAFE = err('UNSAFE_PICKLE');

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Same keys (in order), shapes and bit-identical values, and the same metadata. */
export function assertSameCheckpoint(got: Checkpoint, want: Checkpoint, ordered = true): void {
  const gk = [...got.stateDict.keys()];
  const wk = [...want.stateDict.keys()];
  assert.deepEqual(ordered ? gk : gk.sort(), ordered ? wk : wk.sort(), 'state-dict keys differ');
  for (const [k, t] of want.stateDict) {
    const g = got.stateDict.get(k)!;
    assert.deepEqual(g.shape, t.shape, `shape of ${k}`);
    assert.ok(Buffer.compare(bytesOf(g.data), bytesOf(t.data)) === 0, `values of ${k} differ`);
  }
  assert.equal(got.nc, want.nc);
  assert.deepEqual(got.names, want.names);
  assert.deepEqual(got.stride, want.stride);
  assert.deepEqual(got.bn, want.bn);
  assert.deepEqual(got.yaml, want.yaml);
}

/** What any successfully loaded checkpoint must satisfy, whatever its bytes were. */
export function assertSaneCheckpoint(ck: Checkpoint): void {
  for (const [k, t] of ck.stateDict) {
    assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), `${k}: data length != numel`);
    assert.ok(t.data.every(Number.isFinite), `${k}: non-finite values loaded`);
  }
  assert.ok(Number.isInteger(ck.nc) && ck.nc >= 1 && ck.nc <= 10_000, `nc ${ck.nc}`);
  assert.equal(ck.names.length, ck.nc);
  assert.ok(ck.names.every((n) => typeof n === 'string'));
  assert.ok(ck.stride.length > 0 && ck.stride.every((s) => Number.isFinite(s) && s > 0), `stride ${ck.stride}`);
  for (const [k, b] of ck.bn) assert.ok(b.eps > 0 && b.eps < 1 && b.momentum >= 0 && b.momentum <= 1, `bn ${k}`);
  assert.doesNotThrow(() => JSON.stringify(ck.yaml), 'yaml serialisable');
}

/**
 * Runs `fn`; if it throws a LeyoloError whose message does not match `re`, that is a wrong result
 * (an AssertionError); other errors propagate as they are.
 */
export async function expectMessage(fn: () => unknown, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof LeyoloError) assert.match(e.message, re);
    throw e;
  }
}

/** A deterministic byte mutation, drawn at generation time and applied when the case runs. */
export type Mutation = (b: Uint8Array) => Uint8Array;

/** `count` single-bit flips at random positions in [lo, hi). */
export function flips(rng: Rng, count: number, lo: number, hi: number): Mutation {
  const at = Array.from({ length: count }, () => [lo + rng.int(hi - lo), 1 << rng.int(8)] as const);
  return (b) => {
    const c = Uint8Array.from(b);
    for (const [i, bit] of at) if (i < c.length) c[i] ^= bit;
    return c;
  };
}

/** Cut at a random length in [0, len). */
export function truncation(rng: Rng, len: number): Mutation {
  const at = rng.int(len);
  return (b) => b.slice(0, at);
}

/** Zero (or 0xff) a random range of up to 4096 bytes within [lo, hi). */
export function zeroed(rng: Rng, lo: number, hi: number): Mutation {
  const start = lo + rng.int(hi - lo);
  const len = 1 + rng.int(4096);
  const fill = rng.random() < 0.5 ? 0 : 0xff;
  return (b) => {
    const c = Uint8Array.from(b);
    c.fill(fill, start, Math.min(start + len, hi));
    return c;
  };
}

/** Boundary values a header field is set to (besides random ones). */
export function fieldValue(rng: Rng, old: number, bits: 16 | 32): number {
  const max = bits === 16 ? 0xffff : 0xffffffff;
  const picks = [0, 1, max, max - 1, old + 1, old - 1, old * 2, 0x7fffffff & max, rng.int(max + 1)];
  const v = picks[rng.int(picks.length)];
  return Math.max(0, Math.min(max, v));
}
