/**
 * Track mode end to end on the fixture video with the official Nano: our decoding, our detections,
 * our trackers (BoT-SORT with our own sparse optical-flow GMC) against the official rows
 * (../shared/fixtures/track). Rows match when the class is the same and IoU >= 0.95 on the same frame,
 * with one consistent mapping from our ids to the official ones; >= 98% of official rows must match.
 * Also `leyolo track` itself: --json with every frame, MOT txt, the annotated video.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from '../src/node/model.js';
import { openFrames } from '../src/node/frames.js';
import { trackerConfig } from '../src/node/track.js';
import { createTracker, rowsToTracked, type Tracker } from '../src/track/index.js';

const root = resolve(import.meta.dirname, '..');
const shared = resolve(root, '..', 'shared');
const dir = join(shared, 'fixtures', 'track');
const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
const skip = !existsSync(join(dir, 'vtest.avi')) ? 'needs ../shared' : !hasFfmpeg ? 'needs ffmpeg' : false;
const FRAMES = 300;

type Box = [number, number, number, number];
interface Row { frame: number; id: number; cls: number; box: Box }

function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const i = Math.max(0, w) * Math.max(0, h);
  return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i);
}

/** Fraction of reference rows matched by a row of ours under one consistent id mapping. */
function matchRate(ours: Row[], ref: Row[]): number {
  const byFrame = new Map<number, Row[]>();
  for (const r of ours) byFrame.set(r.frame, [...(byFrame.get(r.frame) ?? []), r]);
  const pairs: [number, number][] = []; // [our id, ref id] per matched reference row
  for (const r of ref) {
    const best = (byFrame.get(r.frame) ?? []).filter((o) => o.cls === r.cls).map((o) => [iou(o.box, r.box), o.id] as const).sort((a, b) => b[0] - a[0])[0];
    if (best && best[0] >= 0.95) pairs.push([best[1], r.id]);
  }
  // One-to-one mapping, greedily by how often each (ours, ref) pair occurs.
  const counts = new Map<string, number>();
  for (const [o, r] of pairs) counts.set(`${o} ${r}`, (counts.get(`${o} ${r}`) ?? 0) + 1);
  const mapOurs = new Map<number, number>();
  const usedRef = new Set<number>();
  for (const [k] of [...counts].sort((a, b) => b[1] - a[1])) {
    const [o, r] = k.split(' ').map(Number);
    if (!mapOurs.has(o) && !usedRef.has(r)) (mapOurs.set(o, r), usedRef.add(r));
  }
  return pairs.filter(([o, r]) => mapOurs.get(o) === r).length / ref.length;
}

function refRows(file: string, width: number, height: number): Row[] {
  const frames = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { frames: { i: number; tracks: number[][] }[] }).frames;
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  // The API shows the tracker rows clipped to the frame; ours are clipped too.
  return frames.flatMap((f) => f.tracks.map((t) => ({ frame: f.i, id: t[4], cls: t[6], box: [clip(t[0], width), clip(t[1], height), clip(t[2], width), clip(t[3], height)] as Box })));
}

test('ByteTrack and BoT-SORT end to end from vtest.avi: >= 98% of the official rows matched', { skip, timeout: 900_000 }, async () => {
  const model = await load({ weights: join(shared, 'weights', 'LeYOLONano.pt'), imgsz: 640 });
  const trackers: [string, string, Tracker][] = [
    ['bytetrack', 'bytetrack.json', createTracker(trackerConfig('bytetrack'))],
    ['botsort gmc none', 'botsort_gmc_none.json', createTracker({ ...trackerConfig('botsort'), gmc_method: 'none' })],
    ['botsort sparseOptFlow', 'botsort_sparse.json', createTracker(trackerConfig('botsort'))],
  ];
  const ours = trackers.map((): Row[] => []);
  try {
    for await (const f of openFrames(join(dir, 'vtest.avi')).frames) {
      if (f.index >= FRAMES) break;
      // Track-mode detection settings of the official run (conf 0.1, iou 0.7, max_det 300).
      const [dets] = await model.detectImages([f.image], { conf: 0.1, iou: 0.7, maxDet: 300 });
      trackers.forEach(([, , t], k) => {
        for (const x of rowsToTracked(t.update(dets, f.image), f.image.width, f.image.height)) ours[k].push({ frame: f.index, id: x.id, cls: x.classId, box: x.box });
      });
    }
  } finally {
    await model.dispose();
  }
  const rates = trackers.map(([name, file], k) => [name, matchRate(ours[k], refRows(file, 768, 576))] as const);
  if (process.env.LEYOLO_VERBOSE) console.log(rates);
  for (const [name, rate] of rates) assert.ok(rate >= 0.98, `${name}: ${(100 * rate).toFixed(2)}% of the official rows matched`);
});

test('leyolo track: --json with every frame, MOT txt and the annotated video', { skip, timeout: 600_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'leyolo-track-'));
  // The first 20 frames, cut by ffmpeg without re-encoding artefacts mattering to this check.
  const clip = join(out, 'clip.avi');
  spawnSync('ffmpeg', ['-loglevel', 'error', '-i', join(dir, 'vtest.avi'), '-frames:v', '20', '-c', 'copy', clip]);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'track', clip, '--weights', join(shared, 'weights', 'LeYOLONano.pt'), '--imgsz', '320', '--tracker', 'bytetrack', '--save', '--save-txt', '--project', out, '--json', join(out, 't.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const frames = JSON.parse(readFileSync(join(out, 't.json'), 'utf8')) as { frame: number; tracks: { box: number[]; id: number; score: number; classId: number; label: string }[] }[];
  assert.deepEqual(frames.map((f) => f.frame), Array.from({ length: 20 }, (_, i) => i), 'every frame, in order');
  assert.ok(frames.some((f) => f.tracks.length > 0));
  assert.deepEqual(Object.keys(frames.find((f) => f.tracks.length)!.tracks[0]).sort(), ['box', 'classId', 'id', 'label', 'score']);
  const run = join(out, '1');
  const mot = readFileSync(join(run, 'clip.txt'), 'utf8').trim().split('\n');
  assert.equal(mot.length, frames.reduce((a, f) => a + f.tracks.length, 0), 'one MOT row per track per frame');
  assert.match(mot[0], /^\d+,\d+,[\d.]+,[\d.]+,[\d.]+,[\d.]+,[\d.]+,-1,-1,-1$/);
  assert.ok(readdirSync(run).includes('clip.mp4'), 'annotated video written');

  // A folder of frames (sorted by name) tracks the same way; annotated frames are written as images.
  const frameDir = join(out, 'frames');
  spawnSync('mkdir', [frameDir]);
  spawnSync('ffmpeg', ['-loglevel', 'error', '-i', clip, '-frames:v', '8', join(frameDir, 'f%03d.png')]);
  const r2 = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'track', frameDir, '--weights', join(shared, 'weights', 'LeYOLONano.pt'), '--imgsz', '320', '--save', '--project', out, '--json', join(out, 'f.json')], { encoding: 'utf8' });
  assert.equal(r2.status, 0, r2.stderr);
  const ff = JSON.parse(readFileSync(join(out, 'f.json'), 'utf8')) as { frame: number; tracks: { id: number }[] }[];
  assert.deepEqual(ff.map((f) => f.frame), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(ff.at(-1)!.tracks.length > 0, 'tracks on a folder of frames (BoT-SORT, the default)');
  assert.equal(readdirSync(join(out, '2')).filter((f) => f.endsWith('.jpg')).length, 8, 'one annotated image per frame');
});
