/**
 * Video frames decoded for predict and track equal the frames the official code decoded
 * (cv2.VideoCapture; ../shared/fixtures/track/manifest.json has the md5 of each BGR frame 0-299).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openFrames } from '../src/node/frames.js';

const dir = resolve(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'track');
const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
const skip = !existsSync(join(dir, 'vtest.avi')) ? 'needs ../shared' : !hasFfmpeg ? 'needs ffmpeg' : false;

test('vtest.avi frames 0-299 are byte-identical to cv2.VideoCapture (md5 of BGR)', { skip }, async () => {
  const md5 = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { frame_md5: { md5: string[] } }).frame_md5.md5;
  const src = openFrames(join(dir, 'vtest.avi'));
  assert.equal(src.kind, 'video');
  assert.equal(src.total, 795, 'frame count from the container');
  let equal = 0;
  for await (const f of src.frames) {
    if (f.index >= md5.length) break;
    // Our frames are RGB; the reference hashed BGR.
    const bgr = new Uint8Array(f.image.data.length);
    for (let p = 0; p < bgr.length; p += 3) {
      bgr[p] = f.image.data[p + 2];
      bgr[p + 1] = f.image.data[p + 1];
      bgr[p + 2] = f.image.data[p];
    }
    if (createHash('md5').update(bgr).digest('hex') === md5[f.index]) equal++;
  }
  assert.equal(equal, md5.length);
});
