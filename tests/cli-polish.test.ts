/**
 * CLI polish (issue 10): exit statuses, "did you mean", help texts against the real option tables,
 * convert's default output, bench outside the repository, Ultralytics key=value arguments, download
 * errors, library hints shown as flags, the training summary. Most checks fail before any model is
 * loaded; one predict run covers the model-loading ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainSummary } from '../src/cli/train-summary.js';
import type { EpochRecord } from '../src/train/report.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const shared = resolve(root, '..', 'shared');
const nano = join(shared, 'weights', 'LeYOLONano.pt');
const bus = join(shared, 'fixtures', 'images', 'bus.jpg');
const skip = existsSync(nano) ? false : 'needs ../shared';
const main = join(root, 'src', 'cli', 'main.ts');
// An absolute tsx loader: the CLI must also run from folders outside the repository.
const tsx = import.meta.resolve('tsx');

/** Run the CLI without blocking the event loop (tests run several at once, and one serves HTTP meanwhile). */
function leyolo(args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, ['--import', tsx, main, ...args], { cwd: o.cwd ?? root, env: { ...process.env, LEYOLO_WEIGHTS: '', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((ok) => p.on('close', (code) => ok({ code, stdout, stderr })));
}

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at /, 'no stack trace');

test('usage errors exit 2 with a suggestion; --help documents the exit statuses', async () => {
  const cases: [string[], RegExp][] = [
    [['predcit', 'x.jpg'], /unknown command 'predcit'\n {2}did you mean 'predict'\?/],
    [['predict', '--sav', 'x.jpg'], /unknown option '--sav'.*\n {2}did you mean --save\?/],
    [['info', '--imgsz', 'abc'], /--imgsz must be/],
    [['predict', '--conf'], /--conf <value>' argument missing/],
    [['export', 'x.pt'], /unexpected argument 'x\.pt'.*\n {2}pass weights with --weights x\.pt/],
    [[], /Usage: leyolo <command>/],
  ];
  const [h, ...results] = await Promise.all([leyolo(['--help']), ...cases.map(([args]) => leyolo(args))]);
  cases.forEach(([args, re], i) => {
    const r = results[i];
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    noStack(r.stderr);
  });
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Exit status:[\s\S]*\b0\b[\s\S]*\b1\b[\s\S]*\b2 +usage error[\s\S]*\b130\b/);
});

test("every command's --help lists exactly its options", async () => {
  const names = ['predict', 'val', 'eval', 'train', 'track', 'export', 'info', 'bench', 'convert'];
  for (const name of names) {
    const mod = (await import(`../src/cli/${name}.js`)) as { HELP: string; OPTIONS: Record<string, { short?: string }> };
    const inHelp = new Set([...mod.HELP.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
    inHelp.delete('help');
    // --weights/--model named in prose count as documented too; what matters is that none is missing or invented.
    assert.deepEqual([...inHelp].filter((f) => !(f in mod.OPTIONS)), [], `${name} --help names options it does not take`);
    assert.deepEqual(Object.keys(mod.OPTIONS).filter((k) => !inHelp.has(k)), [], `${name} --help omits options`);
    for (const [k, o] of Object.entries(mod.OPTIONS)) if (o.short) assert.match(mod.HELP, new RegExp(`-${o.short}, --${k}`), `${name}: -${o.short}`);
  }
  const { HELP } = (await import('../src/cli/predict.js')) as { HELP: string };
  assert.match(HELP, /--save-txt .*\(class cx cy w h, normalised\)/);
  assert.match(HELP, /--save-conf .*confidence/);
});

test('Ultralytics key=value arguments get the equivalent flags (exit 2)', async () => {
  const [r, t] = await Promise.all([
    leyolo(['predict', 'model=x.pt', 'source=img.jpg', 'imgsz=320', 'save_txt=True', 'conf=0.5']),
    leyolo(['train', 'data=coco8.yaml', 'model=leyolonano.yaml', 'epochs=3', 'close_mosaic=0', 'val=False', '--batch', '4']),
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /error\[BAD_ARGUMENT\]: 'model=x\.pt' is an Ultralytics-style key=value argument/);
  assert.match(r.stderr, /\n {2}use: leyolo predict --weights x\.pt img\.jpg --imgsz 320 --save-txt --conf 0\.5\n/);
  assert.equal(t.code, 2, t.stderr);
  assert.match(t.stderr, /use: leyolo train --data coco8\.yaml --model nano --epochs 3 --close-mosaic 0 --no-val --batch 4\n/);
});

test('predict: a file named like key=value still works, --save-conf adds a confidence column, --weights IMAGE is not a checkpoint', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-polish-'));
  copyFileSync(bus, join(dir, 'size=1.jpg'));
  // Relative to the cwd, as a user types it: the existence check must use the cwd.
  const [r, w] = await Promise.all([
    leyolo(['predict', 'size=1.jpg', '--weights', nano, '--imgsz', '320', '--save-txt', '--save-conf', '--project', 'runs', '--quiet'], { cwd: dir }),
    leyolo(['predict', bus, '--weights', bus]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(join(dir, 'runs', '1', 'labels', 'size=1.txt'), 'utf8').trim().split('\n');
  assert.ok(rows.length > 0);
  for (const row of rows) {
    const cols = row.split(' ').map(Number);
    assert.equal(cols.length, 6, row);
    assert.ok(cols[5] >= 0.25 && cols[5] <= 1, `confidence column ${row}`);
  }
  assert.equal(w.code, 1);
  assert.match(w.stderr, /error\[BAD_CHECKPOINT\]: .*bus\.jpg: not a checkpoint.*JPEG/);
  assert.doesNotMatch(w.stderr, /header length/);
  noStack(w.stderr);
});

test('library hints are shown as flags: a missing --weights file', async () => {
  const r = await leyolo(['predict', bus, '--weights', join(tmpdir(), 'no-such-weights.pt')]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /error\[WEIGHTS_NOT_FOUND\]: weights file not found: .*no-such-weights\.pt \(from --weights\)\n {2}pass --weights path\/to\.pt: /);
  assert.doesNotMatch(r.stderr, /`/);
});

test('a 404 download is WEIGHTS_NOT_FOUND naming --weights, not OFFLINE', async () => {
  const server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const port = (server.address() as { port: number }).port;
    const cache = mkdtempSync(join(tmpdir(), 'leyolo-cache-'));
    const r = await leyolo(['predict', bus, '--model', 'small'], { env: { LEYOLO_CACHE: cache, LEYOLO_WEIGHTS_URL: `http://127.0.0.1:${port}` } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error\[WEIGHTS_NOT_FOUND\]: no such release file: http:\/\/127\.0\.0\.1:\d+\/LeYOLOSmall\.pt \(HTTP 404\)\n {2}pass --weights LeYOLONano\.pt/);
    assert.deepEqual(readdirSync(cache), [], 'nothing cached');
  } finally {
    server.close();
  }
});

test('convert defaults to in.safetensors beside the input', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-polish-'));
  copyFileSync(nano, join(dir, 'in.pt'));
  const r = await leyolo(['convert', join(dir, 'in.pt')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(dir, 'in.safetensors')).readBigUInt64LE(0) > 0n, true);
  const again = await leyolo(['convert', join(dir, 'in.safetensors')]);
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /already a \.safetensors file\n {2}pass -o/);
});

test('bench runs from any folder and writes only to its run folder', { skip }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'leyolo-bench-'));
  const empty = join(cwd, 'empty');
  mkdirSync(empty);
  const [bad, ok] = await Promise.all([
    leyolo(['bench', '--shared', empty, '--configs', 'nano@64', '--runs', '3'], { cwd }),
    leyolo(['bench', '--configs', 'nano@64', '--runs', '3', '--threads', '1'], { cwd }),
  ]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /error\[FILE_NOT_FOUND\]: benchmark reference files not found in .*empty.*\n {2}pass --shared DIR/);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /\| nano@64 \| real \|/);
  const j = JSON.parse(readFileSync(join(cwd, 'runs', 'bench', '1', 'infer.json'), 'utf8')) as { rows: { config: string }[] };
  assert.equal(j.rows[0].config, 'nano@64');
  assert.deepEqual(readdirSync(cwd).sort(), ['empty', 'runs'], 'no bench/ folder in the cwd');
});

