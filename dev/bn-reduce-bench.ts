// Dev experiment (not shipped, not imported): BN-gradient reductions: Mul + two-stage ReduceSum vs batched MatMul dot products.
// Run: node --import tsx dev/bn-reduce-bench.ts
import * as ort from 'onnxruntime-node';
import { Graph, attr } from '../src/onnx/ir.js';
import { serializeTrainGraph } from '../src/train/graph/serialize.js';
const [B, C, H] = [16, 96, 80]; const shape = [B, C, H, H];
const threads = Number(process.argv[2] ?? 1);
async function mk(variant: string) {
  const g = new Graph('t');
  g.input('du', 'float32', shape); g.input('xh', 'float32', shape);
  let out: string;
  if (variant === 'mulreduce') {
    const m = g.op('Mul', ['du', 'xh'], {}, 'm');
    const s = g.op('ReduceSum', [m, g.constI64('a23', [2], [2, 3])], { keepdims: attr.int(0) }, 's');
    out = g.op('ReduceSum', [s, g.constI64('a0', [1], [0])], { keepdims: attr.int(0) }, 'o');
  } else {
    const a = g.op('Reshape', ['du', g.constI64('s1', [3], [B * C, 1, H * H])], {}, 'a');
    const b = g.op('Reshape', ['xh', g.constI64('s2', [3], [B * C, H * H, 1])], {}, 'b');
    const m = g.op('MatMul', [a, b], {}, 'mm');
    const r = g.op('Reshape', [m, g.constI64('s3', [2], [B, C])], {}, 'r');
    out = g.op('ReduceSum', [r, g.constI64('a0', [1], [0])], { keepdims: attr.int(0) }, 'o');
  }
  g.output(out, 'float32', [C]);
  return ort.InferenceSession.create(serializeTrainGraph(g), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
}
const vs = ['mulreduce', 'matmul'];
const ss = await Promise.all(vs.map(mk));
const n = shape.reduce((a, b) => a * b);
const du = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i)), shape);
const xh = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7)), shape);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const T: number[][] = vs.map(() => []), W: number[][] = vs.map(() => []);
const outs = await Promise.all(ss.map((s) => s.run({ du, xh })));
const o0 = outs[0].o.data as Float32Array, o1 = outs[1].o.data as Float32Array;
let d = 0; for (let i = 0; i < C; i++) d = Math.max(d, Math.abs(o0[i] - o1[i]) / Math.abs(o0[i]));
for (let r = 0; r < 12; r++) for (let i = 0; i < vs.length; i++) { const c = cpu(), t = performance.now(); await ss[i].run({ du, xh }); T[i].push(cpu() - c); W[i].push(performance.now() - t); }
const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
vs.forEach((v, i) => console.log(v.padEnd(10), 'cpu', med(T[i]).toFixed(1), 'wall', med(W[i]).toFixed(1)));
console.log('max rel diff', d.toExponential(2));
