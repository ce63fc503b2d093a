/**
 * Plain JSON views of pickled values (the model's yaml, train args), bounded in depth and size: a
 * pickle can nest containers 100k deep or share one list through memo references so that its
 * expansion is exponential, and neither may crash or stall the loader.
 */
import { LeyoloError, guardSync } from '../errors.js';
import { LIMITS, overLimit } from './limits.js';
import { PickleGlobal, type PickleValue } from './pickle.js';

function bad(message: string): LeyoloError {
  return new LeyoloError('BAD_CHECKPOINT', message, 'expected an Ultralytics/LeYOLO detection checkpoint (.pt written by torch.save)');
}

interface PlainWalk {
  /** Values produced so far (shared values count once per path), bounded by LIMITS.plainNodes. */
  nodes: number;
  /** Containers on the current path (cycle guard). */
  ancestors: Set<object>;
}

/** Sets `o[key]` as an own property, even for keys such as `__proto__`. */
function put(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function count(w: PlainWalk, n: number): void {
  w.nodes += n;
  if (w.nodes > LIMITS.plainNodes) throw overLimit(`plain data in the checkpoint holds more than ${LIMITS.plainNodes} values (shared or huge containers)`);
}

function plain(v: PickleValue | undefined, w: PlainWalk, depth: number): unknown {
  count(w, 1);
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v !== 'object') return v;
  if (v instanceof Uint8Array) {
    count(w, v.length);
    return Array.from(v);
  }
  if (v instanceof PickleGlobal) return { $class: v.$class };
  // Recursion depth is bounded here, so the JS stack never overflows (and later JSON.stringify neither).
  if (depth >= LIMITS.plainDepth) throw overLimit(`plain data in the checkpoint is nested more than ${LIMITS.plainDepth} levels deep`);
  // Pickles can be cyclic (memo references); JSON cannot.
  if (w.ancestors.has(v)) throw bad('cyclic value where plain data was expected');
  w.ancestors.add(v);
  let out: unknown;
  if (Array.isArray(v) || v instanceof Set) {
    const arr: unknown[] = [];
    for (const x of v) arr.push(plain(x, w, depth + 1));
    out = arr;
  } else if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of v) put(o, String(plain(k, w, depth + 1)), plain(val, w, depth + 1));
    out = o;
  } else out = v.state instanceof Map ? plain(v.state, w, depth + 1) : { $class: v.$class };
  w.ancestors.delete(v);
  return out;
}

/**
 * Plain JSON view of a pickled value: dicts -> objects, tuples/sets -> arrays, records -> their state.
 * Cycles -> BAD_CHECKPOINT; more than {@link LIMITS}.plainDepth levels or {@link LIMITS}.plainNodes
 * values -> LIMIT_EXCEEDED.
 *
 * @example
 * toPlain(attr(model, 'yaml')); // { nc: 80, scales: {...}, backbone: [...], head: [...] }
 */
export function toPlain(v: PickleValue | undefined): unknown {
  return guardSync('toPlain', () => plain(v, { nodes: 0, ancestors: new Set() }, 0));
}
