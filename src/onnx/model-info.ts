/**
 * What an ONNX file declares, read with the strict wire walker (wire.ts) before onnxruntime sees
 * it: opsets, metadata, graph inputs/outputs, nodes (op type, wiring, small attribute values) and
 * initializers (type, dims; never their data). Costs about a millisecond for a 5 MB model (the
 * weights are skipped by length) and allocates nothing proportional to a declared size.
 *
 * Refused here, as BAD_MODEL unless noted: anything malformed (see wire.ts); features a detector
 * export never uses and that reach outside the model or hide code: graphs inside attributes
 * (If/Loop/Scan bodies), model-local functions, training info, sparse tensors, external data,
 * string tensors; tensors whose data does not match their declared type and dims; and sizes over
 * the caps in {@link ONNX_LIMITS} (LIMIT_EXCEEDED).
 */
import { LeyoloError, guardSync } from '../errors.js';
import { ATTR, DIM, ELEM_BYTES, ENTRY, GRAPH, MODEL, NODE, ONNX_LIMITS, OPSET, SHAPE, TENSOR, TENSOR_TYPE, TYPE, VALUE_INFO } from './onnx-schema.js';
import { I32, I64, VARINT, f32, int64, int64s, malformed, packedCount, text, uvarint, walk, type Field } from './wire.js';

export { ONNX_LIMITS } from './onnx-schema.js';

/** A tensor's declaration (initializer or constant attribute); its data is never copied. */
export interface TensorInfo {
  name: string;
  dataType: number;
  dims: number[];
  /** Where the values are when held in one field: raw_data (9), float_data (4), int64_data (7), ... */
  data?: Field;
}

/** A node attribute: its type and, when small, its value. */
export interface AttrInfo {
  name: string;
  /** AttributeProto.type (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, ...). */
  type: number;
  i?: number;
  f?: number;
  /** INTS values (the first 16: enough for every kernel, stride, dilation and pad list). */
  ints?: number[];
  t?: TensorInfo;
}

export interface NodeInfo {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: AttrInfo[];
}

/** A graph input/output: element type and dims (number = fixed, string = symbolic, '' = unknown). */
export interface ValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[] | null;
}

/** Everything {@link readModelInfo} reads from a file. */
export interface OnnxModelInfo {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  metadata: Record<string, string>;
  nodes: NodeInfo[];
  initializers: TensorInfo[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /**
   * Byte spans holding values rather than structure (tensor data, attribute values): tools that
   * mutate or diff files use them to tell weights from framing.
   */
  valueSpans: [number, number][];
}

/** TensorProto fields holding values: float_data, int32_data, int64_data, raw_data, double_data, uint64_data. */
const DATA_FIELDS = new Set([4, 5, 7, 9, 10, 11]);
/** AttributeProto fields refused: g, graphs (subgraphs), ref_attr_name, sparse_tensor(s). */
const REFUSED_ATTR_FIELDS = new Set([6, 11, 21, 22, 23]);

const limit = (what: string, n: number, max: number): void => {
  if (n > max) throw new LeyoloError('LIMIT_EXCEEDED', `ONNX model has more than ${max} ${what}`, 'check the file; it is not a detector export');
};

/** Reads fields of one model; keeps the state that spans messages. */
class ModelReader {
  readonly spans: [number, number][] = [];
  /** Bytes of strings decoded and node edges seen so far (against the file-wide caps). */
  private strings = 0;
  private edges = 0;
  constructor(readonly buf: Uint8Array) {}

  str(f: Field, what: string, max: number = ONNX_LIMITS.nameBytes): string {
    const n = f.end - f.start;
    if (n > max) throw new LeyoloError('LIMIT_EXCEEDED', `ONNX ${what} is ${n} bytes (limit ${max})`, 'check the file; it is not a detector export');
    this.strings += n;
    limit('bytes of names and metadata', this.strings, ONNX_LIMITS.stringBytes);
    return text(this.buf, f.start, f.end);
  }

  /** Count one node input, output or attribute against the file-wide cap. */
  edge(): void {
    limit('node inputs, outputs and attributes in all', ++this.edges, ONNX_LIMITS.edges);
  }

  /** TensorProto: type, dims, and data that matches them exactly. */
  tensor(s: number, e: number, where: string): TensorInfo {
    const t: TensorInfo = { name: '', dataType: 0, dims: [] };
    const data: Field[] = [];
    walk(this.buf, s, e, TENSOR, 'TensorProto', (f) => {
      if (f.num === 1) {
        if (t.dims.length + packedCount(this.buf, f, VARINT) > ONNX_LIMITS.rank) limit(`dims in a tensor of ${where}`, Infinity, ONNX_LIMITS.rank);
        t.dims.push(...int64s(this.buf, f, ONNX_LIMITS.rank));
      } else if (f.num === 2) t.dataType = uvarint(this.buf, f.start);
      else if (f.num === 8) t.name = this.str(f, 'tensor name');
      else if (f.num === 3 || f.num === 13 || (f.num === 14 && uvarint(this.buf, f.start) !== 0)) {
        throw malformed(`tensor ${t.name || where} uses ${f.num === 3 ? 'segments' : 'external data'}, which leyolo does not load`, f.start);
      } else if (f.num === 6) throw malformed(`string tensor in ${where}`, f.start);
      else if (DATA_FIELDS.has(f.num)) data.push(f);
    });
    this.checkData(t, data, where);
    return t;
  }

