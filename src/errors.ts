/**
 * Typed errors. Every user-facing failure is a LeyoloError with a stable `code` and a `hint`
 * that tells the user how to fix it; the CLI prints `error[code]: message\n  hint` and exits
 * non-zero without a stack trace. The error that caused it, if any, is kept as `cause`.
 *
 * `INTERNAL` is reserved for bugs: public functions wrap anything unexpected in it (see
 * {@link asLeyoloError}) so callers only ever see LeyoloErrors.
 *
 * @example
 * throw new LeyoloError('WEIGHTS_NOT_FOUND', `no such file: ${p}`, 'pass the path of an existing .pt file', { cause: e });
 */
export type ErrorCode =
  | 'BAD_ARGUMENT'
  | 'FILE_NOT_FOUND'
  | 'WEIGHTS_NOT_FOUND'
  | 'BAD_CHECKPOINT'
  | 'UNSAFE_PICKLE'
  | 'MODEL_MISMATCH'
  | 'BAD_MODEL'
  | 'BAD_IMAGE'
  | 'BAD_DATASET'
  | 'BAD_JSON'
  | 'BAD_PATH'
  | 'UNSAFE_OUTPUT'
  | 'LIMIT_EXCEEDED'
  | 'DISK_FULL'
  | 'BAD_RESUME'
  | 'SOME_INPUTS_FAILED'
  | 'NO_FFMPEG'
  | 'OFFLINE'
  | 'DOWNLOAD_FAILED'
  | 'RUNTIME'
  | 'INTERRUPTED'
  | 'INTERNAL';

export class LeyoloError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  constructor(code: ErrorCode, message: string, hint = '', options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LeyoloError';
    this.code = code;
    this.hint = hint;
  }
}

/** True for errors we raised on purpose (the CLI prints these without a stack trace). */
export function isLeyoloError(e: unknown): e is LeyoloError {
  return e instanceof LeyoloError;
}

/** The same error with `prefix: ` in front of its message (e.g. the file it concerns); cause kept. */
export function withContext(e: LeyoloError, prefix: string): LeyoloError {
  if (e.message.startsWith(`${prefix}: `)) return e;
  return new LeyoloError(e.code, `${prefix}: ${e.message}`, e.hint, { cause: e.cause ?? e });
}

const ERRNO: Record<string, [ErrorCode, string]> = {
  ENOENT: ['FILE_NOT_FOUND', 'check the path'],
  ENOTDIR: ['FILE_NOT_FOUND', 'check the path: a part of it is not a folder'],
  ENOSPC: ['DISK_FULL', 'free some disk space (or choose an output folder on another disk) and run again'],
  EDQUOT: ['DISK_FULL', 'your disk quota is exhausted: free some space and run again'],
  EACCES: ['BAD_PATH', 'check the file permissions'],
  EPERM: ['BAD_PATH', 'check the file permissions'],
  EROFS: ['BAD_PATH', 'the file system is read-only: choose an output folder you can write to'],
  ELOOP: ['BAD_PATH', 'the path is a symbolic link loop: fix or remove the link'],
  EISDIR: ['BAD_PATH', 'the path is a folder: pass a file'],
  EEXIST: ['BAD_PATH', 'a file is in the way of a folder leyolo must create: move it or choose another output folder'],
  ENAMETOOLONG: ['BAD_PATH', 'use a shorter path'],
  EMFILE: ['LIMIT_EXCEEDED', 'too many open files: raise `ulimit -n` or process fewer files at once'],
  ENFILE: ['LIMIT_EXCEEDED', 'too many open files on the system: close other programs and retry'],
  EIO: ['BAD_PATH', 'the device reported an I/O error: check the disk'],
};

/**
 * Any thrown value as a LeyoloError: LeyoloErrors pass through; Node system errors (ENOENT, ENOSPC,
 * ELOOP, ...) get the matching code; stack overflows and failed allocations are LIMIT_EXCEEDED (the
 * input is too deep or too large); anything else is INTERNAL (a bug). `what` names the operation.
 *
 * @example
 * try { writeFileSync(p, data); } catch (e) { throw asLeyoloError(e, `cannot write ${p}`); }
 */
export function asLeyoloError(e: unknown, what: string): LeyoloError {
  if (e instanceof LeyoloError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const errno = (err as NodeJS.ErrnoException).code;
  const mapped = typeof errno === 'string' ? ERRNO[errno] : undefined;
  if (mapped) return new LeyoloError(mapped[0], `${what}: ${err.message}`, mapped[1], { cause: err });
  if (err instanceof RangeError && /call stack|allocation failed|Invalid (typed )?array length|Array buffer allocation|out of memory/i.test(err.message)) {
    return new LeyoloError('LIMIT_EXCEEDED', `${what}: the input is too large or too deeply nested (${err.message})`, 'check the input file; it is corrupt or hostile', { cause: err });
  }
  return new LeyoloError('INTERNAL', `${what}: ${err.message}`, 'this is a bug; rerun with LEYOLO_DEBUG=1 for details and report it', { cause: err });
}

/**
 * Runs `fn` and rethrows whatever it throws as a LeyoloError (see {@link asLeyoloError}): the boundary
 * of every public function, so library users never see a raw TypeError or RangeError.
 *
 * @example
 * export const load = (o: LoadOptions) => guard('load', () => loadImpl(o));
 */
export async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asLeyoloError(e, what);
  }
}

/** Synchronous {@link guard}. @example const ck = guardSync('readWeights', () => parse(bytes)); */
export function guardSync<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asLeyoloError(e, what);
  }
}
