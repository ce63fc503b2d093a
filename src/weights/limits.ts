/**
 * Hard limits on what a checkpoint may make the loader do, so a broken or hostile file fails fast with
 * a typed error instead of exhausting memory, time or the call stack. Each limit is far above what
 * real LeYOLO checkpoints need (numbers of the official files in the comments) and far below what
 * would hurt a 2 GB process.
 */
import { LeyoloError } from '../errors.js';

export const LIMITS = {
  /** data.pkl bytes (official: 166-220 KB). */
  pickleBytes: 64 << 20,
  /**
   * Pickle VM work units: one per opcode (four for opcodes that allocate a container), plus one per
   * item moved in bulk (official best.pt: ~180k; Large and un-stripped last.pt files a few times
   * more). A unit allocates at most ~50 bytes, so this also bounds the VM's memory (~100 MB).
   */
  pickleWork: 2_000_000,
  /** Zip entries (official: ~660). */
  zipEntries: 100_000,
  /** Bytes inflated from deflated zip entries, per archive (torch.save never deflates). */
  inflatedBytes: 512 << 20,
  /** State-dict entries, float or not (official: 651, of which 557 float). */
  tensors: 10_000,
  /** Module visits while walking `_modules`, shared modules counted per path (official: 403). */
  moduleVisits: 20_000,
  /** Nesting of `_modules` (official: 6). */
  moduleDepth: 64,
  /** Tensor rank (official: at most 4). */
  rank: 8,
  /** Elements of one tensor (official: at most 0.1M; 2^24 = 64 MB as float32). */
  tensorElements: 2 ** 24,
  /** Elements of all tensors together (Nano 1.15M, Small 1.9M, Large ~2.4M; 2^26 = 256 MB). */
  totalElements: 2 ** 26,
  /** Nesting of plain data (yaml, train args, safetensors metadata) (official: 4). */
  plainDepth: 256,
  /** Values in one plain-data tree (official: 386). */
  plainNodes: 200_000,
  /** Classes (the CLI's --nc accepts the same range). */
  nc: 10_000,
  /** Detection strides (official: 3). */
  strides: 16,
  /** safetensors JSON header bytes (leyolo's own: ~70 KB). */
  safetensorsHeader: 16 << 20,
} as const;

const HINT = 'the file is corrupt or hostile; only load checkpoints from sources you trust';

/**
 * LIMIT_EXCEEDED error for an input over one of {@link LIMITS}.
 *
 * @example
 * if (n > LIMITS.tensors) throw overLimit(`checkpoint has more than ${LIMITS.tensors} tensors`);
 */
export function overLimit(message: string): LeyoloError {
  return new LeyoloError('LIMIT_EXCEEDED', message, HINT);
}

/**
 * Checks, without recursion, that a parsed JSON value nests at most {@link LIMITS}.plainDepth deep and
 * holds at most {@link LIMITS}.plainNodes values (later code may walk it recursively, e.g.
 * JSON.stringify). Throws LIMIT_EXCEEDED naming `what`.
 *
 * @example
 * checkJsonBounds(JSON.parse(metadata.yaml), 'safetensors metadata yaml');
 */
export function checkJsonBounds(value: unknown, what: string): void {
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > LIMITS.plainNodes) throw overLimit(`${what} holds more than ${LIMITS.plainNodes} values`);
    if (v === null || typeof v !== 'object') continue;
    if (depth >= LIMITS.plainDepth) throw overLimit(`${what} is nested more than ${LIMITS.plainDepth} levels deep`);
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push([x, depth + 1]);
  }
}

/**
 * Number of elements of `shape`, or throws LIMIT_EXCEEDED when it is over `max` (checked dimension by
 * dimension, so no product ever leaves the exact-integer range). `shape` holds non-negative integers.
 *
 * @example
 * boundedNumel([16, 3, 3, 3], LIMITS.tensorElements, "'model.0.c.weight'"); // 432
 */
export function boundedNumel(shape: readonly number[], max: number, what: string): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > max) throw overLimit(`${what} has shape [${shape.join(', ')}], over the limit of ${max} elements per tensor`);
  }
  return n;
}
