/**
 * `leyolo train --resume` on damaged run folders: a missing, broken, finished or mismatched resume
 * state, or a damaged args.json, must be refused with BAD_RESUME and leave the run folder (its
 * results.csv, best and last weights) exactly as it was — never a silent restart over it.
 */
import { join } from 'node:path';
import { resolveTrainConfig } from '../../../src/train/config.js';
import { checkpointToSafetensors, writeSafetensors } from '../../../src/weights/safetensors.js';
import { readCheckpoint } from '../../../src/weights/pt.js';
import { sharedFile } from '../fixtures.js';
import type { FuzzCase, FuzzFile, Generator } from '../types.js';

const LOOP = { epoch: 1, emaUpdates: 2, optStep: 2, lastOptStep: 3, bestFitness: 0.1, bestEpoch: 0, scale: 'nano', config: {}, optimizer: { name: 'AdamW', lr0: 0.001, momentum: 0.9, weightDecay: 0.0005 } };

function state(loop: unknown, tensors: [string, number[]][] = [['model/model.0.c.weight', [2, 2]]]): Uint8Array {
  const t = new Map(tensors.map(([k, shape]) => [k, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }]));
  return writeSafetensors(t, { format: 'leyolo-train-state', loop: typeof loop === 'string' ? loop : JSON.stringify(loop) });
}

/** A run folder `run/` (args.json, results.csv, weights/) with the given damage applied. */
function runFolder(args: unknown, stateFile: FuzzFile | null): FuzzFile[] {
  const files: FuzzFile[] = [
    { path: 'run/args.json', bytes: typeof args === 'string' ? args : JSON.stringify(args) },
    { path: 'run/results.csv', bytes: 'epoch,train/box_loss\n1,1.5\n' },
    { path: 'run/weights/last.safetensors', bytes: 'previous last weights' },
    { path: 'run/weights/best.safetensors', bytes: 'previous best weights' },
  ];
  if (stateFile) files.push(stateFile);
  return files;
}

export const resumeGenerator: Generator = {
  family: 'resume',
  cases(_rng, _n, shared) {
    const args = { data: join(shared, 'datasets', 'coco8', 'coco8.yaml'), model: 'nano', config: resolveTrainConfig({ epochs: 3, imgsz: 64, batch: 2, workers: 0 }) };
    const st = (bytes: Uint8Array | string): FuzzFile => ({ path: 'run/weights/last.state.safetensors', bytes });
    const c = (name: string, files: FuzzFile[], resume = 'run'): FuzzCase => ({
      family: 'resume', name, files, expect: { kind: 'error', codes: ['BAD_RESUME'] },
      cli: () => ['train', '--resume', resume],
    });
    return [
      c('no-such-folder', [], 'nowhere'),
      c('no-args-json', runFolder(args, st(state(LOOP))).filter((f) => f.path !== 'run/args.json')),
      c('args-json-not-json', runFolder('{"data": ', st(state(LOOP)))),
      c('args-json-wrong-types', runFolder({ ...args, data: 5 }, st(state(LOOP)))),
      c('args-json-bad-config', runFolder({ ...args, config: { ...args.config, epochs: -5 } }, st(state(LOOP)))),
      c('args-json-fifo', [...runFolder(args, st(state(LOOP))).filter((f) => f.path !== 'run/args.json'), { path: 'run/args.json', fifo: true }]),
      c('state-missing', runFolder(args, null)),
      c('state-garbage', runFolder(args, st('garbage'))),
      c('state-fifo', runFolder(args, { path: 'run/weights/last.state.safetensors', fifo: true })),
      c('state-dev-zero', runFolder(args, { path: 'run/weights/last.state.safetensors', symlink: '/dev/zero' })),
      c('state-not-a-train-state', runFolder(args, st(writeSafetensors(new Map([['x', { shape: [1], data: new Float32Array(1) }]]), { format: 'pt' })))),
      c('state-loop-not-json', runFolder(args, st(state('{epoch')))),
      c('state-loop-negative-epoch', runFolder(args, st(state({ ...LOOP, epoch: -1 })))),
      c('state-loop-nan-counters', runFolder(args, st(state({ ...LOOP, optStep: 'x' })))),
      c('state-finished', runFolder(args, st(state({ ...LOOP, epoch: 3 })))),
      c('resume-file-path-of-missing-run', [], 'run/weights/last.safetensors'),
      // Gets past every file check to the trainer, which must compare the state with the model.
      { ...c('state-tensors-mismatch', [...runFolder(args, st(state(LOOP))).filter((f) => f.path !== 'run/weights/last.safetensors'), { path: 'run/weights/last.safetensors', bytes: checkpointToSafetensors(readCheckpoint(sharedFile(shared, 'weights/LeYOLONano.pt'))) }]), slow: true },
    ];
  },
};
