// Dev experiment (not shipped, not imported): Cost of onnxruntime-node inputs (zero-copy) and outputs (allocated and copied, even with pre-allocated fetches).
// Run: node --import tsx dev/ort-io-bench.ts
import * as ort from 'onnxruntime-node';
import { Graph, attr } from '../src/onnx/ir.js';
import { serializeTrainGraph } from '../src/train/graph/serialize.js';
const shape=[16,16,160,160]; const n=shape.reduce((a,b)=>a*b,1);
const mk = async (f:(g:Graph)=>void) => { const g=new Graph('t'); f(g); return ort.InferenceSession.create(serializeTrainGraph(g), {executionProviders:['cpu'],graphOptimizationLevel:'all',intraOpNumThreads:2,interOpNumThreads:1}); };
const sIn = await mk((g)=>{ g.input('x','float32',shape); const r=g.op('ReduceMax',['x'],{keepdims: attr.int(0)},'y'); g.output(r,'float32',[]); });
const sIn2 = await mk((g)=>{ g.input('x','float32',[1,16,160,160]); const r=g.op('ReduceMax',['x'],{keepdims: attr.int(0)},'y'); g.output(r,'float32',[]); });
const sOut = await mk((g)=>{ g.input('x','float32',[1]); const e=g.op('Expand',['x', g.constI64('sh',[4],shape)],{},'y'); g.output(e,'float32',shape); });
const x = new ort.Tensor('float32', new Float32Array(n).fill(0.3), shape);
const x1 = new ort.Tensor('float32', new Float32Array(n/16).fill(0.3), [1,16,160,160]);
const one = new ort.Tensor('float32', new Float32Array(1), [1]);
const pre = new ort.Tensor('float32', new Float32Array(n), shape);
const med=(a:number[])=>a.sort((p,q)=>p-q)[a.length>>1];
const time = async (name:string, f:()=>Promise<unknown>) => { const ts:number[]=[]; for (let i=0;i<21;i++){const t=performance.now(); await f(); ts.push(performance.now()-t);} console.log(name.padEnd(20), med(ts).toFixed(2),'ms'); };
for (let r=0;r<2;r++){
await time('in 26MB reduce', ()=>sIn.run({x}));
await time('in 1.6MB reduce', ()=>sIn2.run({x:x1}));
await time('out 26MB expand', ()=>sOut.run({x:one}));
await time('out 26MB prealloc', ()=>sOut.run({x:one},{y:pre}));
}
