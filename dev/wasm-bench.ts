/**
 * Dev: LeYOLO-Nano inference in onnxruntime-web's wasm backend running in Node, vs onnxruntime-node,
 * same process, interleaved. Variants of the graph / session options are compared by median ms.
 *
 *   node --import tsx dev/wasm-bench.ts [size=320] [runs=20] [threads=1]
 *   OPTS='web memPattern,web static-dims' adds session-option variants; EXTRA=a.onnx,b.onnx adds
 *   other model files (e.g. an --int8 export) run on the same input.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { readCheckpoint } from '../src/weights/pt.js';
import { resolveModel } from '../src/model/resolve.js';
import { buildInferenceGraph } from '../src/onnx/inference.js';

const shared = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared');
const size = Number(process.argv[2] ?? 320);
const runs = Number(process.argv[3] ?? 20);
const threads = Number(process.argv[4] ?? 1);
const ck = readCheckpoint(readFileSync(resolve(shared, 'weights/LeYOLONano.pt')));
const m = resolveModel({ scale: 'nano', nc: ck.nc });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

ortWeb.env.wasm.numThreads = threads;
const graph = buildInferenceGraph(m, ck.stateDict, ck.bn, { batch: 'dynamic', height: 'dynamic', width: 'dynamic', heads: false, decode: true });
const extra = process.env.EXTRA ? process.env.EXTRA.split(',') : [];
const variants: { name: string; run: () => Promise<unknown> }[] = [];
const data = new Float32Array(3 * size * size).map((_, i) => ((i * 2654435761) % 1000) / 1000);
{
  const s = await ortNode.InferenceSession.create(graph, { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
  const feed = { images: new ortNode.Tensor('float32', data, [1, 3, size, size]) };
  variants.push({ name: 'node', run: () => s.run(feed) });
}
async function web(name: string, bytes: Uint8Array | string, opts: ortWeb.InferenceSession.SessionOptions = {}): Promise<void> {
  const s = await ortWeb.InferenceSession.create(bytes as Uint8Array, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', ...opts });
  const feed = { [s.inputNames[0]]: new ortWeb.Tensor('float32', data, [1, 3, size, size]) };
  variants.push({ name, run: async () => { const r = await s.run(feed); for (const t of Object.values(r)) t.dispose(); } });
}
await web('web', graph);
const variantsOpt: Record<string, ortWeb.InferenceSession.SessionOptions> = {
  'web memPattern': { enableMemPattern: true },
  'web arena+memPattern': { enableCpuMemArena: true, enableMemPattern: true },
  'web static-dims': { freeDimensionOverrides: { batch: 1, height: size, width: size } },
  'web memPattern+static': { enableMemPattern: true, freeDimensionOverrides: { batch: 1, height: size, width: size } },
};
for (const v of (process.env.OPTS ?? '').split(',').filter(Boolean)) await web(v, graph, variantsOpt[v]);
for (const f of extra) await web(f, f);
for (let r = -3; r < runs; r++) {
  for (let j = 0; j < variants.length; j++) {
    const v = variants[(j + r + 3) % variants.length];
    const t0 = performance.now();
    await v.run();
    if (r >= 0) ((v as { t?: number[] }).t ??= []).push(performance.now() - t0);
  }
}
const base = median((variants[0] as { t?: number[] }).t ?? []);
for (const v of variants) {
  const md = median((v as { t?: number[] }).t ?? []);
  console.log(`${v.name.padEnd(30)} median ${md.toFixed(1)} ms  min ${Math.min(...((v as { t?: number[] }).t ?? [])).toFixed(1)} ms  ratio/node ${(md / base).toFixed(2)}`);
}
process.exit(0);
