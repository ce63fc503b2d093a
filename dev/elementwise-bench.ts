// Dev experiment (not shipped, not imported): Elementwise ORT kernels (Mul, Sigmoid, QuickGelu, BN) on [16,16,160,160], whole or split into chunks.
// Run: node --import tsx dev/elementwise-bench.ts
import * as ort from 'onnxruntime-node';
import { Graph, attr } from '../src/onnx/ir.js';
import { serializeTrainGraph } from '../src/train/graph/serialize.js';
const MS='com.microsoft';
async function bench(op: string, shape: number[], chunks = 1, reps = 15) {
  const g = new Graph('t');
  g.input('x','float32',shape);
  const C = shape[1];
  const c=g.constF('c',[C],new Float32Array(C).fill(0.5));
  const c4=g.constF('c4',[1,C,1,1],new Float32Array(C).fill(0.5));
  let parts = [ 'x' ];
  if (chunks > 1) parts = g.node('Split',['x'],{axis: attr.int(0)},{name:'sp',outputs:chunks});
  const outs: string[] = [];
  parts.forEach((p, j) => {
    let cur = p;
    for (let i=0;i<10;i++) {
      const nm = `o${j}_${i}`;
      if (op==='QuickGelu') cur = g.node('QuickGelu',[cur],{alpha: attr.float(1)},{name:nm,domain:MS})[0];
      else if (op==='Sigmoid') cur = g.op(op,[cur],{},nm);
      else if (op==='BNeval') cur=g.op('BatchNormalization',[cur,c,c,c,c],{},nm);
      else if (op==='MulC') cur = g.op('Mul',[cur,c4],{},nm);
      else cur = g.op(op,[cur,p],{},nm);
    }
    outs.push(g.op('ReduceSum',[cur],{keepdims: attr.int(0)},`r${j}`));
  });
  const out = outs.length>1 ? g.op('Sum',outs,{},'tot') : outs[0];
  g.output(out,'float32',[]);
  const s = await ort.InferenceSession.create(serializeTrainGraph(g), {executionProviders:['cpu'],graphOptimizationLevel:'all',intraOpNumThreads:2,interOpNumThreads:1});
  const n = shape.reduce((a,b)=>a*b,1);
  const x = new ort.Tensor('float32', new Float32Array(n).fill(0.3), shape);
  const ts: number[] = [];
  for (let i=0;i<reps;i++){const t=performance.now(); await s.run({x}); ts.push(performance.now()-t);}
  ts.sort((a,b)=>a-b);
  const med = ts[ts.length>>1]/10;
  console.log(op.padEnd(10), shape.join('x').padEnd(16), 'chunks', chunks, med.toFixed(2)+' ms/op', (n/med/1e6).toFixed(2)+' Gelem/s');
}
for (const ch of [1, 4, 16]) for (const op of ['Mul','MulC','Sigmoid','QuickGelu','BNeval']) await bench(op,[16,16,160,160], ch);
