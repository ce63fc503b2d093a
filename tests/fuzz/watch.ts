/**
 * Watches a child process: polls its resident memory (/proc/<pid>/status VmRSS, Linux) every 50 ms and
 * kills it with SIGKILL when it runs past `ms` or its RSS passes `rssMb`, so a hang or a memory blow-up
 * is recorded as such instead of stalling or swapping the machine.
 */
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

/** How a watched process ended. */
export interface WatchResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the watcher killed it. */
  killed?: 'hang' | 'oom';
  /** Highest RSS seen by polling (MB). */
  peakMb: number;
}

/** Resident set size of `pid` in MB, or 0 if it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Resolves when `p` exits. `deadline()` may be called again to restart the clock (the runner does
 * it at each case start); `onPoll` sees each RSS sample.
 *
 * @example
 * const w = await watchProcess(spawn('node', ['x.js']), { ms: 60_000, rssMb: 2048 });
 */
export function watchProcess(p: ChildProcess, limits: { ms: number; rssMb: number }, hooks: { restart?: (fn: () => void) => void } = {}): Promise<WatchResult> {
  return new Promise((resolvePromise) => {
    let start = performance.now();
    let peak = 0;
    let killed: WatchResult['killed'];
    hooks.restart?.(() => (start = performance.now()));
    const timer = setInterval(() => {
      if (p.pid === undefined || killed) return;
      const mb = rssMb(p.pid);
      peak = Math.max(peak, mb);
      if (mb > limits.rssMb) killed = 'oom';
      else if (performance.now() - start > limits.ms) killed = 'hang';
      if (killed) p.kill('SIGKILL');
    }, 50);
    p.on('exit', (code, signal) => {
      clearInterval(timer);
      resolvePromise({ code, signal, killed, peakMb: peak });
    });
  });
}
