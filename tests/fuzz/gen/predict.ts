/**
 * `leyolo predict` over many inputs, some broken: every bad input is named once with its reason, the
 * good ones are processed and their results written (`--json`), and the exit status is 1 with
 * error[SOME_INPUTS_FAILED]. Folders hold random mixes of good images and broken files of every kind
 * (corrupt, truncated, FIFO, /dev/zero link, dangling link, link loop, SVG).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Rng } from '../../../src/data/rng.js';
import { sharedFile } from '../fixtures.js';
import type { CliResult, FuzzCase, FuzzContext, FuzzFile, Generator } from '../types.js';

/** One broken input: its files, and the path the CLI must name in its report. */
type Bad = (name: string, good: Uint8Array) => { files: FuzzFile[]; named: string };
const BAD: Record<string, Bad> = {
  garbage: (n) => ({ files: [{ path: `in/${n}.jpg`, bytes: 'not an image at all' }], named: `${n}.jpg` }),
  empty: (n) => ({ files: [{ path: `in/${n}.png`, bytes: new Uint8Array() }], named: `${n}.png` }),
  headerOnly: (n, g) => ({ files: [{ path: `in/${n}.jpg`, bytes: g.subarray(0, 300) }], named: `${n}.jpg` }),
  fifo: (n) => ({ files: [{ path: `in/${n}.jpg`, fifo: true }], named: `${n}.jpg` }),
  devZero: (n) => ({ files: [{ path: `in/${n}.jpg`, symlink: '/dev/zero' }], named: `${n}.jpg` }),
  dangling: (n) => ({ files: [{ path: `in/${n}.jpg`, symlink: 'vanished.jpg' }], named: `${n}.jpg` }),
  loop: (n) => ({ files: [{ path: `in/${n}`, symlink: '.' }], named: n }),
  svg: (n) => ({ files: [{ path: `in/${n}.png`, bytes: '<svg xmlns="http://www.w3.org/2000/svg" width="40000" height="40000"/>' }], named: `${n}.png` }),
};

interface JsonRow { image: string; detections: unknown[] }

/** The run reported each bad input and wrote results for exactly the good ones. */
function verify(goodNames: string[], badNames: string[]) {
  return (ctx: FuzzContext, r: CliResult) => {
    const rows = JSON.parse(readFileSync(join(ctx.out, 'dets.json'), 'utf8')) as JsonRow[];
    assert.deepEqual(rows.map((x) => x.image.split('/').pop()).sort(), [...goodNames].sort(), 'results for exactly the good images');
    for (const b of badNames) assert.match(r.stderr, new RegExp(`error\\[[A-Z_]+\\]: [^\\n]*${b.replace('.', '\\.')}`), `${b} reported`);
    assert.match(r.stderr, /error\[SOME_INPUTS_FAILED\]/);
  };
}

function folderCase(name: string, good: Uint8Array[], bad: [string, Bad][], slow: boolean): FuzzCase {
  const files: FuzzFile[] = good.map((g, i) => ({ path: `in/good${i}.jpg`, bytes: g }));
  const badNames: string[] = [];
  bad.forEach(([kind, make], i) => {
    const b = make(`bad${i}-${kind}`, good[0]);
    files.push(...b.files);
    badNames.push(b.named);
  });
  return {
    family: 'predict', name, slow, files,
    expect: { kind: 'partial', bad: bad.length },
    cli: (ctx) => ['predict', 'in', 'missing-source.jpg', '--weights', join(ctx.shared, 'weights', 'LeYOLONano.pt'), '--imgsz', '64', '--json', 'out/dets.json'],
    verify: (ctx, r) => verify(good.map((_, i) => `good${i}.jpg`), [...badNames, 'missing-source.jpg'])(ctx, r),
  };
}

export const predictGenerator: Generator = {
  family: 'predict',
  cases(rng: Rng, n, shared) {
    const good = [sharedFile(shared, 'fixtures/images/bus.jpg'), sharedFile(shared, 'datasets/coco8/images/val/000000000036.jpg')];
    const kinds = Object.entries(BAD);
    const out: FuzzCase[] = [folderCase('every-bad-kind', good, kinds, false)];
    // Random mixes; each case runs the CLI (~2 s), so only the first is in the quick subset.
    for (let k = 0; k < Math.max(1, Math.floor(n / 4)); k++) {
      const pick = Array.from({ length: 1 + rng.int(4) }, () => kinds[rng.int(kinds.length)]);
      out.push(folderCase(`random-mix-${k}`, good.slice(0, 1 + rng.int(2)), pick, k > 0));
    }
    const video = sharedFile(shared, 'fixtures/track/vtest.avi');
    const cli = (src: string) => (ctx: FuzzContext) => ['predict', src, 'in/good0.jpg', '--weights', join(ctx.shared, 'weights', 'LeYOLONano.pt'), '--imgsz', '64', '--json', 'out/dets.json', '--quiet'];
    const goodImage: FuzzFile = { path: 'in/good0.jpg', bytes: good[0] };
    out.push(
      { family: 'predict', name: 'video-fifo', files: [goodImage, { path: 'clip.mp4', fifo: true }], expect: { kind: 'partial', bad: 1 }, cli: cli('clip.mp4') },
      { family: 'predict', name: 'video-garbage', files: [goodImage, { path: 'clip.mp4', bytes: 'garbage'.repeat(100) }], expect: { kind: 'partial', bad: 1 }, cli: cli('clip.mp4') },
      { family: 'predict', name: 'video-dev-zero', files: [goodImage, { path: 'clip.avi', symlink: '/dev/zero' }], expect: { kind: 'partial', bad: 1 }, cli: cli('clip.avi') },
      // A truncated video: ffmpeg decodes what is there; whether it then reports an error depends on
      // where the cut falls, so either outcome is right as long as it is clean.
      { family: 'predict', name: 'video-truncated', slow: true, files: [goodImage, { path: 'clip.avi', bytes: video.subarray(0, 60_000) }], expect: { kind: 'either' }, cli: cli('clip.avi') },
    );
    return out;
  },
};
