import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LeyoloError } from '../errors.js';
import { checkKeyValue } from './key-value.js';

/** A command's option table, as node:util parseArgs takes it. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Edit distance with adjacent transpositions (optimal string alignment): `predcit` is 1 away from
 * `predict`, as a typo of one swapped pair should be.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to a mistyped word, if it is close enough to be what was meant (one edit
 * for short words, two from five letters on, or a prefix of at least three letters).
 *
 * @example
 * closest('predcit', ['predict', 'val']); // 'predict'
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  if (best !== undefined && bestD <= (word.length >= 5 ? 2 : 1)) return best;
  return word.length >= 3 ? candidates.find((c) => c.startsWith(word)) : undefined;
}

/** Node's parseArgs errors, reworded, with the closest real option for an unknown one. */
function parseError(cmd: string, e: unknown, options: Options): LeyoloError {
  const msg = (e as Error).message;
  const help = `run 'leyolo ${cmd} --help' for the options`;
  const unknown = /^Unknown option '(-{1,2})([^'=]+)/.exec(msg);
  if (unknown) {
    const guess = closest(unknown[2], Object.keys(options));
    return new LeyoloError('BAD_ARGUMENT', `unknown option '${unknown[1]}${unknown[2]}' for leyolo ${cmd}`, guess ? `did you mean --${guess}? (${help})` : help);
  }
  return new LeyoloError('BAD_ARGUMENT', msg, help);
}

/**
 * Parse a command's argv with node:util parseArgs, turning its TypeErrors into typed errors that
 * name the command's --help (and the closest option to an unknown one). Ultralytics-style
 * `key=value` arguments are answered with the equivalent flags; positionals beyond `maxPositionals`
 * are refused rather than ignored. All of these are BAD_ARGUMENT (exit status 2).
 *
 * @example
 * const { values, positionals } = parse('predict', argv, { conf: { type: 'string' } });
 */
export function parse(cmd: string, argv: string[], options: Options, maxPositionals = Infinity): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } satisfies Options;
  const r = (() => {
    try {
      return parseArgs({ args: argv, options: all, allowPositionals: true, strict: true, tokens: true });
    } catch (e) {
      throw parseError(cmd, e, options);
    }
  })();
  const positionalIdx = r.tokens.flatMap((t) => (t.kind === 'positional' ? [t.index] : []));
  checkKeyValue(cmd, argv, positionalIdx);
  if (r.values.help !== true && r.positionals.length > maxPositionals) {
    const extra = r.positionals[maxPositionals];
    throw new LeyoloError('BAD_ARGUMENT', `unexpected argument '${extra}' for leyolo ${cmd}`, `${flagFor(extra, options)}run 'leyolo ${cmd} --help' for the usage`);
  }
  return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
}

/** What a stray positional probably meant: a weights file or a dataset given without its flag. */
function flagFor(arg: string, options: Options): string {
  if ('weights' in options && /\.(pt|safetensors|onnx)$/i.test(arg)) return `pass weights with --weights ${arg}; `;
  if ('data' in options && /\.(ya?ml|json)$/i.test(arg)) return `pass a dataset with --data ${arg}; `;
  return '';
}

/** A number option within [min, max]; `undefined` gives the default. */
export function num(name: string, v: unknown, def: number, min = -Infinity, max = Infinity): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(x) || x < min || x > max) {
    throw new LeyoloError('BAD_ARGUMENT', `--${name} must be a number in [${min}, ${max}], got '${String(v)}'`, `e.g. --${name} ${def}`);
  }
  return x;
}

/** An integer option within [min, max]. */
export function int(name: string, v: unknown, def: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const x = num(name, v, def, min, max);
  if (!Number.isInteger(x)) throw new LeyoloError('BAD_ARGUMENT', `--${name} must be an integer, got '${String(v)}'`, `e.g. --${name} ${def}`);
  return x;
}

/** A choice among fixed strings. */
export function choice<T extends string>(name: string, v: unknown, choices: readonly T[], def: T): T {
  if (v === undefined) return def;
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  throw new LeyoloError('BAD_ARGUMENT', `--${name} must be one of ${choices.join(', ')}, got '${String(v)}'`, `e.g. --${name} ${def}`);
}

/** A comma/space separated list of non-negative integers, e.g. `--classes 0,2,5`. */
export function intList(name: string, v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = String(v).split(/[\s,]+/).filter(Boolean);
  const out = parts.map(Number);
  if (out.length === 0 || out.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new LeyoloError('BAD_ARGUMENT', `--${name} must be a list of class indices like 0,2,5, got '${String(v)}'`, `e.g. --${name} 0,2`);
  }
  return out;
}

/** The optional string value of an option. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
