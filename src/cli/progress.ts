/**
 * A small tqdm-like progress bar on stderr: `predict  12/128 [=====>     ]  9.4 it/s  eta 12s  msg`.
 * Draws in place on a TTY and prints a line every ~10% otherwise (CI logs stay short).
 *
 * @example
 * const bar = new Progress('predict', files.length); for (...) { ...; bar.tick(); } bar.done();
 */
export class Progress {
  private n = 0;
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private readonly tty = process.stderr.isTTY === true;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = 'it',
    private readonly enabled = true,
  ) {}

  /** Advance by `k` and optionally show a status message (e.g. loss terms). */
  tick(k = 1, msg = ''): void {
    this.n += k;
    if (!this.enabled) return;
    const now = performance.now();
    if (this.tty) {
      if (now - this.lastDraw < 80 && this.n < this.total) return;
      this.lastDraw = now;
      process.stderr.write(`\r${this.line(msg)}\x1b[K`);
    } else {
      const decile = this.total > 0 ? Math.floor((10 * this.n) / this.total) : 0;
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        process.stderr.write(`${this.line(msg)}\n`);
      }
    }
  }

  /** Finish the bar (newline on a TTY). */
  done(msg = ''): void {
    if (!this.enabled) return;
    if (this.tty) process.stderr.write(`\r${this.line(msg)}\x1b[K\n`);
  }

  get rate(): number {
    const s = (performance.now() - this.t0) / 1000;
    return s > 0 ? this.n / s : 0;
  }

  private line(msg: string): string {
    const width = 24;
    const frac = this.total > 0 ? Math.min(1, this.n / this.total) : 0;
    const filled = Math.round(frac * width);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
    const rate = this.rate;
    const eta = rate > 0 ? Math.max(0, (this.total - this.n) / rate) : 0;
    return `${this.label} ${this.n}/${this.total} [${bar}] ${rate.toFixed(1)} ${this.unit}/s eta ${eta.toFixed(0)}s ${msg}`.trimEnd();
  }
}
