/**
 * Model-only latency: our ONNX graph vs the official ONNX export, same process, same ORT settings
 * (CPU, 2 intra-op threads, optimization 'all'). Runs are interleaved round-robin (rotating start) so
 * machine noise hits all variants alike; we report medians and the ratio ours/official.
 *
 *   node --import tsx dev/bench-graph.ts [runs=40]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { readCheckpoint } from '../src/weights/pt.js';
import { resolveModel } from '../src/model/resolve.js';
import { buildInferenceGraph } from '../src/onnx/inference.js';
import type { InferenceGraphOptions } from '../src/onnx/inference.js';
import { createSession } from '../src/onnx/session.js';

const shared = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared');
const runs = Number(process.argv[2] ?? 40);
const ck = readCheckpoint(readFileSync(resolve(shared, 'weights/LeYOLONano.pt')));
const m = resolveModel({ scale: 'nano', nc: ck.nc });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function bench(size: number): Promise<void> {
  const variants: [string, Uint8Array][] = [
    ['official', readFileSync(resolve(shared, `reference/onnx/leyolonano_${size}.onnx`))],
  ];
  const ours = (label: string, o: InferenceGraphOptions): void => { variants.push([label, buildInferenceGraph(m, ck.stateDict, ck.bn, o)]); };
  ours('ours decode', { height: size, width: size, decode: true, heads: false });
  ours('ours heads', { height: size, width: size });
  ours('ours decode+dyn', { batch: 'dynamic', height: 'dynamic', width: 'dynamic', decode: true, heads: false });
  const sessions = await Promise.all(variants.map(([, b]) => createSession(b, { threads: 2 })));
  const data = new Float32Array(3 * size * size).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const feed = { images: new ort.Tensor('float32', data, [1, 3, size, size]) };
  const times: number[][] = variants.map(() => []);
  for (let r = -5; r < runs; r++) {
    // Rotate which variant goes first each round, so order effects (caches, turbo) cancel too.
    for (let j = 0; j < sessions.length; j++) {
      const v = (j + r + 5) % sessions.length;
      const t = performance.now();
      await sessions[v].run(feed);
      if (r >= 0) times[v].push(performance.now() - t);
    }
  }
  const base = median(times[0]);
  for (let v = 0; v < variants.length; v++) {
    const md = median(times[v]);
    console.log(`nano@${size} ${variants[v][0].padEnd(16)} median ${md.toFixed(2)} ms  min ${Math.min(...times[v]).toFixed(2)} ms  ratio ${(md / base).toFixed(3)}`);
  }
}

await bench(320);
await bench(640);
