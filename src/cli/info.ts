import { resolveModel } from '../model/resolve.js';
import { modelInfo } from '../model/flops.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import { loadCheckpointFile } from '../weights/node.js';
import { parse, int, choice, str, type Options } from './args.js';
import { SCALES } from './common.js';

export const HELP = `Usage: leyolo info [--model nano|small|medium|large] [--imgsz N] [--nc N] [--weights PATH] [--json]
Per-layer table, total parameters and GFLOPs (the paper's convention: thop MACs x 2, BN folded).
  --model NAME   scale (default nano; Large defaults to imgsz 768)
  --imgsz N      input size (default 640, 768 for large)
  --nc N         number of classes (default 80)
  --weights PATH take the architecture and nc from a checkpoint
  --json         print { model, imgsz, params, gflops, layers: [...] }
`;

/** info's options (every one is described in {@link HELP}). */
export const OPTIONS = { model: { type: 'string' }, imgsz: { type: 'string' }, nc: { type: 'string' }, weights: { type: 'string' }, json: { type: 'boolean' } } satisfies Options;

/** `leyolo info`: what a model is made of and what it costs. */
export async function run(argv: string[]): Promise<void> {
  const { values: v } = parse('info', argv, OPTIONS, 0);
  if (v.help) return void process.stdout.write(HELP);
  const weights = str(v.weights);
  const m = weights ? modelOfCheckpoint(await loadCheckpointFile(weights), v.model === undefined ? undefined : choice('model', v.model, SCALES, 'nano')) : resolveModel({ scale: choice('model', v.model, SCALES, 'nano'), nc: int('nc', v.nc, 80, 1, 10000) });
  const imgsz = int('imgsz', v.imgsz, m.imgsz, 32, 4096);
  const info = modelInfo(m, imgsz);
  if (v.json) {
    process.stdout.write(`${JSON.stringify({ model: m.scale, imgsz, params: info.params, gflops: info.gflops, layers: info.layers }, null, 1)}\n`);
    return;
  }
  const rows = info.layers.map((l) =>
    [String(l.index).padStart(3), JSON.stringify(l.from.length === 1 ? l.from[0] : l.from).padStart(12), l.kind.padEnd(10), String(l.params).padStart(9), l.gflops.toFixed(4).padStart(8), `[${l.outShape.join(', ')}]${l.dead ? '  (unused: not executed)' : ''}`].join('  '),
  );
  const head = ['  #', '        from', 'module    ', '   params', '  GFLOPs', 'output'].join('  ');
  process.stdout.write(`${head}\n${rows.join('\n')}\n`);
  process.stdout.write(`LeYOLO-${m.scale} summary: ${info.layers.length} layers, ${info.params.toLocaleString('en-US')} parameters, ${info.gflops.toFixed(3)} GFLOPs at ${imgsz}x${imgsz}, nc=${m.nc}\n`);
}
