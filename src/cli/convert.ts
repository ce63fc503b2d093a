import { extname } from 'node:path';
import { LeyoloError } from '../errors.js';
import { loadCheckpointFile } from '../weights/node.js';
import { checkpointToSafetensors } from '../weights/safetensors.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import { assertWritableOutput, writeFileAtomic } from '../node/fs.js';
import { parse, str } from './args.js';

const HELP = `Usage: leyolo convert <in.pt> -o <out.safetensors>
Convert an official .pt checkpoint to safetensors (float32; class names, nc, strides, the layer table
and BatchNorm settings in its metadata). Nothing in the .pt is executed.
`;

/** `leyolo convert`: .pt -> .safetensors. */
export async function run(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse('convert', argv, { output: { type: 'string', short: 'o' } });
  if (v.help) return void process.stdout.write(HELP);
  const input = positionals[0];
  const out = str(v.output);
  if (!input || !out) throw new LeyoloError('BAD_ARGUMENT', 'convert needs an input checkpoint and -o OUTPUT', 'usage: leyolo convert in.pt -o out.safetensors');
  if (extname(out) !== '.safetensors') throw new LeyoloError('BAD_ARGUMENT', `output must end in .safetensors, got ${out}`, 'e.g. -o LeYOLONano.safetensors');
  const ck = await loadCheckpointFile(input);
  const m = modelOfCheckpoint(ck); // validates the architecture before writing anything
  assertWritableOutput(out, [input]);
  writeFileAtomic(out, checkpointToSafetensors(ck), [input]);
  process.stderr.write(`${input} -> ${out} (LeYOLO-${m.scale}, nc=${ck.nc}, ${ck.stateDict.size} tensors)\n`);
}
