/**
 * Inference benchmark (`npm run bench`, `leyolo bench`): for each scale@size, model-only ms of our
 * graph vs the official ONNX export (interleaved in the same process), end-to-end ms (JPEG bytes in,
 * detections out) and batch-8 throughput, next to the official PyTorch CPU numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { resolveModel, type ResolvedModel } from '../model/resolve.js';
import { buildInferenceGraph } from '../onnx/inference.js';
import { createSession } from '../node/session.js';
import { defaultBn } from '../model/random-weights.js';
import { initParams } from '../train/init.js';
import { readWeights } from '../weights/index.js';
import type { Checkpoint } from '../weights/pt.js';
import { fromCheckpoint } from '../node/load.js';
import type { ScaleName } from '../model/table.js';
import { summarize, timeit, type Timing } from './stats.js';

export interface BenchRow {
  config: string;
  weights: 'real' | 'random';
  oursModelMs: number;
  officialOnnxMs: number | null;
  ratioModel: number | null;
  oursE2eMs: number;
  ratioE2eVsOfficialModel: number | null;
  batch8ImgPerS: number;
  pytorchMs: number | null;
  speedupVsPytorch: number | null;
  /**
   * PyTorch and the official ONNX were timed on the reference machine (shared/reference); when this
   * machine differs, (PyTorch_ref / officialOnnx_ref) * (officialOnnx_here / ours_here) carries the
   * same-machine ratio over.
   */
  speedupVsPytorchViaOnnx: number | null;
  runs: number;
}

export interface BenchOptions {
  shared: string;
  configs: [ScaleName, number][];
  runs: number;
  threads: number;
  image: string;
}

/** The checkpoint used for a scale: real Nano weights from shared/, random weights otherwise. */
function checkpointFor(scale: ScaleName, shared: string): { ck: Checkpoint; real: boolean } {
  const nano = join(shared, 'weights', 'LeYOLONano.pt');
  if (scale === 'nano' && existsSync(nano)) return { ck: readWeights(readFileSync(nano)), real: true };
  const m = resolveModel({ scale });
  // Ultralytics' fresh init (Detect bias_init puts class logits near -10, as a trained model's are on
  // background), so end-to-end times measure the pipeline rather than NMS over random boxes.
  const stateDict = initParams(m, null, 1).params;
  const ck: Checkpoint = { stateDict, nc: 80, names: [], stride: m.strides, yaml: {}, bn: defaultBn(stateDict), meta: {} };
  return { ck, real: false };
}

async function modelOnly(m: ResolvedModel, ck: Checkpoint, size: number, batch: number, threads: number) {
  const bytes = buildInferenceGraph(m, ck.stateDict, ck.bn, { batch, height: size, width: size, decode: true, heads: false });
  const s = await createSession(bytes, { threads });
  const data = new Float32Array(batch * 3 * size * size).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const feed = { images: new ort.Tensor('float32', data, [batch, 3, size, size]) };
  return { session: s, run: () => s.run(feed) };
}

/** Official ONNX export of this config, if shared/ has it (static [1, 3, S, S], output0). */
async function official(shared: string, scale: ScaleName, size: number, threads: number) {
  const f = join(shared, 'reference', 'onnx', `leyolo${scale}_${size}.onnx`);
  if (!existsSync(f)) return null;
  const s = await createSession(readFileSync(f), { threads });
  const data = new Float32Array(3 * size * size).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const feed = { [s.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, size, size]) };
  return { session: s, run: () => s.run(feed) };
}

function referenceMs(shared: string, file: string, key: string, pick: (r: Record<string, unknown>) => number | undefined): number | null {
  const f = join(shared, 'reference', file);
  if (!existsSync(f)) return null;
  const j = JSON.parse(readFileSync(f, 'utf8')) as { results: Record<string, Record<string, unknown>> };
  const r = j.results[key];
  return r ? pick(r) ?? null : null;
}

type T2 = { threads2?: { median_ms?: number; unfused?: { median_ms?: number } } };
const pytorchMs = (shared: string, scale: ScaleName, size: number) => referenceMs(shared, 'official_pytorch_cpu_latency.json', `${scale}_${size}`, (r) => (r as T2).threads2?.unfused?.median_ms);
const onnxRefMs = (shared: string, scale: ScaleName, size: number) => referenceMs(shared, 'official_onnx_ort_cpu_latency.json', `${scale}_${size}`, (r) => (r as T2).threads2?.median_ms);

