import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LeyoloError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parse a command's argv with node:util parseArgs, turning its TypeErrors into typed errors that
 * name the command's --help.
 *
 * @example
 * const { values, positionals } = parse('predict', argv, { conf: { type: 'string' } });
 */
export function parse(cmd: string, argv: string[], options: Options): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    throw new LeyoloError('BAD_ARGUMENT', (e as Error).message, `run 'leyolo ${cmd} --help' for the options`);
  }
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
