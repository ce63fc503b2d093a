import { LeyoloError, asLeyoloError, type ErrorCode } from '../errors.js';

/**
 * Per-input failures of a command with many inputs: each bad input is printed once, as it happens
 * (`error[CODE]: file: reason`), the command carries on, and at the end {@link InputFailures.finish}
 * throws SOME_INPUTS_FAILED (exit 1) if any input failed, after the outputs for the good ones were
 * written.
 *
 * @example
 * const failed = new InputFailures('image');
 * try { await work(file); } catch (e) { failed.add(file, e); }
 * failed.finish(total);
 */
export class InputFailures {
  readonly items: { file: string; code: ErrorCode; message: string }[] = [];
  constructor(private readonly what: string) {}

  /** Record and print one failed input. Bugs (INTERNAL) are not input problems: they are rethrown. */
  add(file: string, e: unknown, code?: ErrorCode): void {
    const err = typeof e === 'string' ? new LeyoloError(code ?? 'BAD_IMAGE', e) : asLeyoloError(e, file);
    if (err.code === 'INTERNAL' || err.code === 'DISK_FULL' || err.code === 'INTERRUPTED') throw err;
    // One line per input: libvips and ffmpeg messages span several.
    const text = err.message.split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
    const message = text.includes(file) ? text : `${file}: ${text}`;
    this.items.push({ file, code: code ?? err.code, message });
    process.stderr.write(`error[${code ?? err.code}]: ${message} (skipped)\n`);
  }

  get count(): number {
    return this.items.length;
  }

  /** Throws SOME_INPUTS_FAILED when any input failed, naming how many of `total`. */
  finish(total: number): void {
    if (this.items.length === 0) return;
    throw new LeyoloError(
      'SOME_INPUTS_FAILED',
      `${this.items.length} of ${total} ${this.what}${total === 1 ? '' : 's'} failed (listed above); the results of the others were written`,
      `fix or remove the ${this.what}s listed above`,
    );
  }
}