function row(epoch: number, m50: number, m5095: number): EpochRecord {
  const r = Object.fromEntries(['train/box_loss', 'train/cls_loss', 'train/dfl_loss', 'metrics/precision(B)', 'metrics/recall(B)', 'metrics/cocoAP(B)', 'lr/pg0', 'lr/pg1', 'lr/pg2', 'train/img_per_s'].map((k) => [k, 1]));
  return { ...r, epoch, 'metrics/mAP50(B)': m50, 'metrics/mAP50-95(B)': m5095 } as EpochRecord;
}

test('training ends with a summary of the best epoch and where the weights are', () => {
  const rows = [row(1, 0.3, 0.2), row(2, 0.56, 0.372), row(3, 0.5, 0.35)];
  const done = trainSummary({ epochs: rows, stopped: 'done' }, { epochs: 3, patience: 100 }, join('runs', 'train', '3'));
  assert.match(done, /^Training finished: 3 epochs, best mAP50-95 0\.372 \(mAP50 0\.560\) at epoch 2\n/);
  assert.match(done, /weights: runs\/train\/3\/weights\/\{best,last\}\.safetensors/);
  const early = trainSummary({ epochs: rows, stopped: 'patience' }, { epochs: 50, patience: 1 }, 'r');
  assert.match(early, /^Stopped early at epoch 3 of 50 \(no improvement for 1 epoch\): best mAP50-95 0\.372/);
  const noVal = trainSummary({ epochs: [row(1, NaN, NaN)], stopped: 'done' }, { epochs: 1, patience: 100 }, 'r');
  assert.match(noVal, /best \(lowest training loss, not validated\) at epoch 1/);
  const stop = trainSummary({ epochs: rows.slice(0, 1), stopped: 'interrupted' }, { epochs: 10, patience: 100 }, 'r');
  assert.match(stop, /^Interrupted after 1 epoch of 10; best mAP50-95 0\.200[\s\S]*interrupted\.safetensors[\s\S]*leyolo train --resume r\n$/);
  assert.doesNotMatch(done + early + noVal + stop, /Done \(/);
});
