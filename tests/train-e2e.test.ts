/**
 * Training end to end on coco8 (kept small for CI: a few epochs at 320): run-folder contents,
 * fine-tuning from the official weights, a SIGKILL mid-run followed by an exact --resume, Ctrl-C (SIGINT).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResultsCsv } from '../src/train/report.js';
import { load } from '../src/node/model.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const shared = resolve(root, '..', 'shared');
const nano = join(shared, 'weights', 'LeYOLONano.pt');
const coco8 = join(shared, 'datasets', 'coco8', 'coco8.yaml');
const skip = existsSync(nano) ? false : 'needs ../shared';
const cli = ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts')];

function train(args: string[]) {
  return spawnSync(process.execPath, [...cli, 'train', ...args], { cwd: root, encoding: 'utf8', timeout: 600_000 });
}

test('fine-tune from the official Nano: run folder, loadable checkpoints, metrics do not collapse', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-train-'));
  const r = train(['--data', coco8, '--weights', nano, '--epochs', '2', '--imgsz', '320', '--batch', '4', '--workers', '1', '--project', dir, '--name', 'ft']);
  assert.equal(r.status, 0, r.stderr);
  const run = join(dir, 'ft');
  for (const f of ['weights/last.safetensors', 'weights/best.safetensors', 'weights/last.state.safetensors', 'results.csv', 'results.png', 'args.json']) {
    assert.ok(existsSync(join(run, f)), `${f} written`);
  }
  const rows = parseResultsCsv(readFileSync(join(run, 'results.csv'), 'utf8'));
  assert.deepEqual(rows.map((x) => x.epoch), [1, 2]);
  assert.ok(rows.every((x) => x['train/box_loss'] > 0 && Number.isFinite(x['metrics/mAP50-95(B)'])));
  // The official Nano scores 0.31 mAP50-95 on coco8-val at 320; two tiny epochs of the recipe's warm-up
  // (AdamW lr ~1e-4, bias warm-up lr 0 under 'auto') must not wreck it. 0.1 leaves room for the noise of
  // four training images while catching a broken optimizer or loader (those give ~0).
  assert.ok(rows[1]['metrics/mAP50-95(B)'] > 0.1, `mAP50-95 ${rows[1]['metrics/mAP50-95(B)']}`);
  const model = await load({ weights: join(run, 'weights', 'best.safetensors'), imgsz: 320 });
  const dets = await model.detect(join(shared, 'fixtures', 'images', 'bus.jpg'));
  await model.dispose();
  assert.ok(dets.some((d) => d.label === 'bus' || d.label === 'person'), 'the fine-tuned weights still detect');
});

test('a run killed with SIGKILL resumes from its last checkpoint and finishes', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-train-'));
  const run = join(dir, 'r');
  const args = ['--data', coco8, '--weights', nano, '--epochs', '3', '--imgsz', '320', '--batch', '2', '--workers', '0', '--no-val', '--project', dir, '--name', 'r'];
  const child = spawn(process.execPath, [...cli, 'train', ...args], { cwd: root, stdio: 'ignore' });
  // Kill hard as soon as the first epoch's checkpoint exists (mid-run: epochs 2-3 are not done).
  await new Promise<void>((res, rej) => {
    const t = setInterval(() => {
      if (existsSync(join(run, 'weights', 'last.state.safetensors'))) {
        clearInterval(t);
        child.kill('SIGKILL');
        res();
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(t);
      if (!existsSync(join(run, 'weights', 'last.state.safetensors'))) rej(new Error('trainer exited before its first checkpoint'));
      res();
    });
  });
  await new Promise((res) => child.on('close', res));
  const before = parseResultsCsv(readFileSync(join(run, 'results.csv'), 'utf8'));
  assert.ok(before.length >= 1 && before.length < 3, `killed mid-run after ${before.length} epoch(s)`);
  const r = spawnSync(process.execPath, [...cli, 'train', '--resume', run], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  const after = parseResultsCsv(readFileSync(join(run, 'results.csv'), 'utf8'));
  assert.deepEqual(after.map((x) => x.epoch), [1, 2, 3]);
  // Epochs before the kill are kept as they were.
  assert.equal(after[0]['train/box_loss'], before[0]['train/box_loss']);
});

test('Ctrl-C stops after the current batch, saves interrupted weights, exits 130 without a stack trace', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-train-'));
  const run = join(dir, 'c');
  // 6 epochs of 2 batches leave room for the signal to land mid-run, after the first checkpoint.
  const args = ['--data', coco8, '--weights', nano, '--epochs', '6', '--imgsz', '320', '--batch', '2', '--workers', '0', '--no-val', '--project', dir, '--name', 'c'];
  const child = spawn(process.execPath, [...cli, 'train', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const t = setInterval(() => {
    if (existsSync(join(run, 'weights', 'last.state.safetensors'))) {
      clearInterval(t);
      child.kill('SIGINT');
    }
  }, 50);
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  clearInterval(t);
  assert.equal(code, 130, stderr);
  assert.ok(existsSync(join(run, 'weights', 'interrupted.safetensors')), 'interrupted weights written');
  assert.match(stderr, /--resume/, 'tells the user how to continue');
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  const rows = parseResultsCsv(readFileSync(join(run, 'results.csv'), 'utf8'));
  assert.ok(rows.length >= 1 && rows.length < 6, `stopped mid-run after ${rows.length} epoch(s)`);
});
