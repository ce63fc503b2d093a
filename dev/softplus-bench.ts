// Dev experiment (not shipped, not imported): Softplus kernel vs relu+log1p(exp) forms and their float32 sums (single thread, CPU time).
// Run: node --import tsx dev/softplus-bench.ts
import * as ort from 'onnxruntime-node';
import { Graph, attr } from '../src/onnx/ir.js';
import { serializeTrainGraph } from '../src/train/graph/serialize.js';
const shape = [16, 80, 40, 40];
async function mk(variant: string) {
  const g = new Graph('t');
  g.input('x', 'float32', shape);
  let y: string;
  if (variant === 'softplus') y = g.op('Softplus', ['x'], {}, 'y');
  else if (variant === 'sigmoid') y = g.op('Sigmoid', ['x'], {}, 'y');
  else if (variant === 'exp') y = g.op('Exp', ['x'], {}, 'y');
  else if (variant === 'log') y = g.op('Log', [g.op('Abs', ['x'], {}, 'a')], {}, 'y');
  else if (variant === 'neglogsig') y = g.op('Log', [g.op('Sigmoid', [g.op('Neg', ['x'], {}, 'n')], {}, 's')], {}, 'y');
  else {
    const e = g.op('Exp', [g.op('Neg', [g.op('Abs', ['x'], {}, 'a')], {}, 'na')], {}, 'e');
    const l = g.op('Log', [g.op('Add', [e, g.constF('one', [], [1])], {}, 'u')], {}, 'l');
    y = g.op('Add', [l, g.op('Relu', ['x'], {}, 'r')], {}, 'y');
  }
  const r = g.op('ReduceSum', [y, g.constI64('ax', [3], [1, 2, 3])], { keepdims: attr.int(0) }, 'o');
  g.output(r, 'float32', [16]);
  return ort.InferenceSession.create(serializeTrainGraph(g), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
}
const vs = ['softplus', 'sigmoid', 'manual', 'exp', 'log', 'neglogsig'];
const ss = await Promise.all(vs.map(mk));
const n = shape.reduce((a, b) => a * b);
const x = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => -12 + 10 * Math.sin(i)), shape);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const T: number[][] = vs.map(() => []);
const o = await Promise.all(ss.map((s) => s.run({ x })));
for (let r = 0; r < 10; r++) for (let i = 0; i < vs.length; i++) { const c = cpu(); await ss[i].run({ x }); T[i].push(cpu() - c); }
const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1];
let exact = 0; for (const v of x.data as Float32Array) exact += Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
const sum = (t: ort.Tensor) => (t.data as Float32Array).reduce((a, b) => a + b, 0);
vs.forEach((v, i) => console.log(v.padEnd(9), 'cpu ms', med(T[i]).toFixed(2), 'sum rel err', v === 'sigmoid' ? '-' : ((sum(o[i].o) - exact) / exact).toExponential(2)));
