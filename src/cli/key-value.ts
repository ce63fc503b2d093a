/**
 * Ultralytics habits: `yolo predict model=x.pt source=img.jpg imgsz=320`. leyolo takes --flags, so a
 * `key=value` argument that is not an existing file is answered with the same command in flags.
 */
import { existsSync } from 'node:fs';
import { LeyoloError } from '../errors.js';

const KV = /^([A-Za-z_][\w-]*)=(.*)$/s;

/** Ultralytics keys whose leyolo flag is not `--key-with-dashes`. */
const RENAME: Record<string, string> = { agnostic_nms: '--agnostic', weights: '--weights' };
/** Keys that leyolo has no use for (the task and mode are the command; display switches). */
const DROP = new Set(['task', 'mode', 'show', 'verbose', 'exist_ok', 'show_labels', 'show_conf', 'line_width']);
/** Boolean keys that leyolo turns off with a --no- flag (they default to on in both). */
const NEGATED: Record<string, string> = { plots: '--no-plots', val: '--no-val' };

function bool(v: string): boolean | undefined {
  return /^true$/i.test(v) ? true : /^false$/i.test(v) ? false : undefined;
}

/** One `key=value` as leyolo arguments (`imgsz=320` -> `--imgsz 320`, `source=a.jpg` -> `a.jpg`). */
export function translateKeyValue(arg: string): string[] {
  const m = KV.exec(arg);
  if (!m) return [arg];
  const [, key, value] = m;
  const b = bool(value);
  if (key === 'source') return [value];
  if (DROP.has(key)) return [];
  if (key in NEGATED) return b === false ? [NEGATED[key]] : [];
  if (key === 'model') {
    // A model yaml picks an architecture (train from scratch); anything else is a weights file.
    if (!/\.ya?ml$/i.test(value)) return ['--weights', value];
    const scale = /nano|small|medium|large/i.exec(value);
    return ['--model', scale ? scale[0].toLowerCase() : value];
  }
  if (key === 'resume' && b === true) return ['--resume', 'runs/train/N'];
  const flag = RENAME[key] ?? `--${key.replace(/_/g, '-')}`;
  if (b === true) return [flag];
  if (b === false) return [];
  return [flag, value];
}

/** Shell-quote an argument only when it needs it. */
function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * Refuse Ultralytics `key=value` positionals (those at `positionalIdx` in `argv` that are not existing
 * files: a file named `a=b.jpg` is still an input) with a BAD_ARGUMENT whose hint is the whole
 * command written with flags, the other arguments kept in place.
 *
 * @example
 * checkKeyValue('predict', ['model=x.pt', 'source=a.jpg'], [0, 1]);
 * // throws: hint 'use: leyolo predict --weights x.pt a.jpg'
 */
export function checkKeyValue(cmd: string, argv: readonly string[], positionalIdx: readonly number[]): void {
  const kv = new Set(positionalIdx.filter((i) => KV.test(argv[i]) && !existsSync(argv[i])));
  if (kv.size === 0) return;
  const first = argv[Math.min(...kv)];
  const out = argv.flatMap((a, i) => (kv.has(i) ? translateKeyValue(a) : [a]));
  throw new LeyoloError(
    'BAD_ARGUMENT',
    `'${first}' is an Ultralytics-style key=value argument (and no such file exists); leyolo takes --flags`,
    `use: leyolo ${[cmd, ...out].map(quote).join(' ')}`,
  );
}
