import * as ort from 'onnxruntime-node';
import { Graph, attr } from './src/onnx/ir.js';
import { serializeTrainGraph as ser } from './src/train/graph/serialize.js';
const [B, C, H, K, S] = (process.argv[2] ?? '8,96,80,3,1').split(',').map(Number);
const P = Math.floor(K / 2), Ho = Math.floor((H + 2 * P - K) / S) + 1;
const mk = (g: Graph) => ort.InferenceSession.create(ser(g), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 2, interOpNumThreads: 1 });
const X = new ort.Tensor('float32', new Float32Array(B * C * H * H).map(() => Math.random() - 0.5), [B, C, H, H]);
const DZ = new ort.Tensor('float32', new Float32Array(B * C * Ho * Ho).map(() => Math.random() - 0.5), [B, C, Ho, Ho]);
async function time(label: string, g: Graph) {
  const s = await mk(g); const feeds = { x: X, dz: DZ }; const o = await s.run(feeds); const ts: number[] = [];
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); await s.run(feeds); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b); console.log(label.padEnd(40), ts[2].toFixed(2), 'ms'); return o[s.outputNames[0]].data as Float32Array;
}
const i64 = (g: Graph, n: string, v: number[]) => g.constI64(n, [v.length], v);
// (i) grouped conv trick
const gi = new Graph('i'); gi.input('x', 'float32', [B, C, H, H]); gi.input('dz', 'float32', [B, C, Ho, Ho]);
{ const g = gi; const xT = g.op('Transpose', ['x'], { perm: attr.ints([1, 0, 2, 3]) }); const x1 = g.op('Reshape', [xT, i64(g, 's1', [1, C * B, H, H])]);
  const dzT = g.op('Transpose', ['dz'], { perm: attr.ints([1, 0, 2, 3]) });
  const kk = H + 2 * P - S * (Ho - 1);
  const r = g.op('Conv', [x1, dzT], { strides: attr.ints([1, 1]), dilations: attr.ints([S, S]), pads: attr.ints([P, P, P, P]), group: attr.int(C), kernel_shape: attr.ints([Ho, Ho]) });
  const r4 = g.op('Reshape', [r, i64(g, 's2', [C, 1, kk, kk])]);
  g.output(g.op('Slice', [r4, i64(g, 'a', [0, 0]), i64(g, 'b', [K, K]), i64(g, 'c', [2, 3])]), 'float32', [C, 1, K, K]); }
const a = await time('(i) grouped conv trick', gi);
// (iv) NCHWc depthwise with dz as a runtime kernel over [1, B*C, H, W]
const g4 = new Graph('iv'); g4.input('x', 'float32', [B, C, H, H]); g4.input('dz', 'float32', [B, C, Ho, Ho]);
{ const g = g4; const x1 = g.op('Reshape', ['x', i64(g, 's1', [1, B * C, H, H])]);
  const xr = g.node('ReorderInput', [x1], { channels_last: attr.int(0) }, { domain: 'com.microsoft.nchwc' })[0];
  // weight format for depthwise: [BC/16, kh, kw, 16]
  const w5 = g.op('Reshape', ['dz', i64(g, 's3', [B * C / 16, 16, Ho, Ho])]);
  const wT = g.op('Transpose', [w5], { perm: attr.ints([0, 2, 3, 1]) });
  const w = g.op('Reshape', [wT, i64(g, 's4', [B * C, 1, Ho, Ho])]);
  const kk = H + 2 * P - S * (Ho - 1);
  const y = g.node('Conv', [xr, w], { strides: attr.ints([1, 1]), dilations: attr.ints([S, S]), pads: attr.ints([P, P, P, P]), group: attr.int(B * C), kernel_shape: attr.ints([Ho, Ho]) }, { domain: 'com.microsoft.nchwc' })[0];
  const yo = g.node('ReorderOutput', [y], { channels: attr.int(B * C), channels_last: attr.int(0) }, { domain: 'com.microsoft.nchwc' })[0];
  const r = g.op('ReduceSum', [g.op('Reshape', [yo, i64(g, 's5', [B, C, kk, kk])]), i64(g, 'ax', [0])], { keepdims: attr.int(0) });
  const r4 = g.op('Reshape', [r, i64(g, 's6', [C, 1, kk, kk])]);
  g.output(g.op('Slice', [r4, i64(g, 'a', [0, 0]), i64(g, 'b', [K, K]), i64(g, 'c', [2, 3])]), 'float32', [C, 1, K, K]); }
const b = await time('(iv) nchwc dw with dz kernel', g4);
let md = 0, mx = 0; for (let i = 0; i < a.length; i++) { md = Math.max(md, Math.abs(a[i] - b[i])); mx = Math.max(mx, Math.abs(a[i])); } console.log('  maxdiff', md, 'max', mx);
// (ii) shifted windows Mul+ReduceSum
const g2 = new Graph('ii'); g2.input('x', 'float32', [B, C, H, H]); g2.input('dz', 'float32', [B, C, Ho, Ho]);
{ const g = g2; const xp = g.op('Pad', ['x', i64(g, 'pads', [0, 0, P, P, 0, 0, P, P])]); const parts: string[] = []; const ax = i64(g, 'ax', [0, 2, 3]);
  for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
    const sl = g.op('Slice', [xp, i64(g, `s${ky}${kx}`, [ky, kx]), i64(g, `e${ky}${kx}`, [ky + S * (Ho - 1) + 1, kx + S * (Ho - 1) + 1]), i64(g, `a${ky}${kx}`, [2, 3]), i64(g, `st${ky}${kx}`, [S, S])]);
    parts.push(g.op('ReduceSum', [g.op('Mul', [sl, 'dz']), ax], { keepdims: attr.int(0) })); }
  const cat = g.op('Concat', parts.map((p) => g.op('Unsqueeze', [p, i64(g, 'u' + p, [1])])), { axis: attr.int(1) });
  g.output(g.op('Reshape', [cat, i64(g, 'fin', [C, 1, K, K])]), 'float32', [C, 1, K, K]); }
const c = await time('(ii) shifted windows', g2);
md = 0; for (let i = 0; i < a.length; i++) md = Math.max(md, Math.abs(a[i] - c[i])); console.log('  maxdiff', md);
