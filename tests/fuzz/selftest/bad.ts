/**
 * Cases that misbehave on purpose, one per failure the runner must catch (runner.test.ts): if the
 * runner ever stops seeing a crash, a hang, a memory blow-up, a leaked error, a silent acceptance or
 * a touched file, its own test fails.
 */
import { writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { LeyoloError } from '../../../src/errors.js';
import type { Generator } from '../types.js';

export const selfTest: Generator = {
  family: 'predict',
  cases: () => [
    { family: 'predict', name: 'typed', expect: { kind: 'error' }, run: () => Promise.reject(new LeyoloError('BAD_IMAGE', 'x')) },
    { family: 'predict', name: 'ok', expect: { kind: 'ok' }, run: () => Promise.resolve() },
    { family: 'predict', name: 'silent', expect: { kind: 'error' }, run: () => Promise.resolve() },
    { family: 'predict', name: 'wrong-code', expect: { kind: 'error', codes: ['BAD_PATH'] }, run: () => Promise.reject(new LeyoloError('BAD_IMAGE', 'x')) },
    { family: 'predict', name: 'internal', expect: { kind: 'error' }, run: () => Promise.reject(new LeyoloError('INTERNAL', 'x')) },
    { family: 'predict', name: 'untyped', expect: { kind: 'error' }, run: () => Promise.reject(new TypeError('x')) },
    { family: 'predict', name: 'wrong', expect: { kind: 'either' }, run: async () => assert.equal(1, 2) },
    { family: 'predict', name: 'touch', expect: { kind: 'ok' }, files: [{ path: 'in.txt', bytes: 'a' }], run: async (ctx) => writeFileSync(`${ctx.dir}/in.txt`, 'b') },
    { family: 'predict', name: 'own-output', expect: { kind: 'ok' }, run: async (ctx) => writeFileSync(`${ctx.out}/x.txt`, 'b') },
    { family: 'predict', name: 'crash', expect: { kind: 'ok' }, run: async () => void process.kill(process.pid, 'SIGSEGV') },
    { family: 'predict', name: 'hang', expect: { kind: 'ok' }, run: async () => { for (;;); } },
    { family: 'predict', name: 'oom', expect: { kind: 'ok' }, run: async () => { const keep: Uint8Array[] = []; for (;;) keep.push(new Uint8Array(64 << 20).fill(1)); } },
    { family: 'predict', name: 'after', expect: { kind: 'ok' }, run: () => Promise.resolve() },
  ],
};
