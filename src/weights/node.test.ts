import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeyoloError } from '../errors.js';
import { loadCheckpointFile } from './node.js';

const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LeyoloError && e.code === c && (!re || re.test(e.message));

test('only regular files are read: FIFOs, devices, folders and link loops are typed errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-node-weights-'));
  try {
    // A FIFO with no writer would block a plain read forever; /dev/zero would never end.
    assert.equal(spawnSync('mkfifo', [join(dir, 'fifo.pt')]).status, 0);
    await assert.rejects(loadCheckpointFile(join(dir, 'fifo.pt')), code('BAD_PATH', /FIFO/));
    symlinkSync('/dev/zero', join(dir, 'zero.pt'));
    await assert.rejects(loadCheckpointFile(join(dir, 'zero.pt')), code('BAD_PATH', /device/));
    mkdirSync(join(dir, 'folder.pt'));
    await assert.rejects(loadCheckpointFile(join(dir, 'folder.pt')), code('BAD_PATH', /folder/));
    symlinkSync('b.pt', join(dir, 'a.pt'));
    symlinkSync('a.pt', join(dir, 'b.pt'));
    await assert.rejects(loadCheckpointFile(join(dir, 'a.pt')), code('BAD_PATH'));
    symlinkSync('nowhere.pt', join(dir, 'dangling.pt'));
    await assert.rejects(loadCheckpointFile(join(dir, 'dangling.pt')), code('WEIGHTS_NOT_FOUND'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parse errors name the file and keep the original error as cause', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-node-weights-'));
  try {
    const p = join(dir, 'empty.pt');
    writeFileSync(p, '');
    await assert.rejects(loadCheckpointFile(p), (e: unknown) => code('BAD_CHECKPOINT')(e) && (e as Error).message.startsWith(`${p}: `) && (e as Error).cause instanceof LeyoloError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
