/**
 * Every mode through the library API gives what the CLI gives (the CLI is a thin layer over it):
 * predict (the --json rows), val (the --json report), export (the file, byte for byte) and train
 * (results.csv, every column but throughput).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load, train } from '../src/index.js';
import { parseResultsCsv } from '../src/train/report.js';

const root = resolve(import.meta.dirname, '..');
const shared = resolve(root, '..', 'shared');
const nano = join(shared, 'weights', 'LeYOLONano.pt');
const coco8 = join(shared, 'datasets', 'coco8', 'coco8.yaml');
const images = ['bus.jpg', 'zidane.jpg'].map((f) => join(shared, 'fixtures', 'images', f));
const skip = existsSync(nano) ? false : 'needs ../shared';

function leyolo(args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LEYOLO_WEIGHTS: '' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr;
}

/** Plain JSON, as the CLI writes it (float64 numbers print the same both ways). */
const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

test('predict, val and export: the library equals the CLI', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-api-'));
  const model = await load({ weights: nano, imgsz: 320 });
  try {
    const lib = await model.predict(images, { conf: 0.3 });
    leyolo(['predict', ...images, '--weights', nano, '--imgsz', '320', '--conf', '0.3', '--json', join(dir, 'p.json'), '--quiet']);
    assert.deepEqual(json(lib.results), JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8')));
    assert.ok(lib.results.every((r) => r.detections.length > 0) && lib.failures.length === 0);

    const v = await model.val({ data: coco8, plots: false, project: join(dir, 'val') });
    leyolo(['val', '--data', coco8, '--weights', nano, '--imgsz', '320', '--no-plots', '--project', join(dir, 'val'), '--json', join(dir, 'v.json')]);
    const cli = JSON.parse(readFileSync(join(dir, 'v.json'), 'utf8')) as { ultralytics: Record<string, unknown>; coco: unknown };
    const u = v.ultralytics;
    assert.deepEqual(json({ precision: u.precision, recall: u.recall, mAP50: u.mAP50, 'mAP50-95': u.mAP5095, perClass: u.perClass }), cli.ultralytics);
    assert.deepEqual(json(v.coco), cli.coco);

    const e = await model.export({ imgsz: 320, output: join(dir, 'lib.onnx') });
    leyolo(['export', '--weights', nano, '--imgsz', '320', '-o', join(dir, 'cli.onnx')]);
    assert.ok(Buffer.from(e.bytes).equals(readFileSync(join(dir, 'cli.onnx'))), 'the same ONNX bytes');
    assert.ok(readFileSync(join(dir, 'lib.onnx')).equals(readFileSync(join(dir, 'cli.onnx'))));
  } finally {
    await model.dispose();
  }
});

test('train: the library run equals the CLI run (same seed, same data)', { skip, timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-api-train-'));
  const cfg = { epochs: 1, imgsz: 64, batch: 2, workers: 0, threads: 1, val: false };
  const lib = await train({ ...cfg, data: coco8, project: dir, name: 'lib' }, { weights: nano });
  leyolo(['train', '--data', coco8, '--weights', nano, '--epochs', '1', '--imgsz', '64', '--batch', '2', '--workers', '0', '--threads', '1', '--no-val', '--project', dir, '--name', 'cli']);
  const rows = (name: string) => parseResultsCsv(readFileSync(join(dir, name, 'results.csv'), 'utf8')).map(({ 'train/img_per_s': _speed, ...r }) => r);
  assert.equal(lib.dir, join(dir, 'lib'));
  assert.equal(lib.epochs.length, 1);
  // One thread, fixed seed: the two runs do the same arithmetic in the same order.
  assert.deepEqual(rows('lib'), rows('cli'));
});
