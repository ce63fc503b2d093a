/**
 * A small, general ONNX graph IR: nodes (op, inputs, outputs, attributes), initializers and typed
 * graph inputs/outputs with fixed or symbolic dims. Builders (inference now, training later) add
 * nodes through `Graph`; `serializeModel` turns it into ModelProto bytes with onnx-proto.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type DType = 'float32' | 'int64' | 'int32' | 'bool';

/** A constant tensor (initializer or attribute value). */
export interface IrTensor {
  dims: number[];
  dtype: DType;
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export type AttrValue =
  | { type: 'int'; v: number }
  | { type: 'float'; v: number }
  | { type: 'ints'; v: number[] }
  | { type: 'floats'; v: number[] }
  | { type: 'string'; v: string }
  | { type: 'tensor'; v: IrTensor };

/** Attribute constructors that keep int vs float explicit (ONNX cares, JS numbers don't). */
export const attr = {
  int: (v: number): AttrValue => ({ type: 'int', v }),
  float: (v: number): AttrValue => ({ type: 'float', v }),
  ints: (v: number[]): AttrValue => ({ type: 'ints', v }),
  floats: (v: number[]): AttrValue => ({ type: 'floats', v }),
  string: (v: string): AttrValue => ({ type: 'string', v }),
  tensor: (v: IrTensor): AttrValue => ({ type: 'tensor', v }),
};

export interface IrNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain?: string;
}

/** A graph input/output: dims are numbers (fixed) or strings (symbolic, e.g. 'batch'). */
export interface IrValue {
  name: string;
  dtype: DType;
  shape: (number | string)[];
}

/**
 * Mutable graph under construction.
 *
 * @example
 * const g = new Graph('demo');
 * g.input('x', 'float32', ['batch', 3, 'h', 'w']);
 * const y = g.op('Sigmoid', ['x']);
 * g.output(y, 'float32', ['batch', 3, 'h', 'w']);
 */
export class Graph {
  readonly name: string;
  readonly nodes: IrNode[] = [];
  readonly initializers = new Map<string, IrTensor>();
  readonly inputs: IrValue[] = [];
  readonly outputs: IrValue[] = [];
  private counter = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Add a node; returns its output names (generated from `name` unless given). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: { name?: string; outputs?: number | string[]; domain?: string } = {}): string[] {
    const name = opts.name ?? `${op}_${this.counter++}`;
    const outs = opts.outputs ?? 1;
    const outputs = typeof outs === 'number' ? Array.from({ length: outs }, (_, i) => (outs === 1 ? name : `${name}:${i}`)) : outs;
    this.nodes.push({ op, name, inputs, outputs, attrs, ...(opts.domain ? { domain: opts.domain } : {}) });
    return outputs;
  }

  /** Add a single-output node and return that output's name. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    return this.node(op, inputs, attrs, name ? { name } : {})[0];
  }

  /** Register a constant tensor under `name` (returned for chaining). */
  init(name: string, t: IrTensor): string {
    this.initializers.set(name, t);
    return name;
  }

  /** float32 constant helper. */
  constF(name: string, dims: number[], data: ArrayLike<number>): string {
    return this.init(name, { dims, dtype: 'float32', data: Float32Array.from(data) });
  }

  /** int64 constant helper (shapes, axes). */
  constI64(name: string, dims: number[], data: number[]): string {
    return this.init(name, { dims, dtype: 'int64', data: BigInt64Array.from(data.map((v) => BigInt(v))) });
  }

  input(name: string, dtype: DType, shape: (number | string)[]): string {
    this.inputs.push({ name, dtype, shape });
    return name;
  }

  output(name: string, dtype: DType, shape: (number | string)[]): string {
    this.outputs.push({ name, dtype, shape });
    return name;
  }
}

const DTYPE_CODE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9 };

function tensorProto(name: string, t: IrTensor): onnxProto.onnx.ITensorProto {
  const d = t.data;
  return { name, dims: t.dims, dataType: DTYPE_CODE[t.dtype], rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}

function attrProto(name: string, a: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int': return { name, type: T.INT, i: a.v };
    case 'float': return { name, type: T.FLOAT, f: a.v };
    case 'ints': return { name, type: T.INTS, ints: a.v };
    case 'floats': return { name, type: T.FLOATS, floats: a.v };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.v) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorProto('', a.v) };
  }
}

function valueInfo(v: IrValue): onnxProto.onnx.IValueInfoProto {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: DTYPE_CODE[v.dtype], shape: { dim } } } };
}

export interface SerializeOptions {
  opset?: number;
  irVersion?: number;
  producer?: string;
  metadata?: Record<string, string>;
}

/**
 * Encode the graph as ONNX ModelProto bytes (default opset 17, IR version 8).
 *
 * @example
 * const bytes = serializeModel(g, { metadata: { stride: '32' } });
 */
export function serializeModel(g: Graph, opts: SerializeOptions = {}): Uint8Array {
  const graph: onnxProto.onnx.IGraphProto = {
    name: g.name,
    node: g.nodes.map((n) => ({
      opType: n.op, name: n.name, input: n.inputs, output: n.outputs, ...(n.domain ? { domain: n.domain } : {}),
      attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
    })),
    initializer: [...g.initializers].map(([k, t]) => tensorProto(k, t)),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  };
  const model: onnxProto.onnx.IModelProto = {
    irVersion: opts.irVersion ?? 8,
    producerName: opts.producer ?? 'leyolo',
    opsetImport: [{ domain: '', version: opts.opset ?? 17 }],
    graph,
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}
