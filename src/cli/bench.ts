import { join } from 'node:path';
import os from 'node:os';
import { LeyoloError } from '../errors.js';
import { writeFileAtomic } from '../node/fs.js';
import { benchConfig, formatBench, type BenchOptions, type BenchRow } from '../bench/infer.js';
import type { ScaleName } from '../model/table.js';
import { parse, int, str } from './args.js';
import { Progress } from './progress.js';

const DEFAULT = 'nano@320,nano@640,small@640,medium@640,large@768';
const HELP = `Usage: leyolo bench [--configs ${DEFAULT}] [--runs 30] [--threads N] [--shared ../shared] [--image bus.jpg] [--out bench/results/infer.json]
Model-only and end-to-end latency of our graphs next to the official ONNX exports (same process,
interleaved runs) and the official PyTorch CPU numbers from shared/reference. Prints a table, writes JSON.
`;

/** `leyolo bench`. */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('bench', argv, { configs: { type: 'string' }, runs: { type: 'string' }, threads: { type: 'string' }, shared: { type: 'string' }, image: { type: 'string' }, out: { type: 'string' } });
  if (v.help) return void process.stdout.write(HELP);
  const shared = str(v.shared) ?? join(process.cwd(), '..', 'shared');
  const configs = (str(v.configs) ?? DEFAULT).split(',').map((c) => {
    const m = /^(nano|small|medium|large)@(\d+)$/.exec(c.trim());
    if (!m) throw new LeyoloError('BAD_ARGUMENT', `bad config '${c}'`, 'use scale@size, e.g. nano@640');
    return [m[1] as ScaleName, Number(m[2])] as [ScaleName, number];
  });
  const o: BenchOptions = {
    shared, configs, runs: int('runs', v.runs, 30, 3), threads: int('threads', v.threads, os.availableParallelism(), 1, 256),
    image: str(v.image) ?? join(shared, 'fixtures', 'images', 'bus.jpg'),
  };
  const rows: BenchRow[] = [];
  const bar = new Progress('bench', configs.length, 'cfg');
  for (const [scale, size] of configs) {
    rows.push(await benchConfig(o, scale, size));
    bar.tick(1, `${scale}@${size}`);
  }
  bar.done();
  const table = formatBench(rows, o.threads);
  process.stdout.write(table);
  const out = str(v.out) ?? join('bench', 'results', 'infer.json');
  writeFileAtomic(out, `${JSON.stringify({ date: new Date().toISOString(), threads: o.threads, cpu: os.cpus()[0]?.model, rows }, null, 1)}\n`);
  process.stderr.write(`JSON written to ${out}\n`);
}
