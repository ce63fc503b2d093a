/**
 * Dev: full-model graph variants for the wasm backend. Builds LeYOLO-Nano's inference graph, applies
 * IR rewrites (SiLU forms, depthwise forms), checks each variant's `decoded` output against
 * onnxruntime-node on the base graph (max abs diff), then times them in onnxruntime-web (wasm, in
 * Node) interleaved round-robin. Median and min ms per variant.
 *
 *   node --import tsx dev/wasm-variants.ts [size=320] [runs=20] [variants=base,silu-tanh,...]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { readCheckpoint } from '../src/weights/pt.js';
import { resolveModel } from '../src/model/resolve.js';
import { inferenceGraph } from '../src/onnx/inference.js';
import { Graph, serializeModel, type IrNode } from '../src/onnx/ir.js';

const shared = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared');
const size = Number(process.argv[2] ?? 320);
const runs = Number(process.argv[3] ?? 20);
const names = (process.argv[4] ?? 'base,silu-tanh').split(',');
ortWeb.env.wasm.numThreads = Number(process.env.THREADS ?? 1);
const ck = readCheckpoint(readFileSync(resolve(shared, 'weights/LeYOLONano.pt')));
const m = resolveModel({ scale: 'nano', nc: ck.nc });
const opts = { batch: 'dynamic', height: 'dynamic', width: 'dynamic', heads: false, decode: true } as const;
const fresh = (): Graph => inferenceGraph(m, ck.stateDict, ck.bn, opts);

/** Conv -> Sigmoid -> Mul(conv, sigmoid) triples. */
function siluTriples(g: Graph): { conv: IrNode; sig: IrNode; mul: IrNode }[] {
  const byOut = new Map(g.nodes.map((n) => [n.outputs[0], n]));
  const out: { conv: IrNode; sig: IrNode; mul: IrNode }[] = [];
  for (const mul of g.nodes) {
    if (mul.op !== 'Mul') continue;
    const [a, b] = mul.inputs.map((i) => byOut.get(i));
    if (a?.op === 'Conv' && b?.op === 'Sigmoid' && b.inputs[0] === a.outputs[0]) out.push({ conv: a, sig: b, mul });
  }
  return out;
}

function scaleConv(g: Graph, conv: IrNode, s: number): void {
  for (const name of conv.inputs.slice(1)) {
    const t = g.initializers.get(name);
    if (!t || !(t.data instanceof Float32Array)) throw new Error(`no float initializer ${name}`);
    g.initializers.set(name, { ...t, data: t.data.map((v) => v * s) });
  }
}

/** SiLU(x) = h * (1 + tanh(h)) with h = x / 2 folded into the conv (exact: power-of-two scale). */
function siluTanh(g: Graph): void {
  g.constF('silu.one', [], [1]);
  for (const { conv, sig, mul } of siluTriples(g)) {
    scaleConv(g, conv, 0.5);
    const h = conv.outputs[0];
    sig.op = 'Tanh';
    const t = sig.outputs[0];
    const add: IrNode = { op: 'Add', name: `${sig.name}.p1`, inputs: [t, 'silu.one'], outputs: [`${sig.name}.p1`], attrs: {} };
    g.nodes.splice(g.nodes.indexOf(mul), 0, add);
    mul.inputs = [h, add.outputs[0]];
  }
}

/** SiLU as h + h * tanh(h). */
function siluTanh2(g: Graph): void {
  for (const { conv, sig, mul } of siluTriples(g)) {
    scaleConv(g, conv, 0.5);
    const h = conv.outputs[0];
    sig.op = 'Tanh';
    const prod = `${mul.name}.ht`;
    mul.inputs = [h, sig.outputs[0]];
    const y = mul.outputs[0];
    mul.outputs = [prod];
    const add: IrNode = { op: 'Add', name: `${mul.name}.add`, inputs: [h, prod], outputs: [y], attrs: {} };
    g.nodes.splice(g.nodes.indexOf(mul) + 1, 0, add);
  }
}

/** Ablation (wrong outputs, timing only): SiLU removed, the conv output feeds its consumers. */
function noSilu(g: Graph): void {
  for (const { conv, sig, mul } of siluTriples(g)) {
    g.nodes.splice(g.nodes.indexOf(sig), 1);
    g.nodes.splice(g.nodes.indexOf(mul), 1);
    for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === mul.outputs[0] ? conv.outputs[0] : i));
  }
}

/** Ablation (timing only): stride-1 depthwise convs with kernel k replaced by a 1x1 depthwise conv. */
function dwTo1(k: number) {
  return (g: Graph): void => {
    for (const n of g.nodes) {
      const ks = n.attrs.kernel_shape;
      const grp = n.attrs.group;
      const st = n.attrs.strides;
      if (n.op !== 'Conv' || ks?.type !== 'ints' || ks.v[0] !== k || grp?.type !== 'int' || grp.v === 1 || st?.type !== 'ints' || st.v[0] !== 1) continue;
      const w = g.initializers.get(n.inputs[1]);
      if (!w) continue;
      const c = w.dims[0];
      g.initializers.set(n.inputs[1], { dims: [c, 1, 1, 1], dtype: 'float32', data: new Float32Array(c).fill(1) });
      n.attrs = { ...n.attrs, kernel_shape: { type: 'ints', v: [1, 1] }, pads: { type: 'ints', v: [0, 0, 0, 0] } };
    }
  };
}


