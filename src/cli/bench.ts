import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { LeyoloError } from '../errors.js';
import { nextRunDir, writeFileAtomic } from '../node/fs.js';
import { benchConfig, formatBench, type BenchOptions, type BenchRow } from '../bench/infer.js';
import type { ScaleName } from '../model/table.js';
import { parse, int, str, type Options } from './args.js';
import { Progress } from './progress.js';

const DEFAULT = 'nano@320,nano@640,small@640,medium@640,large@768';
export const HELP = `Usage: leyolo bench [options]
Model-only and end-to-end latency of our graphs next to the official ONNX exports (same process,
interleaved runs) and the official PyTorch CPU numbers from the reference files. Prints a table and
writes it as JSON.

  --configs LIST  scale@size list (default ${DEFAULT})
  --runs N        timed runs per measurement (default 30, at least 3)
  --threads N     intra-op threads (default: all cores)
  --shared DIR    reference files: DIR/reference/ (official ONNX exports, latencies), DIR/weights/LeYOLONano.pt,
                  DIR/fixtures/images/bus.jpg (default: the shared/ folder beside the leyolo repository)
  --image FILE    image timed end to end (default DIR/fixtures/images/bus.jpg); with --image, bench also
                  runs without reference files (random weights, no official columns)
  --json FILE     write the JSON here (default: infer.json in a new run folder, runs/bench/N/)
  --project DIR   parent of run folders (default runs/bench)
`;

/** bench's options (every one is described in {@link HELP}). */
export const OPTIONS = {
  configs: { type: 'string' }, runs: { type: 'string' }, threads: { type: 'string' }, shared: { type: 'string' }, image: { type: 'string' },
  json: { type: 'string' }, project: { type: 'string' },
} satisfies Options;

/** The repository's shared/ folder, found from this file (src/cli or dist/cli), not from the cwd. */
const PACKAGE_SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));

const SHARED_HINT = 'pass --shared DIR (the folder holding reference/, weights/ and fixtures/), or --image FILE to run without reference files';

/** The reference folder and the image to time; typed errors when they are missing. */
function sources(v: Record<string, unknown>): { shared: string; image: string } {
  const given = str(v.shared);
  if (given !== undefined && !statSync(given, { throwIfNoEntry: false })?.isDirectory()) {
    throw new LeyoloError('FILE_NOT_FOUND', `--shared ${given} is not a folder`, SHARED_HINT);
  }
  const shared = given ?? PACKAGE_SHARED;
  const image = str(v.image);
  if (image !== undefined) {
    if (!existsSync(image)) throw new LeyoloError('FILE_NOT_FOUND', `--image ${image} not found`, 'pass an existing .jpg or .png');
    if (!existsSync(join(shared, 'reference'))) process.stderr.write(`note: no reference files in ${shared}: random weights, no official columns\n`);
    return { shared, image };
  }
  const bus = join(shared, 'fixtures', 'images', 'bus.jpg');
  if (!existsSync(join(shared, 'reference')) || !existsSync(bus)) {
    throw new LeyoloError('FILE_NOT_FOUND', `benchmark reference files not found in ${shared} (needs reference/ and fixtures/images/bus.jpg)`, SHARED_HINT);
  }
  return { shared, image: bus };
}

function parseConfigs(s: string): [ScaleName, number][] {
  return s.split(',').map((c) => {
    const m = /^(nano|small|medium|large)@(\d+)$/.exec(c.trim());
    if (!m || Number(m[2]) % 32 !== 0 || Number(m[2]) < 32 || Number(m[2]) > 4096) {
      throw new LeyoloError('BAD_ARGUMENT', `bad --configs entry '${c}'`, 'use scale@size with a size multiple of 32, e.g. nano@640');
    }
    return [m[1] as ScaleName, Number(m[2])];
  });
}

/** `leyolo bench`. */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('bench', argv, OPTIONS, 0);
  if (v.help) return void process.stdout.write(HELP);
  const configs = parseConfigs(str(v.configs) ?? DEFAULT);
  const runs = int('runs', v.runs, 30, 3);
  const threads = int('threads', v.threads, os.availableParallelism(), 1, 256);
  const o: BenchOptions = { ...sources(v), configs, runs, threads };
  const rows: BenchRow[] = [];
  const bar = new Progress('bench', configs.length, 'cfg');
  for (const [scale, size] of configs) {
    rows.push(await benchConfig(o, scale, size));
    bar.tick(1, `${scale}@${size}`);
  }
  bar.done();
  process.stdout.write(formatBench(rows, o.threads));
  const out = str(v.json) ?? join(nextRunDir(str(v.project) ?? join('runs', 'bench')), 'infer.json');
  writeFileAtomic(out, `${JSON.stringify({ date: new Date().toISOString(), threads: o.threads, cpu: os.cpus()[0]?.model, rows }, null, 1)}\n`, [o.image]);
  process.stderr.write(`JSON written to ${out}\n`);
}
