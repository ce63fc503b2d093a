/**
 * Per-tensor quantization sensitivity, for mixed precision: how much the model's decoded output
 * moves when ONE activation tensor is uint8-quantized (fake-quant Q -> DQ) and everything else
 * stays float32. On LeYOLO-Nano a handful of tensors dominate (the stem's model.1 and the first
 * inverted bottleneck's expand output, whose channels span very different ranges, plus a few neck
 * tensors); leaving the worst k in float32 recovers most of the int8 mAP loss.
 *
 * One session answers every tensor: each candidate t is rewired as
 *   t' = t + m_t * (DQ(Q(t)) - t)        (m_t a scalar graph input, 0 or 1)
 * so a run with only m_t = 1 measures t alone, without building one session per tensor (as a
 * Where(m_t, DQ(Q(t)), t) with a boolean scalar m_t: three cheap elementwise passes per tensor).
 */
import * as ort from 'onnxruntime-node';
import { DT, consumerMap, decodeModel, encodeModel, graphOf, nodeP, tensorP } from './proto.js';
import type { NodeP, TensorP } from './proto.js';
import { u8Params, type Range } from './quantize.js';

/** The float model with a switchable fake-quant on each tensor; mask input names are `mask:<tensor>`. */
function switchable(bytes: Uint8Array, tensors: readonly string[], ranges: Map<string, Range>): Uint8Array {
  const model = decodeModel(bytes);
  const g = graphOf(model);
  const nodes = g.node ?? [];
  const consumers = consumerMap(nodes);
  const extra: NodeP[] = [];
  const inits: TensorP[] = [];
  for (const t of tensors) {
    const p = u8Params(ranges.get(t)!);
    const n = (s: string) => `${t}.sens.${s}`;
    inits.push(tensorP(n('scale'), DT.float, [], Float32Array.of(p.scale)), tensorP(n('zp'), DT.uint8, [], Uint8Array.of(p.zeroPoint)));
    for (const c of consumers.get(t) ?? []) c.node.input![c.index] = n('out');
    extra.push(
      nodeP('QuantizeLinear', n('q'), [t, n('scale'), n('zp')], [n('q')]),
      nodeP('DequantizeLinear', n('dq'), [n('q'), n('scale'), n('zp')], [n('dq')]),
      nodeP('Where', n('where'), [`mask:${t}`, n('dq'), t], [n('out')]),
    );
    g.input = [...(g.input ?? []), { name: `mask:${t}`, type: { tensorType: { elemType: DT.bool, shape: { dim: [] } } } }];
  }
  // Topological order: each switch right after its tensor's producer (graph inputs first).
  const after = new Map<string, NodeP[]>();
  for (let i = 0; i < extra.length; i += 3) after.set(extra[i].input![0], extra.slice(i, i + 3));
  const ordered: NodeP[] = [...tensors.filter((t) => (g.input ?? []).some((v) => v.name === t)).flatMap((t) => after.get(t) ?? [])];
  for (const node of nodes) ordered.push(node, ...(node.output ?? []).flatMap((o) => after.get(o) ?? []));
  g.node = ordered;
  g.initializer = [...(g.initializer ?? []), ...inits];
  g.valueInfo = [];
  return encodeModel(model);
}

/**
 * The tensors worth ranking: not graph inputs (the image is exact in uint8) and not Sigmoid outputs
 * (their [0, 1] range quantizes evenly; they never ranked high on Nano), which saves a quarter of
 * the runs.
 *
 * @example
 * const cands = sensitivityCandidates(fp32, quantizableTensors(fp32));
 */
export function sensitivityCandidates(bytes: Uint8Array, tensors: readonly string[]): string[] {
  const g = graphOf(decodeModel(bytes));
  const skip = new Set([...(g.input ?? []).map((v) => v.name ?? ''), ...(g.node ?? []).filter((n) => n.opType === 'Sigmoid').flatMap((n) => n.output ?? [])]);
  return tensors.filter((t) => !skip.has(t));
}

/**
 * Output error of a decoded [1, 4 + nc, N] tensor: relative squared error of the class scores plus
 * the relative squared box error weighted by each anchor's best float32 score (so background
 * anchors, whose boxes nobody reads, do not count).
 */
export function outputError(ref: Float32Array, got: Float32Array, rows: number): number {
  const N = ref.length / rows;
  let ec = 0, nc = 0, eb = 0, nb = 0;
  for (let a = 0; a < N; a++) {
    let best = 0;
    for (let c = 4; c < rows; c++) {
      const r = ref[c * N + a];
      ec += (r - got[c * N + a]) ** 2;
      nc += r * r;
      if (r > best) best = r;
    }
    for (let k = 0; k < 4; k++) eb += best * (ref[k * N + a] - got[k * N + a]) ** 2;
    nb += best * (ref[2 * N + a] ** 2 + ref[3 * N + a] ** 2);
  }
  return (nc > 0 ? ec / nc : 0) + (nb > 0 ? eb / nb : 0);
}

/**
 * The output error caused by quantizing each tensor alone, over the given letterboxed inputs
 * ([1, 3, S, S] each); the model's first output must be the decoded [1, 4 + nc, N] tensor.
 *
 * @example
 * const err = await sensitivity(fp32, tensors, ranges, [x0, x1], 640); // Map tensor -> error
 */
export async function sensitivity(
  bytes: Uint8Array, tensors: readonly string[], ranges: Map<string, Range>, inputs: readonly Float32Array[], imgsz: number, threads = 2,
  onRun?: (done: number, total: number) => void,
): Promise<Map<string, number>> {
  // 'basic' keeps Q -> DQ as a fake quant (the 'extended' QDQ fusions would rewrite the switches).
  const s = await ort.InferenceSession.create(switchable(bytes, tensors, ranges), { graphOptimizationLevel: 'basic', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
  const out = new Map<string, number>(tensors.map((t) => [t, 0]));
  const zero = new ort.Tensor('bool', Uint8Array.of(0), []);
  const one = new ort.Tensor('bool', Uint8Array.of(1), []);
  try {
    const output = s.outputNames[0];
    let runs = 0;
    for (const x of inputs) {
      const feeds: Record<string, ort.Tensor> = { [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, imgsz, imgsz]) };
      for (const t of tensors) feeds[`mask:${t}`] = zero;
      const ref = (await s.run(feeds, [output]))[output];
      const rows = ref.dims[1];
      for (const t of tensors) {
        feeds[`mask:${t}`] = one;
        const got = (await s.run(feeds, [output]))[output];
        feeds[`mask:${t}`] = zero;
        out.set(t, out.get(t)! + outputError(ref.data as Float32Array, got.data as Float32Array, rows) / inputs.length);
        onRun?.(++runs, inputs.length * tensors.length);
      }
    }
  } finally {
    await s.release();
  }
  return out;
}
