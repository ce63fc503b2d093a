/**
 * `npm run bench:train` (node --import tsx bench/train.ts [--configs nano_320_b8,...] [--steps N]):
 * training-step throughput of the ONNX Runtime engine (src/train/step.ts) on LeYOLO-Nano, side by side
 * with the official PyTorch CPU numbers (../shared/reference/official_pytorch_cpu_train.json).
 *
 * Each config runs in its own child process (peak RSS = that process's maxRSS). A step = training
 * forward + v8 loss + backward + an SGD-Nesterov update (momentum 0.9, decay 5e-4, as the official
 * optimizer) in TS. Inputs as the official bench: uniform random images, 5 boxes per image.
 * The machine is shared, so every child also times the official Nano ONNX inference at 320 (quiet
 * machine: 11.9 ms) and reports `load_factor` = measured / 11.9; compare ratios, not absolute ms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { resolveModel } from '../src/model/resolve.js';
import { TrainStep } from '../src/train/step.js';
import type { LossTargets } from '../src/train/loss/index.js';
import { loadCheckpointFile } from '../src/weights/node.js';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const OUT = fileURLToPath(new URL('./results/train.json', import.meta.url));
const DEFAULT = ['nano_320_b1', 'nano_320_b8', 'nano_320_b16', 'nano_640_b1', 'nano_640_b8', 'nano_640_b16'];

interface Row { config: string; median_step_ms: number; images_per_s: number; phases_ms: Record<string, number>; peak_rss_mib: number; load_factor: number; steps: number }

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function targets(B: number, r: () => number): LossTargets {
  const n = 5 * B;
  const t: LossTargets = { batchIdx: new Int32Array(n), cls: new Float32Array(n), boxes: new Float32Array(4 * n) };
  for (let i = 0; i < n; i++) {
    t.batchIdx[i] = Math.floor(i / 5);
    t.cls[i] = Math.floor(r() * 80);
    const w = 0.05 + 0.4 * r(), h = 0.05 + 0.4 * r();
    t.boxes.set([w / 2 + r() * (1 - w), h / 2 + r() * (1 - h), w, h], 4 * i);
  }
  return t;
}

/** Median ms of the official Nano ONNX at 320 (batch 1, 2 threads): the load probe. */
async function loadProbe(): Promise<number> {
  const s = await ort.InferenceSession.create(`${SHARED}reference/onnx/leyolonano_320.onnx`, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const x = new ort.Tensor('float32', new Float32Array(3 * 320 * 320).fill(0.5), [1, 3, 320, 320]);
  const feeds = { [s.inputNames[0]]: x };
  const ts: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    if (i >= 2) ts.push(performance.now() - t0);
  }
  await s.release();
  return median(ts);
}

async function runOne(config: string, steps: number): Promise<Row> {
  const [, size, b] = config.split('_');
  const S = Number(size), B = Number(b.slice(1));
  const ck = await loadCheckpointFile(`${SHARED}weights/LeYOLONano.pt`);
  const m = resolveModel({ scale: 'nano', nc: ck.nc });
  const step = new TrainStep(m, { bn: ck.bn, threads: 2 });
  const params = ck.stateDict;
  const mom = new Map([...params].map(([k, v]) => [k, new Float32Array(v.data.length)]));
  const r = lcg(0);
  const images = Float32Array.from({ length: B * 3 * S * S }, r);
  const batch = { images, shape: [B, 3, S, S] as [number, number, number, number], targets: targets(B, r) };
  const rows: { step: number; forward: number; loss: number; backward: number; optimizer: number }[] = [];
  const probes: number[] = [await loadProbe()];
  for (let i = 0; i < steps + 2; i++) {
    const t0 = performance.now();
    const res = await step.run(params, batch);
    const t1 = performance.now();
    sgd(params, res.grads, mom);
    const t2 = performance.now();
    if (i >= 2) rows.push({ step: t2 - t0, ...res.timings, optimizer: t2 - t1 });
  }
  probes.push(await loadProbe());
  await step.dispose();
  const ms = median(rows.map((x) => x.step));
  const phases = Object.fromEntries((['forward', 'loss', 'backward', 'optimizer'] as const).map((k) => [`${k}_ms`, +median(rows.map((x) => x[k])).toFixed(1)]));
  return { config, median_step_ms: +ms.toFixed(1), images_per_s: +((1000 * B) / ms).toFixed(2), phases_ms: phases,
    peak_rss_mib: +(process.resourceUsage().maxRSS / 1024).toFixed(1), load_factor: +(median(probes) / 11.9).toFixed(2), steps: rows.length };
}

/** SGD, Nesterov momentum 0.9, lr 0.01, decay 5e-4 on 4-d weights (the official optimizer's work). */
function sgd(params: Map<string, { data: Float32Array; shape: number[] }>, grads: Map<string, Float32Array>, mom: Map<string, Float32Array>): void {
  for (const [k, g] of grads) {
    const p = params.get(k), v = mom.get(k);
    if (!p || !v) continue;
    const wd = p.shape.length === 4 ? 5e-4 : 0;
    const w = p.data;
    for (let i = 0; i < w.length; i++) {
      const d = g[i] + wd * w[i];
      v[i] = 0.9 * v[i] + d;
      w[i] -= 0.01 * (d + 0.9 * v[i]);
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (n: string): string | undefined => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
  const steps = Number(opt('--steps') ?? 5);
  const one = opt('--one');
  if (one) {
    process.stdout.write(`${JSON.stringify(await runOne(one, steps))}\n`);
    return;
  }
  const configs = (opt('--configs') ?? DEFAULT.join(',')).split(',');
  const refPath = `${SHARED}reference/official_pytorch_cpu_train.json`;
  const ref = existsSync(refPath) ? (JSON.parse(readFileSync(refPath, 'utf8')) as { train_step: Record<string, { median_step_ms: number; images_per_s: number }> }).train_step : {};
  const rows: Row[] = [];
  console.log('config        ms/step   img/s  fwd    loss   bwd    opt   RSS MiB  load  | PyTorch img/s  ratio  ratio/load');
  for (const c of configs) {
    const p = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', c, '--steps', String(steps)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = p.stdout.trim().split('\n').pop() ?? '';
    if (p.status !== 0 || !line.startsWith('{')) {
      console.log(`${c}: failed\n${p.stderr.slice(-2000)}`);
      continue;
    }
    const row = JSON.parse(line) as Row;
    rows.push(row);
    const off = ref[c]?.images_per_s;
    const ratio = off ? row.images_per_s / off : NaN;
    const ph = row.phases_ms;
    console.log(`${c.padEnd(13)} ${row.median_step_ms.toFixed(0).padStart(7)} ${row.images_per_s.toFixed(2).padStart(7)} ${[ph.forward_ms, ph.loss_ms, ph.backward_ms, ph.optimizer_ms].map((v) => v.toFixed(0).padStart(6)).join('')}`
      + ` ${row.peak_rss_mib.toFixed(0).padStart(8)} ${row.load_factor.toFixed(2).padStart(5)}  | ${off?.toFixed(2).padStart(13) ?? '            -'} ${ratio.toFixed(2).padStart(6)} ${(ratio * row.load_factor).toFixed(2).padStart(10)}`);
  }
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), threads: 2, note: 'load_factor = official Nano ONNX@320 ms now / 11.9 ms quiet; ratio = ours / official PyTorch img/s; ratio/load rescales ours by the load factor (rough)', rows, official: ref }, null, 1)}\n`);
  console.log(`wrote ${OUT}`);
}

await main();