  private checkData(t: TensorInfo, data: Field[], where: string): void {
    const name = t.name || where;
    const size = ELEM_BYTES[t.dataType];
    if (size === undefined) throw malformed(`tensor ${name} has unsupported data type ${t.dataType}`);
    let elements = 1;
    for (const d of t.dims) {
      if (!(d >= 0)) throw malformed(`tensor ${name} has a negative dimension ${d}`);
      elements *= d;
    }
    if (elements > ONNX_LIMITS.tensorElements) {
      throw new LeyoloError('LIMIT_EXCEEDED', `tensor ${name} declares ${elements} elements (limit ${ONNX_LIMITS.tensorElements})`, 'check the file; it is not a detector export');
    }
    const kinds = new Set(data.map((f) => f.num));
    if (kinds.size > 1) throw malformed(`tensor ${name} holds its data in ${kinds.size} fields`);
    // Typed fields: float_data 4 (I32), double_data 10 (I64), the others varints.
    const count = data.reduce((n, f) => n + (f.num === 9 ? (f.end - f.start) / size : packedCount(this.buf, f, f.num === 4 ? I32 : f.num === 10 ? I64 : VARINT)), 0);
    if (count !== elements) throw malformed(`tensor ${name} declares ${elements} elements of type ${t.dataType} but holds ${count}`);
    for (const f of data) this.spans.push([f.start, f.end]);
    if (data.length === 1) t.data = data[0];
  }

  attr(s: number, e: number, node: string): AttrInfo {
    const a: AttrInfo = { name: '', type: 0 };
    walk(this.buf, s, e, ATTR, 'AttributeProto', (f) => {
      if (f.num === 1) a.name = this.str(f, 'attribute name');
      else if (f.num === 20) a.type = uvarint(this.buf, f.start);
      else if (REFUSED_ATTR_FIELDS.has(f.num)) {
        const why = f.num === 6 || f.num === 11 ? 'a subgraph (control flow)' : f.num === 21 ? 'a function attribute reference' : 'a sparse tensor';
        throw new LeyoloError('BAD_MODEL', `ONNX node ${node} has ${why}, which a detector does not use`, 'load a LeYOLO/Ultralytics detector export');
      } else if (f.num === 5) a.t = this.tensor(f.start, f.end, `attribute of node ${node}`);
      else if (f.num === 10) this.tensor(f.start, f.end, `attribute of node ${node}`);
      else {
        this.spans.push([f.start, f.end]);
        if (f.num === 3) a.i = int64(this.buf, f.start);
        else if (f.num === 2) a.f = f32(this.buf, f.start);
        else if (f.num === 8 && (a.ints?.length ?? 0) < 16) a.ints = [...(a.ints ?? []), ...int64s(this.buf, f, 16)].slice(0, 16);
      }
    });
    return a;
  }

