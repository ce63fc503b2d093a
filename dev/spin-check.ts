// Dev: model-only latency with one session at a time vs two sessions alive (ORT thread-pool spinning).
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { readWeights } from '../src/weights/index.js';
import { resolveModel } from '../src/model/resolve.js';
import { buildInferenceGraph } from '../src/onnx/inference.js';
const size = Number(process.argv[2] ?? 320);
const ck = readWeights(readFileSync('../shared/weights/LeYOLONano.pt'));
const ours = buildInferenceGraph(resolveModel({ scale: 'nano' }), ck.stateDict, ck.bn, { height: size, width: size, decode: true, heads: false });
const off = readFileSync(`../shared/reference/onnx/leyolonano_${size}.onnx`);
const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
const data = new Float32Array(3 * size * size).map((_, i) => ((i * 2654435761) % 1000) / 1000);
async function time(bytes: Uint8Array, spin: boolean) {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 2, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } } });
  const feed = { [s.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, size, size]) };
  for (let i = 0; i < 5; i++) await s.run(feed);
  const t: number[] = [];
  for (let i = 0; i < 40; i++) { const t0 = performance.now(); await s.run(feed); t.push(performance.now() - t0); }
  await s.release();
  return med(t).toFixed(1);
}
for (const spin of [true, false]) console.log(size, 'spin', spin, 'official', await time(off, spin), 'ours', await time(ours, spin));
