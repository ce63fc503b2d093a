/**
 * Dev: single-op micro-benchmarks, onnxruntime-node vs onnxruntime-web (wasm backend, in Node),
 * 1 thread each, interleaved. Prints min and median ms per case so alternatives to an op can be
 * compared in the same process.
 *
 *   node --import tsx dev/wasm-ops.ts [filter] [runs=15]
 */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { Graph, attr, serializeModel } from '../src/onnx/ir.js';

ortWeb.env.wasm.numThreads = Number(process.env.THREADS ?? 1);
const filter = process.argv[2] ?? '';
const runs = Number(process.argv[3] ?? 15);
type Build = (g: Graph, x: string, c: number) => string;
interface Case { name: string; shape: number[]; build: Build; level?: 'basic' | 'all'; reps?: number }
const rnd = (n: number, s = 0.1): Float32Array => Float32Array.from({ length: n }, (_, i) => (((i * 2654435761) % 1997) / 1997 - 0.5) * s);

const silu: Build = (g, x) => g.op('Mul', [x, g.op('Sigmoid', [x])]);
const dw = (k: number, s: number): Build => (g, x, c) => g.op('Conv', [x, g.constF(`w${g.nodes.length}`, [c, 1, k, k], rnd(c * k * k)), g.constF(`b${g.nodes.length}`, [c], rnd(c))],
  { kernel_shape: attr.ints([k, k]), strides: attr.ints([s, s]), pads: attr.ints(Array(4).fill(k >> 1)), group: attr.int(c) });
const pw = (co: number): Build => (g, x, c) => g.op('Conv', [x, g.constF(`w${g.nodes.length}`, [co, c, 1, 1], rnd(co * c)), g.constF(`b${g.nodes.length}`, [co], rnd(co))],
  { kernel_shape: attr.ints([1, 1]) });

/** Depthwise k x k (stride 1) as Pad + k*k (Slice, Mul by per-channel weight) + Sum. */
const dwShift = (k: number): Build => (g, x, c) => {
  const p = k >> 1;
  const i = g.nodes.length;
  const xp = g.op('Pad', [x, g.constI64(`pads${i}`, [8], [0, 0, p, p, 0, 0, p, p])]);
  const terms: string[] = [];
  const hw = g.op('Shape', [x], {});
  for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) {
    const st = g.constI64(`st${i}_${dy}_${dx}`, [2], [dy, dx]);
    const en = g.op('Add', [g.op('Slice', [hw, g.constI64(`s2${i}`, [1], [2]), g.constI64(`s4${i}`, [1], [4])]), st]);
    const sl = g.op('Slice', [xp, st, en, g.constI64(`ax${i}`, [2], [2, 3])]);
    terms.push(g.op('Mul', [sl, g.constF(`w${i}_${dy}_${dx}`, [c, 1, 1], rnd(c))]));
  }
  return g.op('Add', [g.op('Sum', terms), g.constF(`b${i}`, [c, 1, 1], rnd(c))]);
};
/** Depthwise as a grouped conv with G channels per group (block-diagonal, zeros off the diagonal). */
const dwBlock = (k: number, G: number): Build => (g, x, c) => {
  const w = new Float32Array(c * G * k * k);
  const r = rnd(c * k * k);
  for (let o = 0; o < c; o++) for (let t = 0; t < k * k; t++) w[(o * G + (o % G)) * k * k + t] = r[o * k * k + t];
  return g.op('Conv', [x, g.constF(`w${g.nodes.length}`, [c, G, k, k], w), g.constF(`b${g.nodes.length}`, [c], rnd(c))],
    { kernel_shape: attr.ints([k, k]), pads: attr.ints(Array(4).fill(k >> 1)), group: attr.int(c / G) });
};
/** SiLU with the input pre-halved (h = x/2, folded into the conv): h * (1 + tanh(h)). */
const siluTanh: Build = (g, x) => {
  const i = g.nodes.length;
  return g.op('Mul', [x, g.op('Add', [g.op('Tanh', [x]), g.constF(`one${i}`, [1], [1])])]);
};

