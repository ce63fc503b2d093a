/**
 * Small ONNX files for the loader's tests and the onnx fuzz family: a tiny valid detector (three
 * strided convs whose maps are flattened and concatenated: [N, 4 + nc, A] with A = sum over
 * strides 8/16/32 of (H/s)(W/s)) and edits that make it hostile. Built with the project's graph
 * IR (src/onnx/ir.ts) and onnx-proto for what the IR cannot express (subgraphs, external data,
 * bogus tensor declarations).
 */
import onnxProto from 'onnx-proto';
import { Graph, attr, serializeModel } from '../../../src/onnx/ir.js';

const { onnx } = onnxProto;

/** Options of {@link tinyDetector}. */
export interface TinyOptions {
  /** Classes (default 2): the output has 4 + nc channels. */
  nc?: number;
  /** Square input side or 'dynamic' (default 64). */
  size?: number | 'dynamic';
  /** Input channels declared and used (default 3). */
  channels?: number;
  /** Strides whose maps are emitted (default 8, 16, 32; fewer gives too few anchors). */
  levels?: number[];
  /** Declared anchor dim of the output (default: the true count, or 'anchors' when dynamic). */
  anchors?: number | string;
  /** Output name (default 'output0'). */
  output?: string;
  /** Metadata (default: none, like a bare export). */
  metadata?: Record<string, string>;
}

/** Deterministic small weights: sin-based, in [-0.05, 0.05]. */
const weights = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => 0.05 * Math.sin(i * 0.7 + seed));

/**
 * A minimal valid detector graph.
 *
 * @example
 * const bytes = tinyDetector({ nc: 2, size: 64 }); // input [1, 3, 64, 64] -> output0 [1, 6, 84]
 */
export function tinyDetector(o: TinyOptions = {}): Uint8Array {
  const nc = o.nc ?? 2;
  const c = o.channels ?? 3;
  const size = o.size ?? 64;
  const levels = o.levels ?? [8, 16, 32];
  const g = new Graph('tiny-detector');
  const dyn = size === 'dynamic';
  g.input('images', 'float32', dyn ? ['batch', c, 'height', 'width'] : [1, c, size, size]);
  const flat = g.constI64('flat', [3], [0, 4 + nc, -1]);
  const parts = levels.map((s, i) => {
    const w = g.constF(`w${s}`, [4 + nc, c, s, s], weights((4 + nc) * c * s * s, i));
    const b = g.constF(`b${s}`, [4 + nc], weights(4 + nc, 10 + i));
    const y = g.op('Conv', ['images', w, b], { kernel_shape: attr.ints([s, s]), strides: attr.ints([s, s]) }, `conv${s}`);
    return g.op('Reshape', [y, flat], {}, `flat${s}`);
  });
  const cat = levels.length > 1 ? g.op('Concat', parts, { axis: attr.int(2) }, 'cat') : parts[0];
  const out = o.output ?? 'output0';
  g.op('Sigmoid', [cat], {}, out);
  const a = o.anchors ?? (dyn ? 'anchors' : levels.reduce((n, s) => n + (size / s) ** 2, 0));
  g.output(out, 'float32', [dyn ? 'batch' : 1, 4 + nc, a]);
  return serializeModel(g, { metadata: o.metadata });
}

/** Decode, edit and re-encode a model. @example edit(bytes, (m) => { m.graph!.node!.push(...) }) */
export function edit(bytes: Uint8Array, fn: (m: onnxProto.onnx.IModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  fn(m);
  return onnx.ModelProto.encode(m).finish();
}

/** A graph whose output is its input (what a tester saw decoded as garbage boxes). */
export function identityGraph(side = 320): Uint8Array {
  const g = new Graph('identity');
  g.input('images', 'float32', [1, 3, side, side]);
  g.op('Identity', ['images'], {}, 'output0');
  g.output('output0', 'float32', [1, 3, side, side]);
  return serializeModel(g, { metadata: { stride: '32', names: "{0: 'a'}" } });
}

const scalar = (name: string, elemType: number): onnxProto.onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType, shape: { dim: [] } } } });

