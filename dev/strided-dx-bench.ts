// Dev experiment (not shipped, not imported): Strided depthwise input gradient: ConvTranspose vs zero-insertion + NCHWc depthwise conv (CPU time).
// Run: node --import tsx dev/strided-dx-bench.ts
import * as ort from 'onnxruntime-node';
import { Graph, attr } from '../src/onnx/ir.js';
import { serializeTrainGraph } from '../src/train/graph/serialize.js';
import { dwConvNchwc, nchwcBlockSize } from '../src/train/graph/depthwise.js';
const blk = await nchwcBlockSize();
const B = 16;
const MIN_I64 = Number.MIN_SAFE_INTEGER;
async function mk(C: number, H: number, k: number, variant: string) {
  const p = (k - 1) / 2, h = H / 2;
  const g = new Graph('t');
  g.input('dz', 'float32', [B, C, h, h]); g.input('w', 'float32', [C, 1, k, k]);
  const op = H - ((h - 1) * 2 - 2 * p + k);
  let out: string;
  if (variant.startsWith('convT')) {
    out = g.op('ConvTranspose', ['dz', 'w'], { strides: attr.ints([2, 2]), pads: attr.ints([p, p, p, p]), group: attr.int(C), kernel_shape: attr.ints([k, k]), output_padding: attr.ints([op, op]), dilations: attr.ints([1, 1]) }, 'dx');
  } else {
    const u = g.op('Unsqueeze', ['dz', g.constI64('ax', [2], [3, 5])], {}, 'u');
    const pd = g.op('Pad', [u, g.constI64('pads', [12], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1])], {}, 'pd');
    const zi = g.op('Reshape', [pd, g.constI64('sh', [4], [B, C, 2 * h, 2 * h])], {}, 'zi');
    const wf = g.op('Slice', ['w', g.constI64('f0', [2], [-1, -1]), g.constI64('f1', [2], [MIN_I64, MIN_I64]), g.constI64('fax', [2], [2, 3]), g.constI64('fst', [2], [-1, -1])], {}, 'wf');
    const q = k - 1 - p;
    out = dwConvNchwc(g, zi, wf, null, { c: C, k, s: 1, pad: q, blk }, 'dx', [q, q, q + op - 1, q + op - 1]);
  }
  if (variant.endsWith('R')) { g.output(out, 'float32', [B, C, H, H]); } else { const r = g.op('ReduceSum', [out, g.constI64('rax', [1], [1])], { keepdims: attr.int(0) }, 'red'); g.output(r, 'float32', [B, H, H]); }
  const s = await ort.InferenceSession.create(serializeTrainGraph(g), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  return s;
}
const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
for (const [C, H, k] of [[16, 160, 3], [96, 80, 3], [96, 40, 5], [576, 20, 5]]) {
  const a = await mk(C, H, k, 'convT'), b = await mk(C, H, k, 'zi');
  const aR = await mk(C, H, k, 'convTR'), bR = await mk(C, H, k, 'ziR');
  const h = H / 2;
  const dz = new ort.Tensor('float32', Float32Array.from({ length: B * C * h * h }, (_, i) => Math.sin(i)), [B, C, h, h]);
  const w = new ort.Tensor('float32', Float32Array.from({ length: C * k * k }, (_, i) => Math.cos(i)), [C, 1, k, k]);
  const ra = await aR.run({ dz, w }), rb = await bR.run({ dz, w });
  const da = ra[aR.outputNames[0]].data as Float32Array, db = rb[bR.outputNames[0]].data as Float32Array;
  let err = 0; for (let i = 0; i < da.length; i++) err = Math.max(err, Math.abs(da[i] - db[i]));
  const ta: number[] = [], tb: number[] = [];
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  for (let r = 0; r < 10; r++) { let t = cpu(); await a.run({ dz, w }); ta.push(cpu() - t); t = cpu(); await b.run({ dz, w }); tb.push(cpu() - t); }
  console.log(`C${C} H${H} k${k}: convT ${med(ta).toFixed(1)} ms, zero-insert ${med(tb).toFixed(1)} ms, maxdiff ${err.toExponential(1)}`);
}
