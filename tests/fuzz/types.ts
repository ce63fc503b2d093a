/**
 * The fuzz suite's vocabulary. A generator turns a seed into deterministic cases; the runner
 * (runner.ts) materialises each case's files in a fresh sandbox folder, runs it in a child process
 * under time and memory limits, and classifies the outcome against `expect`:
 *
 * | outcome       | meaning                                                                    |
 * |---------------|----------------------------------------------------------------------------|
 * | ok            | returned normally (CLI: exit 0)                                            |
 * | typed         | threw a LeyoloError whose code is not INTERNAL (CLI: `error[CODE]`, exit≠0) |
 * | partial       | CLI with many inputs: reported the bad ones, processed the rest, exit≠0    |
 * | internal      | LeyoloError INTERNAL (CLI: `error[INTERNAL]`)                              |
 * | untyped       | library threw something that is not a LeyoloError; CLI printed a stack     |
 * | wrong         | ran to the end but `verify` found a wrong result                           |
 * | crash / hang / oom | the process died, ran past the time limit, or went over the RSS limit |
 * | touched       | a file outside the case's output folder changed                            |
 *
 * A case passes when its outcome is one `expect` allows and nothing was touched.
 */
import type { ErrorCode } from '../../src/errors.js';
import type { Rng } from '../../src/data/rng.js';

/** Input families, one generator each. */
export type FuzzFamily = 'checkpoint' | 'safetensors' | 'onnx' | 'image' | 'yaml' | 'labels' | 'coco' | 'output' | 'dataset' | 'resume' | 'predict';

/** A file system entry to create in the sandbox before the case runs (paths relative to it). */
export type FuzzFile =
  | { path: string; bytes: Uint8Array | string }
  | { path: string; symlink: string }
  | { path: string; fifo: true }
  | { path: string; dir: true };

/** What a case may end in. */
export type Expect =
  /** Hostile or broken: must be refused with a typed error (optionally one of `codes`). */
  | { kind: 'error'; codes?: readonly ErrorCode[] }
  /** Unusual but valid: must succeed (and `verify`, if any, must pass). */
  | { kind: 'ok' }
  /** A random mutation that may be harmless: a typed error, or success that `verify` accepts. */
  | { kind: 'either'; codes?: readonly ErrorCode[] }
  /** CLI over several inputs with `bad` broken ones: exit≠0, each bad one named, outputs for the good ones. */
  | { kind: 'partial'; bad: number };

/** What a case sees when it runs. */
export interface FuzzContext {
  /** The sandbox: the case's files are here; the process runs with this as cwd. */
  dir: string;
  /** The case's own output folder (inside `dir`): only files under it may change. */
  out: string;
  /** Absolute path of ../shared (weights, fixtures, datasets). */
  shared: string;
}

/** Result of a CLI case, handed to `verify`. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One fuzz case. Exactly one of `run` (library) and `cli` is set. */
export interface FuzzCase {
  family: FuzzFamily;
  /** Unique within the family, stable for a given seed (e.g. 'pickle-deep-nesting-3'). */
  name: string;
  files?: FuzzFile[];
  expect: Expect;
  /**
   * Library case: call the public API on the sandbox files. Return normally on success; throw an
   * `assert` error (or any non-LeyoloError) from a check if the result is wrong. LeyoloErrors
   * thrown by the library propagate as they are.
   */
  run?: (ctx: FuzzContext) => Promise<void>;
  /** CLI case: the arguments of `leyolo` (cwd = ctx.dir). */
  cli?: (ctx: FuzzContext) => string[];
  /** CLI case: checks on the outputs after the command (throw to report a wrong result). */
  verify?: (ctx: FuzzContext, r: CliResult) => void;
  /** Excluded from the quick subset in `npm test` (e.g. cases that take seconds each). */
  slow?: boolean;
}

/** A family's generator: deterministic for a seed; `n` scales the number of random cases. */
export interface Generator {
  family: FuzzFamily;
  /** Builds cases. `rng` is seeded by the runner; hand-written cases need not use it. */
  cases(rng: Rng, n: number, shared: string): FuzzCase[] | Promise<FuzzCase[]>;
}
