/**
 * Case collection and outcome rules shared by the runner (run.ts) and its worker (child.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/data/rng.js';
import type { CliResult, Expect, FuzzCase, FuzzFamily, Generator } from './types.js';

/** How a case ended (see types.ts for the table). */
export type Outcome = 'ok' | 'typed' | 'partial' | 'internal' | 'untyped' | 'wrong' | 'crash' | 'hang' | 'oom';

/** One case's result as the worker reports it. */
export interface CaseReport {
  i: number;
  family: FuzzFamily;
  name: string;
  expect: Expect;
  outcome: Outcome;
  /** The LeyoloError code, for typed outcomes. */
  code?: string;
  detail?: string;
  ms: number;
  rssMb: number;
  /** Files outside the case's output folder that changed. */
  touched: string[];
}

/** Generators live in gen/; LEYOLO_FUZZ_GEN_DIR points elsewhere (the runner's own self-test). */
const genDir = process.env.LEYOLO_FUZZ_GEN_DIR ?? join(import.meta.dirname, 'gen');

function isGenerator(x: unknown): x is Generator {
  return typeof x === 'object' && x !== null && 'family' in x && 'cases' in x && typeof (x as Generator).cases === 'function';
}

/** Every generator in gen/ (each file exports one or more). */
export async function loadGenerators(): Promise<Generator[]> {
  const out: Generator[] = [];
  for (const f of readdirSync(genDir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).sort()) {
    const mod = (await import(join(genDir, f))) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isGenerator(v)) out.push(v);
  }
  return out;
}

/**
 * The cases of `families` (all when empty), in a fixed order: each generator gets its own RNG
 * derived from `seed` and its family name, so adding a family never changes another's cases.
 */
export async function buildCases(families: readonly string[], seed: number, n: number, quick: boolean, shared: string): Promise<FuzzCase[]> {
  const gens = (await loadGenerators()).filter((g) => families.length === 0 || families.includes(g.family));
  const out: FuzzCase[] = [];
  for (const g of gens) {
    let h = seed >>> 0;
    for (const ch of g.family) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    const cases = await g.cases(new Rng(h), n, shared);
    out.push(...cases.filter((c) => !quick || !c.slow));
  }
  return out;
}

/** Outcome of a CLI run from its exit status and output. */
export function classifyCli(r: CliResult, signal: NodeJS.Signals | null): { outcome: Outcome; code?: string; detail?: string } {
  if (signal) return { outcome: 'crash', detail: `killed by ${signal}: ${r.stderr.slice(-300)}` };
  // A Node stack frame ("    at fn (file:1:2)") or an uncaught-exception banner means an error leaked.
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr) || /node:internal|Uncaught|FATAL ERROR/.test(r.stderr)) {
    return { outcome: 'untyped', detail: r.stderr.slice(-400) };
  }
  const codes = [...r.stderr.matchAll(/error\[([A-Z_]+)\]/g)].map((m) => m[1]);
  const last = codes[codes.length - 1];
  if (r.code === 0) return { outcome: 'ok' };
  if (last === 'INTERNAL') return { outcome: 'internal', code: last, detail: r.stderr.slice(-300) };
  if (last === 'SOME_INPUTS_FAILED') return { outcome: 'partial', code: last, detail: r.stderr.slice(-300) };
  if (last) return { outcome: 'typed', code: last, detail: r.stderr.slice(-300) };
  // Exit 130 after SIGINT is a clean stop; any other silent non-zero exit is a crash.
  return { outcome: 'crash', detail: `exit ${r.code} without a typed error: ${r.stderr.slice(-300)}` };
}

/** Why a report fails its case, or undefined when it passes. */
export function failure(r: CaseReport): string | undefined {
  if (r.touched.length > 0) return `changed files outside its output folder: ${r.touched.slice(0, 5).join(', ')}`;
  const e = r.expect;
  const codeOk = (codes?: readonly string[]) => !codes || (r.code !== undefined && codes.includes(r.code));
  switch (e.kind) {
    case 'error':
      if (r.outcome === 'typed' && codeOk(e.codes)) return undefined;
      if (r.outcome === 'ok') return 'silently accepted (expected a typed error)';
      break;
    case 'ok':
      if (r.outcome === 'ok') return undefined;
      break;
    case 'either':
      if (r.outcome === 'ok' || r.outcome === 'partial' || (r.outcome === 'typed' && codeOk(e.codes))) return undefined;
      break;
    case 'partial':
      if (r.outcome === 'partial') return undefined;
      break;
  }
  return `${r.outcome}${r.code ? `[${r.code}]` : ''}${r.detail ? `: ${r.detail.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
}
