/**
 * Reads `metadata_props` of an ONNX file without a protobuf library: only the top-level fields of
 * ModelProto are walked (the graph, field 7, is skipped by its length), so this costs microseconds
 * even for large models and keeps protobufjs out of the browser bundle for `.onnx` weights.
 */

/** Protobuf wire types used by ModelProto. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
/** ModelProto.metadata_props and StringStringEntryProto.{key, value} field numbers (onnx.proto3). */
const METADATA_PROPS = 14;
const KEY = 1;
const VALUE = 2;

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end = buf.length) {}
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul; // arithmetic, not <<, so lengths above 2^31 stay exact
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  }
  /** Skip one value of `wire` type; returns the [start, end) of LEN payloads. */
  skip(wire: number): [number, number] {
    if (wire === VARINT) this.varint();
    else if (wire === I64) this.pos += 8;
    else if (wire === I32) this.pos += 4;
    else if (wire === LEN) {
      const n = this.varint();
      const start = this.pos;
      this.pos += n;
      return [start, this.pos];
    } else throw new Error(`unsupported wire type ${wire}`);
    return [this.pos, this.pos];
  }
}

function readEntry(buf: Uint8Array, start: number, end: number, dec: TextDecoder): [string, string] {
  const r = new Reader(buf, end);
  r.pos = start;
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.varint();
    const [s, e] = r.skip(tag & 7);
    if (tag >>> 3 === KEY) key = dec.decode(buf.subarray(s, e));
    else if (tag >>> 3 === VALUE) value = dec.decode(buf.subarray(s, e));
  }
  return [key, value];
}

/**
 * Key -> value of an ONNX model's metadata_props ({} when none or the bytes are not ONNX).
 *
 * @example
 * onnxMetadata(bytes); // { stride: '32', names: "{0: 'person', ...}", imgsz: '[320, 320]', ... }
 */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const dec = new TextDecoder();
  const r = new Reader(bytes);
  try {
    while (r.pos < bytes.length) {
      const tag = r.varint();
      const [s, e] = r.skip(tag & 7);
      if (tag >>> 3 === METADATA_PROPS && (tag & 7) === LEN) {
        const [k, v] = readEntry(bytes, s, e, dec);
        out[k] = v;
      }
    }
  } catch {
    // Not (valid) ONNX: no metadata. The runtime reports the real problem when it loads the model.
  }
  return out;
}

/**
 * Class names from metadata: a JSON array (leyolo exports) or Ultralytics' Python dict repr
 * (`{0: 'person', 1: 'bicycle'}`). Returns [] when absent or unreadable.
 *
 * @example
 * parseNames("{0: 'person', 1: 'bicycle'}"); // ['person', 'bicycle']
 */
export function parseNames(s: string | undefined): string[] {
  if (!s) return [];
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v)) return v.map(String);
    if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([, x]) => String(x));
  } catch {
    // Python repr, handled below.
  }
  const names: string[] = [];
  for (const m of s.matchAll(/(\d+)\s*:\s*(['"])(.*?)\2\s*(?=,|\})/g)) names[Number(m[1])] = m[3];
  return Array.from(names, (n, i) => n ?? String(i));
}

/**
 * Detection strides from metadata: a JSON array ([8, 16, 32]) or Ultralytics' single max stride
 * ('32', meaning P3-P5 = 8, 16, 32).
 *
 * @example
 * parseStrides('32'); // [8, 16, 32]
 */
export function parseStrides(s: string | undefined): number[] {
  if (!s) return [8, 16, 32];
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'number' && x > 0)) return v as number[];
    if (typeof v === 'number' && v >= 8) return [v / 4, v / 2, v];
  } catch {
    // fall through to the default
  }
  return [8, 16, 32];
}