  node(s: number, e: number, index: number): NodeInfo {
    const n: NodeInfo = { opType: '', domain: '', name: '', inputs: [], outputs: [], attrs: [] };
    walk(this.buf, s, e, NODE, 'NodeProto', (f) => {
      if (f.num === 1 || f.num === 2) {
        const list = f.num === 1 ? n.inputs : n.outputs;
        limit('inputs or outputs on one node', list.length + 1, ONNX_LIMITS.perNode);
        this.edge();
        list.push(this.str(f, 'tensor name'));
      } else if (f.num === 3) n.name = this.str(f, 'node name');
      else if (f.num === 4) n.opType = this.str(f, 'op type');
      else if (f.num === 7) n.domain = this.str(f, 'op domain');
      else if (f.num === 8 && f.end > f.start) throw malformed(`node ${n.name || index} names a function overload`, f.start);
      else if (f.num === 5) {
        limit('attributes on one node', n.attrs.length + 1, ONNX_LIMITS.perNode);
        this.edge();
        n.attrs.push(this.attr(f.start, f.end, `${n.name ? `'${n.name}'` : `#${index}`}${n.opType ? ` (${n.opType})` : ''}`));
      }
    });
    if (!n.opType) throw malformed(`node ${n.name || index} has no op type`);
    return n;
  }

  valueInfo(s: number, e: number): ValueInfo {
    const v: ValueInfo = { name: '', elemType: 0, dims: null };
    walk(this.buf, s, e, VALUE_INFO, 'ValueInfoProto', (f) => {
      if (f.num === 1) v.name = this.str(f, 'value name');
      else if (f.num === 2) {
        walk(this.buf, f.start, f.end, TYPE, 'TypeProto', (t) => {
          if (t.num === 1) this.tensorType(t, v);
          else if (t.num !== 6) throw malformed(`graph value ${v.name} is not a tensor`, t.start);
        });
      }
    });
    return v;
  }

  private tensorType(f: Field, v: ValueInfo): void {
    walk(this.buf, f.start, f.end, TENSOR_TYPE, 'TypeProto.Tensor', (t) => {
      if (t.num === 1) v.elemType = uvarint(this.buf, t.start);
      else {
        v.dims = [];
        walk(this.buf, t.start, t.end, SHAPE, 'TensorShapeProto', (d) => {
          if (v.dims!.length >= ONNX_LIMITS.rank) limit(`dims on graph value ${v.name}`, Infinity, ONNX_LIMITS.rank);
          let dim: number | string = '';
          walk(this.buf, d.start, d.end, DIM, 'Dimension', (x) => {
            if (x.num === 1) dim = int64(this.buf, x.start);
            else if (x.num === 2) dim = this.str(x, 'dimension name');
          });
          v.dims!.push(dim);
        });
      }
    });
  }
}

/** Graph fields into `info` (nodes, initializers, inputs, outputs). */
function readGraph(r: ModelReader, s: number, e: number, info: OnnxModelInfo): void {
  walk(r.buf, s, e, GRAPH, 'GraphProto', (f) => {
    if (f.num === 1) {
      limit('nodes', info.nodes.length + 1, ONNX_LIMITS.nodes);
      info.nodes.push(r.node(f.start, f.end, info.nodes.length));
    } else if (f.num === 5) {
      limit('initializers', info.initializers.length + 1, ONNX_LIMITS.initializers);
      const t = r.tensor(f.start, f.end, 'initializer');
      if (!t.name) throw malformed('an initializer has no name', f.start);
      info.initializers.push(t);
    } else if (f.num === 11 || f.num === 12) {
      const list = f.num === 11 ? info.inputs : info.outputs;
      limit(f.num === 11 ? 'graph inputs' : 'graph outputs', list.length + 1, ONNX_LIMITS.values);
      list.push(r.valueInfo(f.start, f.end));
    } else if (f.num === 15) throw malformed('sparse initializers are not supported', f.start);
  });
}

/**
 * Walk an ONNX file and return what it declares (see the module comment for what is refused).
 * Throws only LeyoloErrors: BAD_MODEL or LIMIT_EXCEEDED (INTERNAL, cause kept, for a bug).
 *
 * @example
 * const info = readModelInfo(bytes);
 * info.inputs[0]; // { name: 'images', elemType: 1, dims: [1, 3, 640, 640] }
 */
export function readModelInfo(bytes: Uint8Array): OnnxModelInfo {
  return guardSync('read ONNX model', () => readInfo(bytes));
}

function readInfo(bytes: Uint8Array): OnnxModelInfo {
  if (!(bytes instanceof Uint8Array)) throw new LeyoloError('BAD_ARGUMENT', 'ONNX model bytes must be a Uint8Array', 'pass the bytes of a .onnx file');
  if (bytes.length > ONNX_LIMITS.fileBytes) throw new LeyoloError('LIMIT_EXCEEDED', `ONNX file is ${bytes.length} bytes (limit ${ONNX_LIMITS.fileBytes})`, 'check that this is the right file');
  if (bytes.length === 0) throw malformed('the file is empty');
  const r = new ModelReader(bytes);
  const info: OnnxModelInfo = { irVersion: 0, opsets: [], metadata: {}, nodes: [], initializers: [], inputs: [], outputs: [], valueSpans: r.spans };
  let graph: Field | undefined;
  walk(bytes, 0, bytes.length, MODEL, 'ModelProto', (f) => {
    if (f.num === 1) info.irVersion = uvarint(bytes, f.start);
    else if (f.num === 7) graph = f;
    else if (f.num === 8) {
      limit('opset imports', info.opsets.length + 1, ONNX_LIMITS.perNode);
      const o = { domain: '', version: 0 };
      walk(bytes, f.start, f.end, OPSET, 'OperatorSetIdProto', (x) => {
        if (x.num === 1) o.domain = r.str(x, 'opset domain');
        else o.version = int64(bytes, x.start);
      });
      info.opsets.push(o);
    } else if (f.num === 14) readEntry(r, f, info.metadata);
    else if (f.num === 20 || f.num === 25) throw malformed(f.num === 20 ? 'training info is not supported' : 'model-local functions are not supported', f.start);
  });
  if (!graph) throw malformed('the model has no graph');
  readGraph(r, graph.start, graph.end, info);
  return info;
}

function readEntry(r: ModelReader, f: Field, out: Record<string, string>): void {
  limit('metadata entries', Object.keys(out).length + 1, ONNX_LIMITS.metadataEntries);
  let key = '';
  let value = '';
  walk(r.buf, f.start, f.end, ENTRY, 'StringStringEntryProto', (x) => {
    if (x.num === 1) key = r.str(x, 'metadata key');
    else value = r.str(x, `metadata value ${JSON.stringify(key.slice(0, 40))}`, ONNX_LIMITS.metadataValueBytes);
  });
  out[key] = value;
}
