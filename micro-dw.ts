import * as ort from 'onnxruntime-node';
import { Graph, attr } from './src/onnx/ir.js';
import { serializeTrainGraph as serializeModel } from './src/train/graph/serialize.js';
const [B, C, H, K, S] = (process.argv[2] ?? '8,96,80,3,1').split(',').map(Number);
const P = Math.floor(K / 2), Ho = Math.floor((H + 2 * P - K) / S) + 1;
const mk = (g: Graph) => ort.InferenceSession.create(serializeModel(g), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 2, interOpNumThreads: 1 });
const x = new Float32Array(B * C * H * H).map(() => Math.random() - 0.5);
const w = new Float32Array(C * K * K).map(() => Math.random() - 0.5);
const conv = { kernel_shape: attr.ints([K, K]), strides: attr.ints([S, S]), pads: attr.ints([P, P, P, P]), group: attr.int(C) };
async function time(label: string, g: Graph, feeds: Record<string, ort.Tensor>) {
  const s = await mk(g); await s.run(feeds); const ts: number[] = [];
  for (let i = 0; i < 7; i++) { const t0 = performance.now(); await s.run(feeds); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b); console.log(label.padEnd(40), ts[3].toFixed(2), 'ms'); return s;
}
const X = new ort.Tensor('float32', x, [B, C, H, H]), Wt = new ort.Tensor('float32', w, [C, 1, K, K]);
{ const g = new Graph('a'); g.input('x', 'float32', [B, C, H, H]); g.input('w', 'float32', [C, 1, K, K]); g.output(g.op('Conv', ['x', 'w'], conv), 'float32', [B, C, Ho, Ho]); await time('dw conv, weight input', g, { x: X, w: Wt }); }
{ const g = new Graph('b'); g.input('x', 'float32', [B, C, H, H]); g.constF('w', [C, 1, K, K], w); g.output(g.op('Conv', ['x', 'w'], conv), 'float32', [B, C, Ho, Ho]); await time('dw conv, const weight (NCHWc)', g, { x: X }); }
// NchwcConv with runtime weights: weights reordered [C/16, 1?...]; try the OIHWBo layout: [C/16][K][K][16]
{
  const blk = 16;
  const wr = new Float32Array(C * K * K);
  for (let c = 0; c < C; c++) for (let k = 0; k < K * K; k++) wr[(Math.floor(c / blk) * K * K + k) * blk + (c % blk)] = w[c * K * K + k];
  const g = new Graph('c'); g.input('x', 'float32', [B, C, H, H]); g.input('w', 'float32', [C, 1, K, K]);
  const xr = g.node('ReorderInput', ['x'], { channels_last: attr.int(0) }, { domain: 'com.microsoft.nchwc' })[0];
  const y = g.node('Conv', [xr, 'w'], { ...conv, dilations: attr.ints([1, 1]) }, { domain: 'com.microsoft.nchwc' })[0];
  const yo = g.node('ReorderOutput', [y], { channels: attr.int(C), channels_last: attr.int(0) }, { domain: 'com.microsoft.nchwc' })[0];
  g.output(yo, 'float32', [B, C, Ho, Ho]);
  const s = await time('NchwcConv runtime reordered w', g, { x: X, w: new ort.Tensor('float32', wr, [C, 1, K, K]) });
  const ref = await mk((() => { const g = new Graph('b'); g.input('x', 'float32', [B, C, H, H]); g.constF('w', [C, 1, K, K], w); g.output(g.op('Conv', ['x', 'w'], conv), 'float32', [B, C, Ho, Ho]); return g; })());
  const a = (await s.run({ x: X, w: new ort.Tensor('float32', wr, [C, 1, K, K]) }))[s.outputNames[0]].data as Float32Array;
  const r = (await ref.run({ x: X }))[ref.outputNames[0]].data as Float32Array;
  let md = 0; for (let i = 0; i < r.length; i++) md = Math.max(md, Math.abs(a[i] - r[i])); console.log('  maxdiff vs ref', md);
}
