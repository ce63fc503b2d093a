/**
 * `node --import tsx bench/track.ts [--dets 50] [--frames 300] [--runs 7] [--json out.json]`: the
 * trackers' own cost per frame (no detector, no decoding), ByteTrack and BoT-SORT with
 * `gmc_method: none`, on a synthetic scene of ~`dets` detections a frame.
 *
 * The scene: `dets` objects random-walking in a 1920x1080 frame (boxes 30-150 px, 1-4 px steps), each
 * detected with probability 0.95 and jittered by up to 1 px, scores uniform in 0.15-0.95 (so both
 * associations run), plus a new object now and then (tracks are born and lost). Seeded: every run sees
 * the same frames. One run = a fresh tracker over all frames; the reported figure is the median over
 * runs of (run time / frames), after one warm-up run. Also times the vtest fixture replay (~16
 * detections a frame) when ../shared is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { writeFileAtomic } from '../src/node/fs.js';
import { createTracker } from '../src/track/index.js';
import type { Tracker } from '../src/track/index.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N_DETS = arg('dets', 50);
const FRAMES = arg('frames', 300);
const RUNS = arg('runs', 7);
const jsonAt = process.argv.indexOf('--json');
const FIXTURE = fileURLToPath(new URL('../../shared/fixtures/track/detections.json', import.meta.url));

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Per-frame float32 detection rows [n * 6] of the synthetic scene. */
function scene(nObj: number, frames: number): Float32Array[] {
  const r = lcg(12345);
  const objs = Array.from({ length: nObj }, () => ({ x: r() * 1800, y: r() * 950, w: 30 + r() * 120, h: 30 + r() * 120, vx: (r() - 0.5) * 8, vy: (r() - 0.5) * 8 }));
  const out: Float32Array[] = [];
  for (let f = 0; f < frames; f++) {
    const rows: number[] = [];
    for (const o of objs) {
      if (r() < 0.01) Object.assign(o, { x: r() * 1800, y: r() * 950 }); // an object leaves, another enters
      o.x = Math.min(Math.max(o.x + o.vx, 0), 1900 - o.w);
      o.y = Math.min(Math.max(o.y + o.vy, 0), 1070 - o.h);
      if (r() > 0.95) continue;
      const j = (): number => (r() - 0.5) * 2;
      rows.push(o.x + j(), o.y + j(), o.x + o.w + j(), o.y + o.h + j(), 0.15 + 0.8 * r(), Math.floor(r() * 3));
    }
    out.push(new Float32Array(rows));
  }
  return out;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Median over runs of the mean per-frame time (ms), first run discarded as warm-up. */
function timeTracker(make: () => Tracker, frames: Float32Array[], runs: number): number {
  const perFrame: number[] = [];
  for (let k = 0; k <= runs; k++) {
    const t = make();
    const t0 = performance.now();
    for (const d of frames) t.update(d);
    if (k > 0) perFrame.push((performance.now() - t0) / frames.length);
  }
  return median(perFrame);
}

const synthetic = scene(N_DETS, FRAMES);
const meanDets = synthetic.reduce((s, d) => s + d.length / 6, 0) / synthetic.length;
const result: Record<string, number | string> = { node: process.version, frames: FRAMES, runs: RUNS, mean_dets_per_frame: Number(meanDets.toFixed(1)) };
result.bytetrack_ms_per_frame = timeTracker(() => createTracker({ tracker_type: 'bytetrack' }), synthetic, RUNS);
result.botsort_none_ms_per_frame = timeTracker(() => createTracker({ tracker_type: 'botsort', gmc_method: 'none' }), synthetic, RUNS);
if (existsSync(FIXTURE)) {
  const fx = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { frames: { dets: number[][] }[] }).frames.map((f) => new Float32Array(f.dets.flat()));
  result.vtest_mean_dets_per_frame = Number((fx.reduce((s, d) => s + d.length / 6, 0) / fx.length).toFixed(1));
  result.vtest_bytetrack_ms_per_frame = timeTracker(() => createTracker({ tracker_type: 'bytetrack' }), fx, RUNS);
  result.vtest_botsort_none_ms_per_frame = timeTracker(() => createTracker({ tracker_type: 'botsort', gmc_method: 'none' }), fx, RUNS);
}
for (const k of Object.keys(result)) if (typeof result[k] === 'number' && k.endsWith('_ms_per_frame')) result[k] = Number((result[k] as number).toFixed(3));
console.log(JSON.stringify(result, null, 1));
if (jsonAt > 0) writeFileAtomic(process.argv[jsonAt + 1], JSON.stringify(result, null, 1) + '\n');
