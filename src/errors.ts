/**
 * Typed errors. Every user-facing failure is a LeyoloError with a stable `code` and a `hint`
 * that tells the user how to fix it; the CLI prints `error[code]: message\n  hint` and exits
 * non-zero without a stack trace.
 *
 * @example
 * throw new LeyoloError('WEIGHTS_NOT_FOUND', `no such file: ${p}`, 'pass --weights PATH to an existing .pt file');
 */
export type ErrorCode =
  | 'BAD_ARGUMENT'
  | 'FILE_NOT_FOUND'
  | 'WEIGHTS_NOT_FOUND'
  | 'BAD_CHECKPOINT'
  | 'UNSAFE_PICKLE'
  | 'MODEL_MISMATCH'
  | 'BAD_IMAGE'
  | 'BAD_DATASET'
  | 'BAD_JSON'
  | 'NO_FFMPEG'
  | 'OFFLINE'
  | 'RUNTIME'
  | 'INTERRUPTED';

export class LeyoloError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  constructor(code: ErrorCode, message: string, hint = '') {
    super(message);
    this.name = 'LeyoloError';
    this.code = code;
    this.hint = hint;
  }
}

/** True for errors we raised on purpose (the CLI prints these without a stack trace). */
export function isLeyoloError(e: unknown): e is LeyoloError {
  return e instanceof LeyoloError;
}
