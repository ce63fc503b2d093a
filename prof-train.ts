import { readFileSync, readdirSync, unlinkSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loadCheckpointFile } from './src/weights/node.js';
import { resolveModel } from './src/model/resolve.js';
import { serializeTrainGraph as serializeModel } from './src/train/graph/serialize.js';
import { forwardGraph, backwardGraph, headGrad } from './src/train/graph/index.js';
const B = Number(process.argv[2] ?? 8), S = Number(process.argv[3] ?? 320);
const ck = await loadCheckpointFile('/work/shared/weights/LeYOLONano.pt');
const m = resolveModel({ scale: 'nano', nc: ck.nc });
const shape = [B, 3, S, S];
const blk = Number(process.env.BLK ?? 16);
const fg = forwardGraph(m, shape, 'train', ck.bn, blk);
const bg = backwardGraph(m, shape, 'train', ck.bn, blk);
const mk = (bytes: Uint8Array, prefix: string) => ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 2, interOpNumThreads: 1, enableProfiling: true, profileFilePrefix: '/tmp/tr/' + prefix });
const fwd = await mk(serializeModel(fg.graph), 'fwd');
const bwd = await mk(serializeModel(bg.graph), 'bwd');
const images = new Float32Array(B * 3 * S * S).map(() => Math.random());
const pf = (names: readonly string[], feeds: Record<string, ort.Tensor>) => { for (const n of names) if (!feeds[n]) { const t = ck.stateDict.get(n); if (t) feeds[n] = new ort.Tensor('float32', Float32Array.from(t.data), t.shape); } };
for (let it = 0; it < 3; it++) {
  const f: Record<string, ort.Tensor> = { images: new ort.Tensor('float32', images, shape) }; pf(fwd.inputNames, f);
  let t0 = performance.now(); const out = await fwd.run(f); const tf = performance.now() - t0;
  const b: Record<string, ort.Tensor> = { images: f.images }; for (const s of fg.saved) b[s] = out[s];
  fg.heads.forEach((h, i) => { b[headGrad(i)] = new ort.Tensor('float32', new Float32Array(h.shape.reduce((a, c) => a * c, 1)).map(() => Math.random() * 1e-3), h.shape); });
  pf(bwd.inputNames, b);
  t0 = performance.now(); await bwd.run(b); const tb = performance.now() - t0;
  console.log(`it ${it} fwd ${tf.toFixed(0)} ms bwd ${tb.toFixed(0)} ms`);
}
fwd.endProfiling(); bwd.endProfiling();
process.exit(0);
for (const [label, file] of [['fwd', pfwd], ['bwd', pbwd]] as const) {
  const ev = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; dur: number; args: { op_name?: string } }[];
  const byOp = new Map<string, number>(); const byNode = new Map<string, number>();
  let total = 0;
  for (const e of ev) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) { const op = e.args.op_name ?? '?'; byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 3000); byNode.set(e.name.replace('_kernel_time', ''), (byNode.get(e.name.replace('_kernel_time', '')) ?? 0) + e.dur / 3000); total += e.dur / 3000; }
  console.log(label, 'total kernel ms/iter', total.toFixed(1));
  console.log([...byOp].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `  ${k.padEnd(24)} ${v.toFixed(1)}`).join('\n'));
  console.log([...byNode].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `    ${k.padEnd(50)} ${v.toFixed(1)}`).join('\n'));
  unlinkSync(file);
}
