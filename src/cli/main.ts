#!/usr/bin/env node
import { LeyoloError, asLeyoloError } from '../errors.js';
import { cliText } from '../hints.js';
import { closest } from './args.js';

/** `leyolo <command> [options]`: each command lives in its own module, loaded on demand. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<void> }> }> = {
  predict: { summary: 'detect objects in images, directories, globs or videos', load: () => import('./predict.js') },
  val: { summary: 'validate a model on a dataset (Ultralytics and COCO mAP)', load: () => import('./val.js') },
  eval: { summary: 'score a COCO results file against COCO ground truth', load: () => import('./eval.js') },
  train: { summary: 'train or fine-tune a model', load: () => import('./train.js') },
  track: { summary: 'track objects through a video or image sequence (ByteTrack, BoT-SORT)', load: () => import('./track.js') },
  export: { summary: 'export the inference graph to ONNX', load: () => import('./export.js') },
  info: { summary: 'layers, parameters and GFLOPs of a model', load: () => import('./info.js') },
  bench: { summary: 'inference benchmark against the official ONNX exports', load: () => import('./bench.js') },
  convert: { summary: 'convert checkpoints: .pt -> .safetensors, .safetensors -> .pt (official layout)', load: () => import('./convert.js') },
};

const FOOTER = `Exit status:
  0    success
  1    failure (error[CODE] on stderr; SOME_INPUTS_FAILED: some inputs were skipped, the others' results written)
  2    usage error: unknown command or option, bad option value (error[BAD_ARGUMENT])
  130  interrupted (Ctrl-C)

Environment:
  LEYOLO_WEIGHTS      default weights file (when no --weights)
  LEYOLO_CACHE        folder for downloaded weights (default $XDG_CACHE_HOME/leyolo or ~/.cache/leyolo)
  LEYOLO_WEIGHTS_URL  base URL of the official weight files (a mirror; default the LeYOLO GitHub repository)
  LEYOLO_DEBUG=1      print the stack trace of internal errors
`;

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(9)} ${v.summary}`);
  return `leyolo - LeYOLO object detection in TypeScript\n\nUsage: leyolo <command> [options]   (leyolo <command> --help)\n\nCommands:\n${rows.join('\n')}\n\n${FOOTER}`;
}

/** The hint for an unknown command: the closest command, or Ultralytics' `yolo detect predict` habit. */
function unknownCommandHint(cmd: string, next: string | undefined): string {
  if (cmd === 'detect' && next !== undefined && Object.hasOwn(COMMANDS, next)) return `leyolo has only detection: drop '${cmd}' (leyolo ${next} ...)`;
  const guess = closest(cmd, Object.keys(COMMANDS));
  return guess ? `did you mean '${guess}'? (run 'leyolo --help' for the list of commands)` : "run 'leyolo --help' for the list of commands";
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd) {
    process.stderr.write(usage());
    return 2;
  }
  // `leyolo help predict` is `leyolo predict --help`.
  if (cmd === 'help' && rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0])) return main([rest[0], '--help']);
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!entry) throw new LeyoloError('BAD_ARGUMENT', `unknown command '${cmd}'`, unknownCommandHint(cmd, rest[0]));
  const mod = await entry.load();
  await mod.run(rest);
  return 0;
}

process.on('SIGINT', () => {
  process.stderr.write('\ninterrupted\n');
  process.exit(130);
});

main(process.argv.slice(2)).then(
  (code) => {
    // A command may have set its own status (train: 130 after Ctrl-C); keep it.
    if (!process.exitCode) process.exitCode = code;
  },
  (e: unknown) => fail(e),
);

/**
 * Print any error as `error[CODE]: message` + hint (no stack trace; options named by library code
 * shown as their flags, see cliText) and set the exit status: 2 for usage errors (BAD_ARGUMENT),
 * 130 for an interruption, 1 otherwise.
 */
function fail(e: unknown): void {
  // System errors (ENOSPC, ELOOP, EACCES...) get their own codes; anything else unexpected is a bug:
  // INTERNAL, with the stack only under LEYOLO_DEBUG=1.
  const err = asLeyoloError(e, 'leyolo');
  process.stderr.write(`error[${err.code}]: ${cliText(err.message)}\n${err.hint ? `  ${cliText(err.hint)}\n` : ''}`);
  if (err.code === 'INTERNAL' && process.env.LEYOLO_DEBUG) process.stderr.write(`${(err.cause as Error | undefined)?.stack ?? err.stack ?? ''}\n`);
  process.exitCode = err.code === 'BAD_ARGUMENT' ? 2 : err.code === 'INTERRUPTED' ? 130 : 1;
}

// An error escaping from a callback or an unawaited promise is still reported the same way.
process.on('uncaughtException', (e) => {
  fail(e);
  process.exit();
});
process.on('unhandledRejection', (e) => {
  fail(e);
  process.exit();
});
