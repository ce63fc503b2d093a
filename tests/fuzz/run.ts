/**
 * The fuzz suite's runner. Runs every case of the chosen families in a worker process (child.ts)
 * under a per-case time limit and an RSS limit; a worker that crashes, hangs or blows memory is
 * killed, the case in flight is blamed, and a fresh worker continues with the next case.
 *
 *   node --import tsx tests/fuzz/run.ts                      # every family, 20 random cases per kind
 *   node --import tsx tests/fuzz/run.ts --families image,onnx --n 100 --seed 7
 *   node --import tsx tests/fuzz/run.ts --quick              # the subset `npm test` runs
 *
 * Prints a summary table (family x outcome) and each failing case; exits 1 if any case failed.
 * `--json FILE` writes every case's report.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { failure, type CaseReport, type Outcome } from './cases.js';
import { watchProcess } from './watch.js';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  families?: string[];
  seed?: number;
  /** Random cases per kind (generators scale with it). */
  n?: number;
  /** Skip cases marked slow. */
  quick?: boolean;
  /** Per-case time limit (ms) and RSS limit (MB). */
  ms?: number;
  rssMb?: number;
  shared?: string;
  /** Called after each case. */
  onCase?: (r: CaseReport, total: number) => void;
}

const repo = resolve(import.meta.dirname, '..', '..');

/** Runs the worker from case `from`; resolves with the reports and where it stopped. */
async function runWorker(o: Required<Omit<FuzzOptions, 'onCase' | 'families'>> & { families: string[]; root: string; onCase?: FuzzOptions['onCase'] }, from: number, reports: CaseReport[]): Promise<{ next: number; total: number }> {
  const args = ['--import', 'tsx', join(repo, 'tests', 'fuzz', 'child.ts'), '--families', o.families.join(','), '--seed', String(o.seed), '--n', String(o.n), '--quick', o.quick ? '1' : '0', '--from', String(from), '--root', o.root, '--ms', String(o.ms), '--rss', String(o.rssMb), '--shared', o.shared];
  const p = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LEYOLO_WEIGHTS: '' } });
  let restart: () => void = () => undefined;
  const watched = watchProcess(p, { ms: o.ms, rssMb: o.rssMb }, { restart: (fn) => (restart = fn) });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  let total = 0;
  let inFlight: { i: number; family: string; name: string; t0: number } | undefined;
  let next = from;
  for await (const line of createInterface({ input: p.stdout })) {
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // stray output of a library under test
    }
    if (ev.t === 'count') total = ev.n as number;
    if (ev.t === 'start') {
      restart();
      inFlight = { i: ev.i as number, family: ev.family as string, name: ev.name as string, t0: performance.now() };
    }
    if (ev.t === 'done') {
      const r = ev as unknown as CaseReport;
      reports.push(r);
      o.onCase?.(r, total);
      inFlight = undefined;
      next = r.i + 1;
    }
  }
  const w = await watched;
  if (inFlight) {
    // The worker died inside a case: blame it, and continue after it.
    const outcome: Outcome = w.killed ?? 'crash';
    const r: CaseReport = { i: inFlight.i, family: inFlight.family as CaseReport['family'], name: inFlight.name, expect: { kind: 'ok' }, outcome, detail: `${w.signal ?? `exit ${w.code}`}: ${stderr.slice(-300)}`, ms: performance.now() - inFlight.t0, rssMb: w.peakMb, touched: [] };
    reports.push(r);
    o.onCase?.(r, total);
    return { next: inFlight.i + 1, total };
  }
  if (w.code !== 0 && next < total) throw new Error(`fuzz worker failed outside a case (exit ${w.code}): ${stderr}`);
  return { next: total, total };
}

/**
 * Runs the fuzz suite; returns every case's report (see cases.ts `failure` for pass/fail).
 *
 * @example
 * const reports = await runFuzz({ quick: true, seed: 1 });
 */
export async function runFuzz(opts: FuzzOptions = {}): Promise<CaseReport[]> {
  const root = mkdtempSync(join(tmpdir(), 'leyolo-fuzz-'));
  const o = { families: opts.families ?? [], seed: opts.seed ?? 1, n: opts.n ?? 20, quick: opts.quick ?? false, ms: opts.ms ?? 60_000, rssMb: opts.rssMb ?? 2048, shared: opts.shared ?? resolve(repo, '..', 'shared'), root, onCase: opts.onCase };
  const reports: CaseReport[] = [];
  try {
    let from = 0;
    for (;;) {
      const { next, total } = await runWorker(o, from, reports);
      if (next >= total) break;
      from = next;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return reports;
}

const OUTCOMES: Outcome[] = ['ok', 'typed', 'partial', 'internal', 'untyped', 'wrong', 'crash', 'hang', 'oom'];

/** Markdown table: one row per family, cases per outcome, failures, slowest case and peak RSS. */
export function summaryTable(reports: readonly CaseReport[]): string {
  const fams = [...new Set(reports.map((r) => r.family))];
  const head = `| family | cases | ${OUTCOMES.join(' | ')} | touched | failed | max s | max RSS MB |`;
  const rows = fams.map((f) => {
    const rs = reports.filter((r) => r.family === f);
    const count = (k: Outcome) => rs.filter((r) => r.outcome === k).length;
    const maxS = Math.max(...rs.map((r) => r.ms)) / 1000;
    const maxRss = Math.max(...rs.map((r) => r.rssMb));
    return `| ${f} | ${rs.length} | ${OUTCOMES.map(count).join(' | ')} | ${rs.filter((r) => r.touched.length).length} | ${rs.filter((r) => failure(r)).length} | ${maxS.toFixed(1)} | ${maxRss.toFixed(0)} |`;
  });
  return [head, `|${'---|'.repeat(OUTCOMES.length + 6)}`, ...rows].join('\n');
}

async function cli(): Promise<void> {
  const a = process.argv.slice(2);
  const val = (k: string) => (a.includes(`--${k}`) ? a[a.indexOf(`--${k}`) + 1] : undefined);
  const t0 = performance.now();
  const reports = await runFuzz({
    families: val('families')?.split(',').filter(Boolean),
    seed: val('seed') ? Number(val('seed')) : undefined,
    n: val('n') ? Number(val('n')) : undefined,
    quick: a.includes('--quick'),
    onCase: (r, total) => {
      const why = failure(r);
      if (why) process.stderr.write(`FAIL ${r.family}/${r.name}: ${why}\n`);
      else if (process.stderr.isTTY) process.stderr.write(`\r${r.i + 1}/${total} ${r.family}/${r.name}`.padEnd(100).slice(0, 100));
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.stdout.write(`${summaryTable(reports)}\n\n${reports.length} cases in ${((performance.now() - t0) / 1000).toFixed(0)} s, ${reports.filter((r) => failure(r)).length} failed\n`);
  const out = val('json');
  if (out) writeFileSync(out, JSON.stringify(reports, null, 1));
  process.exitCode = reports.some((r) => failure(r)) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await cli();
