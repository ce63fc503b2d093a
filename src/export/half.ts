/**
 * fp16 conversion of an exported graph: the network (convs, activations, pools, concats, resizes)
 * runs on float16 weights and activations, while the model interface stays float32: a Cast after
 * the `images` input and a Cast before every float output. The decode/NMS tail (nodes named
 * `decode*` / `nms.*`) stays float32: in float16, pixel coordinates near 640 would only have a
 * 0.5 px resolution, and the tail costs nothing next to the convs.
 */
import { DT, consumerMap, decodeModel, encodeModel, floatData, graphOf, intAttr, nodeP, tensorP } from './proto.js';
import type { NodeP, TensorP } from './proto.js';
import { toF16 } from './f16.js';

/** True for nodes of the float32 tail (in-graph decode and NMS) that both fp16 and int8 leave alone. */
export function isTailNode(n: NodeP): boolean {
  const name = n.name ?? '';
  return name.startsWith('decode') || name.startsWith('nms.');
}

/** Input positions of a node that take float data (Resize's roi/scales stay float32). */
function convertsInput(n: NodeP, index: number): boolean {
  return n.opType !== 'Resize' || index === 0;
}

/**
 * Rewrite float32 ONNX bytes to the fp16 variant (same inputs/outputs, float32 interface).
 *
 * @example
 * const half = toHalf(buildInferenceGraph(m, sd, bn, { decode: true, heads: false }));
 */
export function toHalf(bytes: Uint8Array): Uint8Array {
  const model = decodeModel(bytes);
  const g = graphOf(model);
  const nodes = g.node ?? [];
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const halfNodes = new Set(nodes.filter((n) => !isTailNode(n)));
  const outNames = new Set((g.output ?? []).map((o) => o.name ?? ''));
  // Graph outputs produced in fp16 get a `.f16` inner name and a Cast back to the public name.
  const renamed = new Map<string, string>();
  for (const n of halfNodes) {
    n.output = (n.output ?? []).map((o) => (outNames.has(o) ? (renamed.set(o, `${o}.f16`), `${o}.f16`) : o));
  }
  const consumers = consumerMap(nodes);
  for (const [pub, inner] of renamed) for (const c of consumers.get(pub) ?? []) c.node.input![c.index] = inner;

  const halfTensors = new Set<string>();
  const casts = new Map<string, string>();
  const out: NodeP[] = [];
  const newInits = new Map<string, TensorP>();
  const cast = (x: string, to: 'f16' | 'f32'): string => {
    const key = `${x}.to_${to}`;
    if (!casts.has(key)) {
      out.push(nodeP('Cast', key, [x], [key], [intAttr('to', to === 'f16' ? DT.float16 : DT.float)]));
      casts.set(key, key);
    }
    return key;
  };
  const halfInit = (name: string, t: TensorP): string => {
    const key = `${name}.f16`;
    const f = floatData(t);
    if (f && !newInits.has(key)) newInits.set(key, tensorP(key, DT.float16, (t.dims ?? []).map(Number), toF16(f)));
    return f ? key : name;
  };
  for (const n of nodes) {
    const half = halfNodes.has(n);
    n.input = (n.input ?? []).map((x, i) => {
      if (!x) return x;
      const init = inits.get(x);
      if (half && convertsInput(n, i)) {
        if (init) return halfInit(x, init);
        return halfTensors.has(x) ? x : cast(x, 'f16');
      }
      return halfTensors.has(x) ? cast(x, 'f32') : x;
    });
    out.push(n);
    if (half) for (const o of n.output ?? []) halfTensors.add(o);
  }
  for (const [pub, inner] of renamed) out.push(nodeP('Cast', `${pub}.to_f32`, [inner], [pub], [intAttr('to', DT.float)]));
  g.node = out;
  const used = new Set(out.flatMap((n) => n.input ?? []));
  g.initializer = [...(g.initializer ?? []), ...newInits.values()].filter((t) => used.has(t.name ?? ''));
  g.valueInfo = []; // intermediate types changed; ORT re-infers them
  return encodeModel(model);
}