export const cases: Case[] = [
  { name: 'big-relu-x10', shape: [1, 16, 160, 160], build: (g, x) => g.op('Relu', [x]), reps: 10 },
  { name: 'big-add-x10', shape: [1, 16, 160, 160], build: (g, x) => g.op('Add', [x, x]), reps: 10 },
  { name: 'mid-relu-x10', shape: [1, 16, 80, 80], build: (g, x) => g.op('Relu', [x]), reps: 10 },
  { name: 'mid-add-x10', shape: [1, 16, 80, 80], build: (g, x) => g.op('Add', [x, x]), reps: 10 },
  { name: 'small-silu-x50', shape: [1, 16, 32, 32], build: silu, reps: 50 },
  { name: 'small-sigmoid-x50', shape: [1, 16, 32, 32], build: (g, x) => g.op('Sigmoid', [x]), reps: 50 },
  { name: 'small-tanh-x50', shape: [1, 16, 32, 32], build: (g, x) => g.op('Tanh', [x]), reps: 50 },
  { name: 'small-silutanh-x50', shape: [1, 16, 32, 32], build: siluTanh, reps: 50 },
  { name: 'small-siluexp-x50', shape: [1, 16, 32, 32], build: (g, x) => { const i = g.nodes.length; return g.op('Div', [x, g.op('Add', [g.op('Exp', [g.op('Neg', [x])]), g.constF(`one${i}`, [1], [1])])]); }, reps: 50 },
  { name: 'small-mul-x50', shape: [1, 16, 32, 32], build: (g, x) => g.op('Mul', [x, x]), reps: 50 },
  { name: 'small-exp-x50', shape: [1, 16, 32, 32], build: (g, x) => g.op('Exp', [x]), reps: 50 },
  { name: 'small-erf-x50', shape: [1, 16, 32, 32], build: (g, x) => g.op('Erf', [x]), reps: 50 },
  { name: 'small-hsig-x50', shape: [1, 16, 32, 32], build: (g, x) => g.op('HardSigmoid', [x]), reps: 50 },
  { name: 'small-relu-x50', shape: [1, 16, 32, 32], build: (g, x) => g.op('Relu', [x]), reps: 50 },
  { name: 'small-add-x50', shape: [1, 16, 32, 32], build: (g, x) => g.op('Add', [x, x]), reps: 50 },
  { name: 'silu-x10', shape: [1, 16, 160, 160], build: silu, reps: 10 },
  { name: 'silutanh-x10', shape: [1, 16, 160, 160], build: siluTanh, reps: 10 },
  { name: 'sigmoid-x10', shape: [1, 16, 160, 160], build: (g, x) => g.op('Sigmoid', [x]), reps: 10 },
  { name: 'tanh-x10', shape: [1, 16, 160, 160], build: (g, x) => g.op('Tanh', [x]), reps: 10 },
  { name: 'relu-x10', shape: [1, 16, 160, 160], build: (g, x) => g.op('Relu', [x]), reps: 10 },
  { name: 'dw5x4-192x20x20', shape: [1, 192, 20, 20], build: dw(5, 1), reps: 4 },
  { name: 'dw5shiftx4-192x20x20', shape: [1, 192, 20, 20], build: dwShift(5), reps: 4 },
  { name: 'dw5blk2x4-192x20x20', shape: [1, 192, 20, 20], build: dwBlock(5, 2), reps: 4 },
  { name: 'dw5blk4x4-192x20x20', shape: [1, 192, 20, 20], build: dwBlock(5, 4), reps: 4 },
  { name: 'dw5x4-576x10x10', shape: [1, 576, 10, 10], build: dw(5, 1), reps: 4 },
  { name: 'dw5shiftx4-576x10x10', shape: [1, 576, 10, 10], build: dwShift(5), reps: 4 },
  { name: 'dw5blk4x4-576x10x10', shape: [1, 576, 10, 10], build: dwBlock(5, 4), reps: 4 },

  { name: 'silu-16x160x160', shape: [1, 16, 160, 160], build: silu },
  { name: 'silu-basic-16x160x160', shape: [1, 16, 160, 160], build: silu, level: 'basic' },
  { name: 'sigmoid-16x160x160', shape: [1, 16, 160, 160], build: (g, x) => g.op('Sigmoid', [x]) },
  { name: 'tanh-16x160x160', shape: [1, 16, 160, 160], build: (g, x) => g.op('Tanh', [x]) },
  { name: 'relu-16x160x160', shape: [1, 16, 160, 160], build: (g, x) => g.op('Relu', [x]) },
  { name: 'mul-16x160x160', shape: [1, 16, 160, 160], build: (g, x) => g.op('Mul', [x, x]) },
  { name: 'dw5-192x20x20', shape: [1, 192, 20, 20], build: dw(5, 1) },
  { name: 'dw5s2-576x20x20', shape: [1, 576, 20, 20], build: dw(5, 2) },
  { name: 'dw5-576x10x10', shape: [1, 576, 10, 10], build: dw(5, 1) },
  { name: 'dw3s2-96x80x80', shape: [1, 96, 80, 80], build: dw(3, 2) },
  { name: 'dw3-64x40x40', shape: [1, 64, 40, 40], build: dw(3, 1) },
  { name: 'pw-64to576-20x20', shape: [1, 64, 20, 20], build: pw(576) },
  { name: 'pw-96to32-40x40', shape: [1, 96, 40, 40], build: pw(32) },
  { name: 'pw-16to96-80x80', shape: [1, 16, 80, 80], build: pw(96) },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function model(c: Case): Uint8Array {
  const g = new Graph(c.name);
  const x = g.input('x', 'float32', c.shape);
  // A chain of `reps` copies amortizes the input/output copies between JS and the wasm heap.
  let y = x;
  for (let i = 0; i < (c.reps ?? 1); i++) y = c.build(g, y, c.shape[1]);
  g.output(y, 'float32', ['n', 'c', 'h', 'w']);
  return serializeModel(g, { opset: 17 });
}

export async function compare(c: Case, extra: [string, Uint8Array][] = []): Promise<void> {
  const level = c.level ?? 'all';
  const data = rnd(c.shape.reduce((a, b) => a * b), 4);
  const runners: [string, () => Promise<unknown>][] = [];
  const bytes = model(c);
  const sn = await ortNode.InferenceSession.create(bytes, { graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1 });
  const fn = { x: new ortNode.Tensor('float32', data, c.shape) };
  runners.push(['node', () => sn.run(fn)]);
  const webOpts: [string, ortWeb.InferenceSession.SessionOptions][] = [['web', {}], ['web-mempat', { enableMemPattern: true, enableCpuMemArena: true }]];
  for (const [label, b, o] of [...webOpts.map(([l, o]) => [l, bytes, o]), ...extra.map(([l, b]) => [l, b, {}])] as [string, Uint8Array, ortWeb.InferenceSession.SessionOptions][]) {
    const sw = await ortWeb.InferenceSession.create(b, { executionProviders: ['wasm'], graphOptimizationLevel: level, ...o });
    const fw = { [sw.inputNames[0]]: new ortWeb.Tensor('float32', data, c.shape) };
    runners.push([label, async () => { const r = await sw.run(fw); for (const t of Object.values(r)) t.dispose(); }]);
  }
  const t: number[][] = runners.map(() => []);
  for (let r = -2; r < runs; r++) {
    for (let j = 0; j < runners.length; j++) {
      const v = (j + r + 2) % runners.length;
      const u0 = process.cpuUsage();
      await runners[v][1]();
      const u = process.cpuUsage(u0);
      if (r >= 0) t[v].push((u.user + u.system) / 1000); // CPU ms: robust to other jobs
    }
  }
  const base = Math.min(...t[0]);
  console.log(c.name.padEnd(26) + runners.map(([n], i) => `${n} min ${Math.min(...t[i]).toFixed(2)} med ${median(t[i]).toFixed(2)} (x${(Math.min(...t[i]) / base).toFixed(1)})`).join(' | '));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const c of cases) if (c.name.includes(filter)) await compare(c);
  process.exit(0);
}
