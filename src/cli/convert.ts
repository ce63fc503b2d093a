import { basename, dirname, extname, join } from 'node:path';
import { LeyoloError } from '../errors.js';
import { loadCheckpointFile } from '../weights/node.js';
import { checkpointToSafetensors } from '../weights/safetensors.js';
import { writeCheckpoint } from '../weights/pt-writer.js';
import type { Checkpoint } from '../weights/pt.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import { assertWritableOutput, writeFileAtomic } from '../node/fs.js';
import { parse, str, type Options } from './args.js';

export const HELP = `Usage: leyolo convert <in.pt|in.safetensors> [-o out.safetensors|out.pt]
Convert a checkpoint between the two formats; the output's extension picks the format.
  .safetensors  float32 weights; class names, nc, strides, the layer table and BatchNorm settings in
                its metadata (the default for a .pt input). Nothing in the .pt is executed.
  .pt           the official Ultralytics/LeYOLO layout (torch.save zip, fp16 weights, the pickled
                DetectionModel): loads in the official code with YOLO('out.pt') for predict, val and
                train.

  -o, --output FILE  output path (default for a .pt input: its name with .safetensors, beside it;
                     required for a .safetensors input)
`;

/** convert's options (every one is described in {@link HELP}). */
export const OPTIONS = { output: { type: 'string', short: 'o' } } satisfies Options;

const FORMATS = ['.safetensors', '.pt'] as const;

/**
 * `in.pt` -> `in.safetensors` in the same folder. A .safetensors input needs -o: its default `.pt`
 * beside it is often the original checkpoint, which must not be replaced silently.
 */
function defaultOutput(input: string): string {
  if (extname(input).toLowerCase() === '.safetensors') {
    throw new LeyoloError('BAD_ARGUMENT', `${input} is already a .safetensors file`, 'pass -o OUT.pt to write the official .pt layout (or -o OTHER.safetensors)');
  }
  return join(dirname(input), `${basename(input, extname(input))}.safetensors`);
}

/** The folder name torch.save would use inside the zip: the file's stem (made safe for a zip entry). */
function zipName(out: string): string {
  const stem = basename(out, extname(out)).replace(/[^\w.-]/g, '_').slice(0, 100);
  return stem.replace(/^\.+$/, '') || 'archive';
}

/** `leyolo convert`: .pt <-> .safetensors. */
export async function run(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse('convert', argv, OPTIONS, 1);
  if (v.help) return void process.stdout.write(HELP);
  const input = positionals[0];
  if (!input) throw new LeyoloError('BAD_ARGUMENT', 'convert needs an input checkpoint', 'usage: leyolo convert in.pt [-o out.safetensors]');
  const out = str(v.output) ?? defaultOutput(input);
  const format = FORMATS.find((f) => extname(out).toLowerCase() === f);
  if (!format) throw new LeyoloError('BAD_ARGUMENT', `output must end in .safetensors or .pt, got ${out}`, 'e.g. -o LeYOLONano.safetensors or -o LeYOLONano.pt');
  let ck: Checkpoint;
  try {
    ck = await loadCheckpointFile(input);
  } catch (e) {
    // The library's hint names the `weights` option; here the checkpoint is the positional input.
    if (e instanceof LeyoloError && e.code === 'WEIGHTS_NOT_FOUND') throw new LeyoloError(e.code, e.message, 'pass the path of an existing .pt or .safetensors checkpoint: leyolo convert in.pt', { cause: e });
    throw e;
  }
  const m = modelOfCheckpoint(ck); // validates the architecture before writing anything
  assertWritableOutput(out, [input]);
  const bytes = format === '.pt' ? writeCheckpoint(ck, { name: zipName(out) }) : checkpointToSafetensors(ck);
  writeFileAtomic(out, bytes, [input]);
  process.stderr.write(`${input} -> ${out} (LeYOLO-${m.scale}, nc=${ck.nc}, ${ck.stateDict.size} tensors${format === '.pt' ? ', fp16' : ''})\n`);
}
