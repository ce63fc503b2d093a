/**
 * `node --import tsx bench/gmc.ts [--frames 300] [--runs 3] [--json out.json]`: BoT-SORT's sparseOptFlow
 * GMC (src/track/gmc-sparse.ts) on vtest.avi (768x576, so 384x288 after the official downscale 2).
 *
 * Prints (1) ms per frame of `SparseOptFlowGmc.apply` (decoding excluded: frames are decoded first),
 * the median over runs of (run time / frames) after a warm-up run; (2) the same split by stage on one
 * run (grey + resize, corners, pyramid, LK, RANSAC); (3) the warp differences against the official
 * warps recorded in ../shared/fixtures/track/botsort_sparse.json: per frame max |diff| of the linear
 * part and of the translation (px), median / p95 / max over the frames; (4) BoT-SORT (botsort.yaml)
 * fed the fixture's detections and these warps: the share of (frame, detection) pairs that get the
 * official track id.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { RgbImage } from '../src/image/types.js';
import { openFrames } from '../src/node/frames.js';
import { writeFileAtomic } from '../src/node/fs.js';
import { GMC_CORNERS, downscaleGrey, goodFeatures, rgbToGrey } from '../src/track/features.js';
import { readTrackerYaml } from '../src/node/tracker-yaml.js';
import { SparseOptFlowGmc } from '../src/track/gmc-sparse.js';
import { BotSort, RecordedGmc, TRACK_COLS } from '../src/track/index.js';
import { calcOpticalFlowPyrLK } from '../src/track/optflow.js';
import { buildPyramid } from '../src/track/pyramid.js';
import type { PyrLevel } from '../src/track/pyramid.js';
import { estimateSimilarityRansac } from '../src/track/ransac.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const FRAMES = arg('frames', 300);
const RUNS = arg('runs', 3);
const jsonAt = process.argv.indexOf('--json');
const DIR = fileURLToPath(new URL('../../shared/fixtures/track/', import.meta.url));

async function decode(n: number): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for await (const f of openFrames(DIR + 'vtest.avi').frames) {
    if (f.index >= n) break;
    out.push(f.image);
  }
  return out;
}

const quantile = (a: readonly number[], p: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
};
const stats = (a: readonly number[]) => ({ median: quantile(a, 0.5), p95: quantile(a, 0.95), max: Math.max(...a) });

/**
 * ms per frame of the whole GMC, median over RUNS after one warm-up, wall clock and this process's CPU
 * time (less sensitive to other processes on a shared machine); also the warps of the last run.
 */
function timeWhole(frames: readonly RgbImage[]): { msPerFrame: number; cpuMsPerFrame: number; runs: number[]; warps: number[][] } {
  const gmc = new SparseOptFlowGmc();
  const runs: number[] = [];
  const cpu: number[] = [];
  let warps: number[][] = [];
  for (let r = 0; r <= RUNS; r++) {
    gmc.reset();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    warps = frames.map((f) => gmc.apply(f, new Float32Array(0)));
    const c = process.cpuUsage(c0);
    if (r > 0) {
      runs.push((performance.now() - t0) / frames.length);
      cpu.push((c.user + c.system) / 1000 / frames.length);
    }
  }
  return { msPerFrame: quantile(runs, 0.5), cpuMsPerFrame: quantile(cpu, 0.5), runs, warps };
}

/** One run split by stage (the same steps as SparseOptFlowGmc.apply). */
function timeStages(frames: readonly RgbImage[]): Record<string, number> {
  const ms: Record<string, number> = { greyResize: 0, corners: 0, pyramid: 0, lk: 0, ransac: 0 };
  let prev: { pyr: PyrLevel[]; corners: Float32Array } | null = null;
  const lap = (key: string, t0: number): number => {
    const t = performance.now();
    ms[key] += t - t0;
    return t;
  };
  for (const f of frames) {
    let t = performance.now();
    const grey = downscaleGrey(rgbToGrey(f), 2);
    t = lap('greyResize', t);
    const corners = goodFeatures(grey, GMC_CORNERS);
    t = lap('corners', t);
    const pyr = buildPyramid(grey);
    t = lap('pyramid', t);
    if (prev) {
      const flow = calcOpticalFlowPyrLK(prev.pyr, pyr, prev.corners);
      t = lap('lk', t);
      const keep = [...flow.status.keys()].filter((i) => flow.status[i]);
      const src = new Float32Array(keep.flatMap((i) => [prev!.corners[2 * i], prev!.corners[2 * i + 1]]));
      const dst = new Float32Array(keep.flatMap((i) => [flow.next[2 * i], flow.next[2 * i + 1]]));
      estimateSimilarityRansac(src, dst);
      lap('ransac', t);
    }
    prev = { pyr, corners };
  }
  for (const k of Object.keys(ms)) ms[k] /= frames.length;
  return ms;
}

/** BoT-SORT on the fixture detections with `warps` as its GMC: (frame, detection) pairs with the official id. */
function idAgreement(warps: number[][]): { pairs: number; sameId: number } {
  const dets = (JSON.parse(readFileSync(DIR + 'detections.json', 'utf8')) as { frames: { dets: number[][] }[] }).frames;
  const ref = (JSON.parse(readFileSync(DIR + 'botsort_sparse.json', 'utf8')) as { frames: { tracks: number[][] }[] }).frames;
  const tracker = new BotSort(readTrackerYaml(DIR + 'botsort.yaml'), new RecordedGmc(warps));
  let pairs = 0;
  let sameId = 0;
  warps.forEach((_, f) => {
    const rows = tracker.update(new Float32Array(dets[f].dets.flat()), null);
    const idOf = new Map<number, number>();
    for (let k = 0; k < rows.length / TRACK_COLS; k++) idOf.set(rows[k * TRACK_COLS + 7], rows[k * TRACK_COLS + 4]);
    for (const r of ref[f].tracks) {
      pairs++;
      if (idOf.get(r[7]) === r[4]) sameId++;
    }
  });
  return { pairs, sameId };
}

async function main(): Promise<void> {
  const frames = await decode(FRAMES);
  const whole = timeWhole(frames);
  const stages = timeStages(frames);
  const rec = (JSON.parse(readFileSync(DIR + 'botsort_sparse.json', 'utf8')) as { frames: { gmc: number[][] }[] }).frames.map((f) => f.gmc.flat());
  const lin: number[] = [];
  const shift: number[] = [];
  whole.warps.forEach((w, i) => {
    lin.push(Math.max(...[0, 1, 3, 4].map((k) => Math.abs(w[k] - rec[i][k]))));
    shift.push(Math.max(Math.abs(w[2] - rec[i][2]), Math.abs(w[5] - rec[i][5])));
  });
  const result = {
    frames: frames.length,
    size: `${frames[0].width}x${frames[0].height}`,
    msPerFrame: whole.msPerFrame,
    cpuMsPerFrame: whole.cpuMsPerFrame,
    runs: whole.runs,
    stagesMsPerFrame: stages,
    vsRecorded: { linear: stats(lin), shiftPx: stats(shift) },
    botsortIds: idAgreement(whole.warps),
    node: process.version,
  };
  console.log(JSON.stringify(result, null, 2));
  if (jsonAt > 0) writeFileAtomic(process.argv[jsonAt + 1], JSON.stringify(result, null, 2) + '\n');
}

await main();