/** Ablation (timing only): every depthwise conv becomes a per-channel Mul (after a 1x1 MaxPool when strided). */
function noDw(g: Graph): void {
  for (const n of g.nodes) {
    const grp = n.attrs.group;
    const st = n.attrs.strides;
    if (n.op !== 'Conv' || grp?.type !== 'int' || grp.v === 1) continue;
    const c = g.initializers.get(n.inputs[1])?.dims[0] ?? 0;
    const s = st?.type === 'ints' ? st.v[0] : 1;
    g.initializers.set(`${n.name}.scale`, { dims: [c, 1, 1], dtype: 'float32', data: new Float32Array(c).fill(1) });
    if (s === 1) {
      n.op = 'Mul';
      n.inputs = [n.inputs[0], `${n.name}.scale`];
      n.attrs = {};
    } else {
      n.op = 'MaxPool';
      n.inputs = [n.inputs[0]];
      n.attrs = { kernel_shape: { type: 'ints', v: [1, 1] }, strides: { type: 'ints', v: [s, s] } };
    }
  }
}

/** SiLU as x / (1 + exp(-x)): Neg, Exp, Add, Div. */
function siluExp(g: Graph): void {
  g.constF('silu.one', [], [1]);
  for (const { conv, sig, mul } of siluTriples(g)) {
    const x = conv.outputs[0];
    const at = g.nodes.indexOf(sig);
    const p = sig.name;
    const nodes: IrNode[] = [
      { op: 'Neg', name: `${p}.neg`, inputs: [x], outputs: [`${p}.neg`], attrs: {} },
      { op: 'Exp', name: `${p}.exp`, inputs: [`${p}.neg`], outputs: [`${p}.exp`], attrs: {} },
      { op: 'Add', name: `${p}.den`, inputs: [`${p}.exp`, 'silu.one'], outputs: [`${p}.den`], attrs: {} },
    ];
    g.nodes.splice(at, 1, ...nodes);
    mul.op = 'Div';
    mul.inputs = [x, `${p}.den`];
  }
}

/** SiLU from n = -x (conv weights and bias negated, exact): y = n / (-1 - exp(n)): Exp, Sub, Div. */
function siluExp3(g: Graph): void {
  g.constF('silu.mone', [], [-1]);
  for (const { conv, sig, mul } of siluTriples(g)) {
    scaleConv(g, conv, -1);
    const n = conv.outputs[0];
    const at = g.nodes.indexOf(sig);
    const p = sig.name;
    const nodes: IrNode[] = [
      { op: 'Exp', name: `${p}.exp`, inputs: [n], outputs: [`${p}.exp`], attrs: {} },
      { op: 'Sub', name: `${p}.den`, inputs: ['silu.mone', `${p}.exp`], outputs: [`${p}.den`], attrs: {} },
    ];
    g.nodes.splice(at, 1, ...nodes);
    mul.op = 'Div';
    mul.inputs = [n, `${p}.den`];
  }
}

const rewrites: Record<string, (g: Graph) => void> = {
  'silu-exp': siluExp,
  'silu-exp3': siluExp3,
  'no-silu': noSilu,
  'no-dw5': dwTo1(5),
  'no-dw3': dwTo1(3),
  'no-dw': noDw,
  base: () => {},
  'silu-tanh': siluTanh,
  'silu-tanh2': siluTanh2,
};
const sessionOpts: Record<string, ortWeb.InferenceSession.SessionOptions> = {
  basic: { graphOptimizationLevel: 'basic' },
  extended: { graphOptimizationLevel: 'extended' },
  nospin: { extra: { session: { intra_op: { allow_spinning: '0' } } } },
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const data = new Float32Array(3 * size * size).map((_, i) => ((i * 2654435761) % 1000) / 1000);
const baseBytes = serializeModel(fresh(), { opset: 17 });
const ref = await ortNode.InferenceSession.create(baseBytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
const refOut = (await ref.run({ images: new ortNode.Tensor('float32', data, [1, 3, size, size]) })).decoded.data as Float32Array;

const variants: { name: string; run: () => Promise<Float32Array>; t: number[] }[] = [];
for (const name of names) {
  const [rw, so] = name.split('+');
  const g = fresh();
  (rewrites[rw] ?? (() => { throw new Error(`unknown variant ${rw}`); }))(g);
  const bytes = serializeModel(g, { opset: 17 });
  if (process.env.DUMP) writeFileSync(`${process.env.DUMP}/${name}.onnx`, bytes);
  const s = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', ...(so ? sessionOpts[so] : {}) });
  const feed = { images: new ortWeb.Tensor('float32', data, [1, 3, size, size]) };
  variants.push({ name, t: [], run: async () => { const r = await s.run(feed); const d = r.decoded.data as Float32Array; for (const x of Object.values(r)) x.dispose(); return d; } });
}
for (const v of variants) {
  const d = await v.run();
  let box = 0;
  let cls = 0;
  const N = d.length / (4 + m.nc);
  for (let i = 0; i < d.length; i++) {
    const e = Math.abs(d[i] - refOut[i]);
    if (i < 4 * N) box = Math.max(box, e); else cls = Math.max(cls, e);
  }
  console.log(`${v.name.padEnd(24)} vs node: max |d box| ${box.toExponential(2)} px, max |d score| ${cls.toExponential(2)}`);
}
for (let r = -3; r < runs; r++) {
  for (let j = 0; j < variants.length; j++) {
    const v = variants[(j + r + 3) % variants.length];
    const t0 = performance.now();
    await v.run();
    if (r >= 0) v.t.push(performance.now() - t0);
  }
}
const base = median(variants[0].t);
for (const v of variants) console.log(`${v.name.padEnd(24)} median ${median(v.t).toFixed(1)} ms  min ${Math.min(...v.t).toFixed(1)} ms  ratio ${(median(v.t) / base).toFixed(3)}`);
process.exit(0);
