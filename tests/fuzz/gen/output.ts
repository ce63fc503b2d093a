/**
 * Output paths through the CLI: a `--json`, `-o` or `--project` that names an input (the weights, an
 * image, the dataset yaml), a symlink, a device, a FIFO or a folder must be refused with
 * UNSAFE_OUTPUT (or BAD_PATH), leaving every file as it was; ordinary outputs must still work.
 * The sandbox fingerprint checks that nothing outside the case's `out/` changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { sharedFile } from '../fixtures.js';
import type { CliResult, FuzzCase, FuzzContext, FuzzFile, Generator } from '../types.js';

/** The files most output cases start from: weights, two images, a tiny dataset (coco8's val split, 2 images). */
function baseFiles(shared: string): FuzzFile[] {
  const bus = sharedFile(shared, 'fixtures/images/bus.jpg');
  const val = 'datasets/coco8/images/val';
  const ims = ['000000000036', '000000000042'];
  return [
    { path: 'w.pt', bytes: sharedFile(shared, 'weights/LeYOLONano.pt') },
    { path: 'img/bus.jpg', bytes: bus },
    { path: 'img/zidane.jpg', bytes: sharedFile(shared, 'fixtures/images/zidane.jpg') },
    ...ims.flatMap((s): FuzzFile[] => [
      { path: `data/images/val/${s}.jpg`, bytes: sharedFile(shared, `${val}/${s}.jpg`) },
      { path: `data/labels/val/${s}.txt`, bytes: sharedFile(shared, `datasets/coco8/labels/val/${s}.txt`) },
    ]),
    { path: 'data/d.yaml', bytes: `train: images/val\nval: images/val\nnames:\n${Array.from({ length: 80 }, (_, i) => `  ${i}: c${i}`).join('\n')}\n` },
  ];
}

type Cmd = (target: string) => string[];
const predict: Cmd = (t) => ['predict', 'img', '--weights', 'w.pt', '--imgsz', '64', '--json', t, '--quiet'];
const val: Cmd = (t) => ['val', '--data', 'data/d.yaml', '--weights', 'w.pt', '--imgsz', '64', '--json', t, '--no-plots', '--project', 'out/runs'];
const convert: Cmd = (t) => ['convert', 'w.pt', '-o', t];
const exportOnnx: Cmd = (t) => ['export', '--weights', 'w.pt', '--imgsz', '64', '-o', t];

/** A target that must be refused: the command fails with a typed error and nothing changes. */
function refused(name: string, cmd: Cmd, target: string, extra: FuzzFile[], codes: ('UNSAFE_OUTPUT' | 'BAD_PATH' | 'BAD_ARGUMENT')[] = ['UNSAFE_OUTPUT']): (shared: string) => FuzzCase {
  return (shared) => ({ family: 'output', name, files: [...baseFiles(shared), ...extra], expect: { kind: 'error', codes }, cli: () => cmd(target) });
}

/** A normal output that must be written (and parse, for JSON). */
function written(name: string, cmd: Cmd, target: string, check: (ctx: FuzzContext, r: CliResult) => void): (shared: string) => FuzzCase {
  return (shared) => ({ family: 'output', name, files: baseFiles(shared), expect: { kind: 'ok' }, cli: () => cmd(target), verify: check });
}

const jsonOk = (rel: string) => (ctx: FuzzContext) => {
  const p = join(ctx.dir, rel);
  assert.ok(existsSync(p), `${rel} written`);
  JSON.parse(readFileSync(p, 'utf8'));
};

const CASES = [
  refused('predict-json-over-weights', predict, 'w.pt', []),
  refused('predict-json-over-image', predict, 'img/bus.jpg', []),
  refused('predict-json-over-link-to-weights', predict, 'link.json', [{ path: 'link.json', symlink: 'w.pt' }]),
  refused('predict-json-over-link-to-other', predict, 'link.json', [{ path: 'other.json', bytes: '[]' }, { path: 'link.json', symlink: 'other.json' }]),
  refused('predict-json-over-weights-dotted-path', predict, './img/../w.pt', []),
  refused('predict-json-dev-null', predict, '/dev/null', []),
  refused('predict-json-fifo', predict, 'pipe.json', [{ path: 'pipe.json', fifo: true }]),
  refused('predict-json-folder', predict, 'img', []),
  refused('predict-json-dangling-link', predict, 'dangling.json', [{ path: 'dangling.json', symlink: 'nowhere/x.json' }]),
  refused('val-json-over-yaml', val, 'data/d.yaml', []),
  refused('val-json-over-label', val, 'data/labels/val/000000000036.txt', []),
  refused('val-json-over-weights', val, 'w.pt', []),
  refused('convert-over-input', convert, 'w.pt', [], ['BAD_ARGUMENT', 'UNSAFE_OUTPUT']),
  refused('convert-over-link', convert, 'o.safetensors', [{ path: 'o.safetensors', symlink: 'w.pt' }]),
  refused('export-over-link', exportOnnx, 'o.onnx', [{ path: 'o.onnx', symlink: 'w.pt' }]),
  refused('export-over-fifo', exportOnnx, 'o.onnx', [{ path: 'o.onnx', fifo: true }]),
  refused('predict-project-is-a-file', (t) => ['predict', 'img/bus.jpg', '--weights', 'w.pt', '--imgsz', '64', '--save', '--project', t], 'w.pt', [], ['BAD_PATH']),
  written('predict-json-new-folder', predict, 'out/deep/er/dets.json', jsonOk('out/deep/er/dets.json')),
  written('val-json', val, 'out/val.json', jsonOk('out/val.json')),
];

export const outputGenerator: Generator = {
  family: 'output',
  // Hand-written cases only; each runs the real CLI (a second or two each), so they are all slow
  // except a representative few kept in the quick subset.
  cases: (_rng, _n, shared) => CASES.map((f, i) => ({ ...f(shared), slow: ![0, 2, 5, 9, 14, 17].includes(i) })),
};
