#!/usr/bin/env node
import { asLeyoloError } from '../errors.js';

/** `leyolo <command> [options]`: each command lives in its own module, loaded on demand. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<void> }> }> = {
  predict: { summary: 'detect objects in images, directories, globs or videos', load: () => import('./predict.js') },
  val: { summary: 'validate a model on a dataset (Ultralytics and COCO mAP)', load: () => import('./val.js') },
  eval: { summary: 'score a COCO results file against COCO ground truth', load: () => import('./eval.js') },
  train: { summary: 'train or fine-tune a model', load: () => import('./train.js') },
  export: { summary: 'export the inference graph to ONNX', load: () => import('./export.js') },
  info: { summary: 'layers, parameters and GFLOPs of a model', load: () => import('./info.js') },
  bench: { summary: 'inference benchmark against the official ONNX exports', load: () => import('./bench.js') },
  convert: { summary: 'convert a .pt checkpoint to .safetensors', load: () => import('./convert.js') },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(9)} ${v.summary}`);
  return `leyolo - LeYOLO object detection in TypeScript\n\nUsage: leyolo <command> [options]   (leyolo <command> --help)\n\nCommands:\n${rows.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage());
    return cmd ? 0 : 1;
  }
  if (cmd === '--version' || cmd === '-v') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const entry = COMMANDS[cmd];
  if (!entry) {
    process.stderr.write(`error[BAD_ARGUMENT]: unknown command '${cmd}'\n  run 'leyolo --help' for the list of commands\n`);
    return 2;
  }
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

/** Print any error as `error[CODE]: message` + hint (no stack trace) and set exit status 1. */
function fail(e: unknown): void {
  // System errors (ENOSPC, ELOOP, EACCES...) get their own codes; anything else unexpected is a bug:
  // INTERNAL, with the stack only under LEYOLO_DEBUG=1.
  const err = asLeyoloError(e, 'leyolo');
  process.stderr.write(`error[${err.code}]: ${err.message}\n${err.hint ? `  ${err.hint}\n` : ''}`);
  if (err.code === 'INTERNAL' && process.env.LEYOLO_DEBUG) process.stderr.write(`${(err.cause as Error | undefined)?.stack ?? err.stack ?? ''}\n`);
  process.exitCode = 1;
}

// An error escaping from a callback or an unawaited promise is still reported the same way.
process.on('uncaughtException', (e) => {
  fail(e);
  process.exit(1);
});
process.on('unhandledRejection', (e) => {
  fail(e);
  process.exit(1);
});