/** Body subgraphs of the control-flow ops: valid for onnxruntime, so the file would run (and hang). */
function bodies(op: 'Loop' | 'Scan' | 'If'): onnxProto.onnx.IAttributeProto[] {
  const T = onnx.AttributeProto.AttributeType;
  if (op === 'Loop') {
    // (i, cond, v) -> (cond, v): loops `trip` times carrying v unchanged.
    const body = { name: 'body', node: [{ opType: 'Identity', input: ['cond_in'], output: ['cond_out'] }, { opType: 'Identity', input: ['v_in'], output: ['v_out'] }], input: [scalar('i', 7), scalar('cond_in', 9), scalar('v_in', 1)], output: [scalar('cond_out', 9), scalar('v_out', 1)] };
    return [{ name: 'body', type: T.GRAPH, g: body }];
  }
  if (op === 'Scan') {
    const body = { name: 'body', node: [{ opType: 'Add', input: ['s_in', 'x'], output: ['s_out'] }], input: [scalar('s_in', 1), scalar('x', 1)], output: [scalar('s_out', 1)] };
    return [{ name: 'body', type: T.GRAPH, g: body }, { name: 'num_scan_inputs', type: T.INT, i: 1 }];
  }
  const branch = (name: string) => ({ name, node: [{ opType: 'Identity', input: ['zero'], output: [`${name}_out`] }], output: [scalar(`${name}_out`, 1)] });
  return [{ name: 'then_branch', type: T.GRAPH, g: branch('then') }, { name: 'else_branch', type: T.GRAPH, g: branch('else') }];
}

/**
 * The tiny detector plus a control-flow node whose float scalar result is added to the output:
 * `op` 'Loop' (trip count 1e15: a hang before the op allow-list), 'Scan' or 'If'.
 *
 * @example
 * controlFlowGraph('Loop');
 */
export function controlFlowGraph(op: 'Loop' | 'Scan' | 'If'): Uint8Array {
  return edit(tinyDetector(), (m) => {
    const g = m.graph!;
    g.initializer!.push({ name: 'trip', dims: [], dataType: 7, rawData: new Uint8Array(new BigInt64Array([10n ** 15n]).buffer) });
    g.initializer!.push({ name: 'cond', dims: [], dataType: 9, rawData: new Uint8Array([1]) });
    g.initializer!.push({ name: 'zero', dims: [], dataType: 1, rawData: new Uint8Array(4) });
    g.initializer!.push({ name: 'xs', dims: [1], dataType: 1, rawData: new Uint8Array(4) });
    const inputs = op === 'Loop' ? ['trip', 'cond', 'zero'] : op === 'Scan' ? ['zero', 'xs'] : ['cond'];
    g.node!.unshift({ opType: op, name: op.toLowerCase(), input: inputs, output: ['cf_out'], attribute: bodies(op) });
    const out = g.node!.find((n) => n.opType === 'Sigmoid')!;
    out.output = ['pre_out'];
    g.node!.push({ opType: 'Add', name: 'use_cf', input: ['pre_out', 'cf_out'], output: ['output0'] });
  });
}

/** The tiny detector plus an initializer declaring `dims` float32 while holding `rawBytes` bytes. */
export function declaredTensorGraph(dims: number[], rawBytes: number, extra: Partial<onnxProto.onnx.ITensorProto> = {}): Uint8Array {
  return edit(tinyDetector(), (m) => {
    const g = m.graph!;
    g.initializer!.push({ name: 'huge', dims, dataType: 1, rawData: new Uint8Array(rawBytes), ...extra });
    // Consume it (an unused initializer is refused for its own reason).
    g.node!.push({ opType: 'Identity', input: ['huge'], output: ['huge_out'] });
    g.output!.push({ name: 'huge_out', type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  });
}

/** The tiny detector with one node's op type replaced (e.g. 'Tile') or given a foreign domain. */
export function foreignOpGraph(opType: string, domain = ''): Uint8Array {
  return edit(tinyDetector(), (m) => {
    const n = m.graph!.node!.find((x) => x.opType === 'Sigmoid')!;
    n.opType = opType;
    if (domain) {
      n.domain = domain;
      m.opsetImport!.push({ domain, version: 1 });
    }
  });
}

/** The tiny detector whose stride-8 conv has `pads` all equal to `pad`. */
export function hugePadGraph(pad: number): Uint8Array {
  return edit(tinyDetector(), (m) => {
    const n = m.graph!.node!.find((x) => x.opType === 'Conv')!;
    n.attribute!.push({ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [pad, pad, pad, pad] });
  });
}
