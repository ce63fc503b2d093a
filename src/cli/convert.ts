import { basename, dirname, extname, join } from 'node:path';
import { LeyoloError } from '../errors.js';
import { loadCheckpointFile } from '../weights/node.js';
import { checkpointToSafetensors } from '../weights/safetensors.js';
import type { Checkpoint } from '../weights/pt.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import { assertWritableOutput, writeFileAtomic } from '../node/fs.js';
import { parse, str, type Options } from './args.js';

export const HELP = `Usage: leyolo convert <in.pt> [-o out.safetensors]
Convert an official .pt checkpoint to safetensors (float32; class names, nc, strides, the layer table
and BatchNorm settings in its metadata). Nothing in the .pt is executed.

  -o, --output FILE  output path (default: the input's name with .safetensors, beside it)
`;

/** convert's options (every one is described in {@link HELP}). */
export const OPTIONS = { output: { type: 'string', short: 'o' } } satisfies Options;

/** `in.pt` -> `in.safetensors` in the same folder. */
function defaultOutput(input: string): string {
  if (extname(input).toLowerCase() === '.safetensors') {
    throw new LeyoloError('BAD_ARGUMENT', `${input} is already a .safetensors file`, 'pass -o OTHER.safetensors to rewrite it under another name');
  }
  return join(dirname(input), `${basename(input, extname(input))}.safetensors`);
}

/** `leyolo convert`: .pt -> .safetensors. */
export async function run(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse('convert', argv, OPTIONS, 1);
  if (v.help) return void process.stdout.write(HELP);
  const input = positionals[0];
  if (!input) throw new LeyoloError('BAD_ARGUMENT', 'convert needs an input checkpoint', 'usage: leyolo convert in.pt [-o out.safetensors]');
  const out = str(v.output) ?? defaultOutput(input);
  if (extname(out) !== '.safetensors') throw new LeyoloError('BAD_ARGUMENT', `output must end in .safetensors, got ${out}`, 'e.g. -o LeYOLONano.safetensors');
  let ck: Checkpoint;
  try {
    ck = await loadCheckpointFile(input);
  } catch (e) {
    // The library's hint names the `weights` option; here the checkpoint is the positional input.
    if (e instanceof LeyoloError && e.code === 'WEIGHTS_NOT_FOUND') throw new LeyoloError(e.code, e.message, 'pass the path of an existing .pt checkpoint: leyolo convert in.pt', { cause: e });
    throw e;
  }
  const m = modelOfCheckpoint(ck); // validates the architecture before writing anything
  assertWritableOutput(out, [input]);
  writeFileAtomic(out, checkpointToSafetensors(ck), [input]);
  process.stderr.write(`${input} -> ${out} (LeYOLO-${m.scale}, nc=${ck.nc}, ${ck.stateDict.size} tensors)\n`);
}