type Bench = { session: { release(): Promise<void> }; run: () => Promise<unknown> };

/**
 * Model-only timing of ours vs the official export in alternating blocks, with only ONE session alive
 * at a time: an idle onnxruntime session's thread pool keeps spinning and steals the other's cores,
 * which inflated both numbers ~2x when the two were interleaved run by run. Blocks alternate
 * (ours, official, ours, ...) so slow drifts of machine load hit both alike.
 */
async function timeAlternating(mkA: () => Promise<Bench>, mkB: (() => Promise<Bench>) | null, runs: number): Promise<[Timing, Timing | null]> {
  const blocks = 3;
  const per = Math.ceil(runs / blocks);
  const a: number[] = [];
  const b: number[] = [];
  for (let k = 0; k < blocks; k++) {
    for (const [mk, out] of [[mkA, a], [mkB, b]] as const) {
      if (!mk) continue;
      const x = await mk();
      const t = await timeit(x.run, { runs: per, warmup: 3 });
      out.push(...t.samples);
      await x.session.release();
    }
  }
  return [summarize(a), mkB ? summarize(b) : null];
}

/** Benchmark one scale@size. */
export async function benchConfig(o: BenchOptions, scale: ScaleName, size: number): Promise<BenchRow> {
  const { ck, real } = checkpointFor(scale, o.shared);
  const m = resolveModel({ scale, nc: ck.nc });
  const hasOfficial = existsSync(join(o.shared, 'reference', 'onnx', `leyolo${scale}_${size}.onnx`));
  const [tOurs, tOff] = await timeAlternating(
    () => modelOnly(m, ck, size, 1, o.threads),
    hasOfficial ? async () => (await official(o.shared, scale, size, o.threads)) as Bench : null,
    o.runs,
  );
  // End to end: JPEG bytes -> decode -> letterbox -> forward -> NMS -> boxes, as users call it.
  const det = await fromCheckpoint(ck, { imgsz: size, threads: o.threads, scale });
  const jpeg = new Uint8Array(readFileSync(o.image));
  const tE2e = await timeit(() => det.detect(jpeg), { runs: o.runs });
  await det.dispose();
  const b8 = await modelOnly(m, ck, size, 8, o.threads);
  const tB8 = await timeit(b8.run, { runs: Math.max(5, Math.round(o.runs / 4)), warmup: 2 });
  await b8.session.release();
  const pt = pytorchMs(o.shared, scale, size);
  const onnxRef = onnxRefMs(o.shared, scale, size);
  return {
    config: `${scale}@${size}`, weights: real ? 'real' : 'random', oursModelMs: tOurs.median, officialOnnxMs: tOff?.median ?? null,
    ratioModel: tOff ? tOurs.median / tOff.median : null, oursE2eMs: tE2e.median, ratioE2eVsOfficialModel: tOff ? tE2e.median / tOff.median : null,
    batch8ImgPerS: (8 * 1000) / tB8.median, pytorchMs: pt, speedupVsPytorch: pt ? pt / tOurs.median : null,
    speedupVsPytorchViaOnnx: pt && onnxRef && tOff ? (pt / onnxRef) * (tOff.median / tOurs.median) : null, runs: o.runs,
  };
}

/** Markdown table of bench rows (what the README and the issue notes show). */
export function formatBench(rows: BenchRow[], threads: number): string {
  const f = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
  const lines = [
    `| config | weights | ours model ms | official ONNX ms | ratio | ours e2e ms | e2e / official model | batch-8 img/s | PyTorch ms (ref. machine) | vs PyTorch, direct | vs PyTorch, via official ONNX |`,
    `|---|---|---|---|---|---|---|---|---|---|---|`,
    ...rows.map((r) => `| ${r.config} | ${r.weights} | ${f(r.oursModelMs)} | ${f(r.officialOnnxMs)} | ${f(r.ratioModel, 2)} | ${f(r.oursE2eMs)} | ${f(r.ratioE2eVsOfficialModel, 2)} | ${f(r.batch8ImgPerS)} | ${f(r.pytorchMs, 0)} | ${f(r.speedupVsPytorch, 1)}x | ${f(r.speedupVsPytorchViaOnnx, 1)}x |`),
  ];
  return `${lines.join('\n')}\n(medians of ${rows[0]?.runs ?? 0} runs after warm-up; ${threads} intra-op threads; ${os.cpus()[0]?.model ?? 'cpu'}; onnxruntime-node ${ort.env.versions?.common ?? ''})\n`;
}
