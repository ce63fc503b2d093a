/**
 * Per-op-type profile of the training forward and backward graphs (ORT's built-in profiler).
 *
 *   node --import tsx dev/train-profile.ts [batch=16] [size=320] [runs=3] [threads=2]
 *
 * Prints, per graph, total kernel ms per op type (median run) and the 25 slowest nodes.
 */
import { readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { resolveModel } from '../src/model/resolve.js';
import { backwardGraph, CLS_SCALE, forwardGraph, headGrad, headName, serializeTrainGraph } from '../src/train/graph/index.js';
import { nchwcBlockSize } from '../src/node/nchwc.js';
import { loadCheckpointFile } from '../src/weights/node.js';

const shared = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared');
const [B, S, runs, threads] = [Number(process.argv[2] ?? 16), Number(process.argv[3] ?? 320), Number(process.argv[4] ?? 3), Number(process.argv[5] ?? 2)];
const ck = await loadCheckpointFile(join(shared, 'weights/LeYOLONano.pt'));
const m = resolveModel({ scale: 'nano', nc: ck.nc });
const blk = await nchwcBlockSize();
const shape = [B, 3, S, S];
const fg = forwardGraph(m, shape, 'train', ck.bn, blk);
const bg = backwardGraph(m, shape, 'train', ck.bn, blk);
const dir = mkdtempSync(join(tmpdir(), 'leyolo-prof-'));

async function session(bytes: Uint8Array, tag: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential',
    intraOpNumThreads: threads, interOpNumThreads: 1, enableProfiling: true, profileFilePrefix: join(dir, tag) });
}

interface Ev { cat: string; name: string; dur: number; args?: { op_name?: string } }
function report(tag: string, wall: number[]): void {
  const file = readdirSync(dir).find((f) => f.startsWith(tag));
  if (!file) return;
  const evs = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as Ev[]).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const byOp = new Map<string, number>();
  const byNode = new Map<string, number>();
  for (const e of evs) {
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000 / runs);
    { const k = `${op} ${e.name.replace(/_kernel_time$/, '')}`; byNode.set(k, (byNode.get(k) ?? 0) + e.dur / 1000 / runs); }
  }
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  console.log(`\n== ${tag}: wall median ${[...wall].sort((a, b) => a - b)[Math.floor(wall.length / 2)].toFixed(0)} ms, kernels ${total.toFixed(0)} ms/run`);
  for (const [k, v] of [...byOp].sort((a, b) => b[1] - a[1])) console.log(`${k.padEnd(28)} ${v.toFixed(1).padStart(8)}  ${(100 * v / total).toFixed(1)}%`);
  console.log('-- slowest nodes');
  for (const [k, v] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${v.toFixed(1).padStart(8)}  ${k}`);
}

const feedsOf = (names: readonly string[], extra: Record<string, ort.Tensor>): Record<string, ort.Tensor> => {
  const f: Record<string, ort.Tensor> = { ...extra };
  for (const n of names) {
    if (f[n]) continue;
    const t = ck.stateDict.get(n);
    if (t) f[n] = new ort.Tensor('float32', t.data, t.shape);
  }
  return f;
};
const images = new ort.Tensor('float32', Float32Array.from({ length: B * 3 * S * S }, (_, i) => ((i * 2654435761) % 1000) / 1000), shape);
const fs = await session(serializeTrainGraph(fg.graph), 'fwd');
const bs = await session(serializeTrainGraph(bg.graph), 'bwd');
const fw: number[] = [], bw: number[] = [];
for (let r = 0; r < runs; r++) {
  let t = performance.now();
  const out = await fs.run(feedsOf(fs.inputNames, { images }));
  fw.push(performance.now() - t);
  const extra: Record<string, ort.Tensor> = { images };
  for (const s of fg.saved) extra[s] = out[s];
  fg.heads.forEach((h, i) => { extra[headName(i)] = out[h.name]; });
  extra[CLS_SCALE] = new ort.Tensor('float32', Float32Array.of(1e-3), [1]);
  fg.heads.forEach((h, i) => { extra[headGrad(i)] = new ort.Tensor('float32', new Float32Array(h.shape.reduce((a, b) => a * b, 1)).fill(1e-3), h.shape); });
  t = performance.now();
  await bs.run(feedsOf(bs.inputNames, extra));
  bw.push(performance.now() - t);
}
fs.endProfiling();
bs.endProfiling();
await fs.release();
await bs.release();
report('fwd', fw);
report('bwd', bw);
rmSync(dir, { recursive: true, force: true });
