/**
 * The fuzz runner's worker process: builds the cases of the requested families, runs them from index
 * `--from` on, one at a time, each in its own sandbox, and reports one JSON line per event on stdout
 * (`start` before a case, `done` after it) so the parent can blame a crash, a hang or a memory blow-up
 * on the case in flight. Library cases run in this process; CLI cases in a grandchild watched the
 * same way.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isLeyoloError } from '../../src/errors.js';
import { buildCases, classifyCli, type CaseReport, type Outcome } from './cases.js';
import { changed, fingerprint, makeSandbox, removeSandbox } from './sandbox.js';
import { watchProcess } from './watch.js';
import type { CliResult, FuzzCase, FuzzContext } from './types.js';

const repo = resolve(import.meta.dirname, '..', '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const emit = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

async function runLibrary(c: FuzzCase, ctx: FuzzContext): Promise<{ outcome: Outcome; code?: string; detail?: string }> {
  try {
    await c.run!(ctx);
    return { outcome: 'ok' };
  } catch (e) {
    if (isLeyoloError(e)) return { outcome: e.code === 'INTERNAL' ? 'internal' : 'typed', code: e.code, detail: e.message.slice(0, 300) };
    const err = e as Error;
    // The case's own checks use node:assert: a failed check is a wrong result, anything else leaked.
    const outcome: Outcome = err?.name === 'AssertionError' || err?.constructor?.name === 'AssertionError' ? 'wrong' : 'untyped';
    return { outcome, detail: `${err?.name}: ${String(err?.message).slice(0, 300)}` };
  }
}

async function runCli(c: FuzzCase, ctx: FuzzContext, limits: { ms: number; rssMb: number }): Promise<{ outcome: Outcome; code?: string; detail?: string; rssMb: number }> {
  const rssFile = join(ctx.out, '..', '.rss');
  const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--import', join(repo, 'tests', 'fuzz', 'rss-preload.mjs'), join(repo, 'src', 'cli', 'main.ts'), ...c.cli!(ctx)], {
    cwd: ctx.dir,
    env: { ...process.env, LEYOLO_WEIGHTS: '', LEYOLO_FUZZ_RSS: rssFile, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => void (stdout = (stdout + d.toString()).slice(-100_000)));
  p.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-100_000)));
  const w = await watchProcess(p, limits);
  let rssMb = w.peakMb;
  try {
    rssMb = Math.max(rssMb, Number(readFileSync(rssFile, 'utf8')) / 1024);
    rmSync(rssFile);
  } catch {
    // No report: the process died before its exit handler ran (classified below).
  }
  if (w.killed) return { outcome: w.killed, detail: stderr.slice(-300), rssMb };
  const r: CliResult = { code: w.code, stdout, stderr };
  const cls = classifyCli(r, w.signal);
  if ((cls.outcome === 'ok' || cls.outcome === 'typed' || cls.outcome === 'partial') && c.verify) {
    try {
      c.verify(ctx, r);
    } catch (e) {
      return { outcome: 'wrong', detail: `${(e as Error).message.slice(0, 300)}`, rssMb };
    }
  }
  return { ...cls, rssMb };
}

async function main(): Promise<void> {
  const families = arg('families', '').split(',').filter(Boolean);
  const cases = await buildCases(families, Number(arg('seed', '1')), Number(arg('n', '20')), arg('quick', '0') === '1', arg('shared', resolve(repo, '..', 'shared')));
  const from = Number(arg('from', '0'));
  const root = arg('root', '/tmp');
  const limits = { ms: Number(arg('ms', '60000')), rssMb: Number(arg('rss', '2048')) };
  const shared = arg('shared', resolve(repo, '..', 'shared'));
  emit({ t: 'count', n: cases.length });
  for (let i = from; i < cases.length; i++) {
    const c = cases[i];
    const dir = makeSandbox(root, `${c.family}-${i}`, c.files ?? []);
    const out = join(dir, 'out');
    mkdirSync(out);
    const ctx: FuzzContext = { dir, out, shared };
    const before = fingerprint(dir, out);
    emit({ t: 'start', i, family: c.family, name: c.name });
    const t0 = performance.now();
    process.chdir(dir);
    let res: { outcome: Outcome; code?: string; detail?: string; rssMb?: number };
    if (c.cli) res = await runCli(c, ctx, limits);
    else res = await runLibrary(c, ctx);
    process.chdir(repo);
    const ms = performance.now() - t0;
    const selfRss = process.resourceUsage().maxRSS / 1024;
    const touched = changed(before, fingerprint(dir, out));
    const report: CaseReport = { i, family: c.family, name: c.name, expect: c.expect, outcome: res.outcome, code: res.code, detail: res.detail, ms, rssMb: c.cli ? (res.rssMb ?? 0) : selfRss, touched };
    emit({ t: 'done', ...report });
    removeSandbox(dir);
  }
  emit({ t: 'end' });
}

await main();
// Library cases may leave sessions or timers behind; the runner is done with this process.
process.exit(0);
