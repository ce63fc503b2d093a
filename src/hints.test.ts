import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliText, opt } from './hints.js';

test('opt() reads as an API option; cliText() turns it into the flag', () => {
  assert.equal(opt('weights', "'path/to.pt'"), "`weights: 'path/to.pt'`");
  assert.equal(cliText(`pass ${opt('weights', "'path/to.pt'")}`), 'pass --weights path/to.pt');
  assert.equal(cliText(`raise ${opt('maxPixels')}`), 'raise --max-pixels');
  assert.equal(cliText(`${opt('half')} and ${opt('int8')}`), '--half and --int8');
  assert.equal(cliText(`use ${opt('dynamic', 'true')}`), 'use --dynamic');
  assert.equal(cliText(`pass ${opt('int8.images')}: images`), 'pass --calib DIR: images');
  assert.equal(cliText(`try ${opt('workers', '0')}`), 'try --workers 0');
});

test('cliText leaves other backticked words alone', () => {
  for (const s of ['a `detections` output', 'omit `out`', 'see `leyolo train --help`', "written by `leyolo convert`", 'no marks']) {
    assert.equal(cliText(s), s);
  }
});

test('library code outside src/cli names no command-line flag in its errors', () => {
  const src = fileURLToPath(new URL('.', import.meta.url));
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) {
        if (relative(src, p) !== 'cli') walk(p);
      } else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && f !== 'hints.ts') {
        readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
          const code = line.trim();
          if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return;
          // A flag inside a string: '--x', `--x` or " --x" (not `leyolo cmd --help`, which names a command's help).
          for (const m of code.matchAll(/(?:['"`(]|\s)--([a-z][a-z-]*)/g)) {
            const inString = /['"`]/.test(code.slice(0, (m.index ?? 0) + 1)); // not `--i` (a decrement)
            if (inString && m[1] !== 'help') offenders.push(`${relative(src, p)}:${i + 1}: ${code.slice(0, 120)}`);
          }
        });
      }
    }
  };
  walk(src);
  assert.deepEqual(offenders, []);
});
