/**
 * Reads `metadata_props` of an ONNX file without a protobuf library: only the top-level fields of
 * ModelProto are walked (the graph, field 7, is skipped by its length), so this costs microseconds
 * even for large models and keeps protobufjs out of the browser bundle for `.onnx` weights.
 */
import { LeyoloError } from '../errors.js';

/** Protobuf wire types used by ModelProto. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
/** ModelProto.metadata_props and StringStringEntryProto.{key, value} field numbers (onnx.proto3). */
const METADATA_PROPS = 14;
const KEY = 1;
const VALUE = 2;
/** Longest metadata value read (1 MiB, as src/onnx/model-info.ts's ONNX_LIMITS). */
const MAX_VALUE_BYTES = 1 << 20;

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
    if (e > end) throw new Error('metadata entry runs past its end'); // malformed: no metadata
    // A hostile file may hold a huge value: refuse it before decoding (same cap as the loader's).
    if (e - s > MAX_VALUE_BYTES) throw new LeyoloError('LIMIT_EXCEEDED', `ONNX metadata value is ${e - s} bytes (limit ${MAX_VALUE_BYTES})`, 'check the file; it is not a detector export');
    if (tag >>> 3 === KEY) key = dec.decode(buf.subarray(s, e));
    else if (tag >>> 3 === VALUE) value = dec.decode(buf.subarray(s, e));
  }
  return [key, value];
}

/**
 * Key -> value of an ONNX model's metadata_props ({} when none or the bytes are not ONNX); a value
 * over 1 MiB is LIMIT_EXCEEDED.
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
  } catch (e) {
    if (e instanceof LeyoloError) throw e;
    // Not (valid) ONNX: no metadata. The loaders' validation reports the real problem.
  }
  return out;
}

/** Most class names a model may declare (metadata `names`, `nc`). */
export const MAX_CLASSES = 10_000;

const tooMany = (n: number): LeyoloError =>
  new LeyoloError('LIMIT_EXCEEDED', `model metadata declares ${n} or more class names (limit ${MAX_CLASSES})`, 'check the file; a detector has at most a few thousand classes');

const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

/** The Python string literal whose opening quote is at `s[i]`: [value, index after it], or null. */
function pyString(s: string, i: number): [string, number] | null {
  const q = s[i];
  if (q !== "'" && q !== '"') return null;
  let out = '';
  for (let j = i + 1; j < s.length; ) {
    const c = s[j];
    if (c === q) return [out, j + 1];
    if (c !== '\\') {
      out += c;
      j++;
      continue;
    }
    const e = s[j + 1] ?? '';
    const hex = { x: 2, u: 4, U: 8 }[e];
    if (hex) {
      const h = s.slice(j + 2, j + 2 + hex);
      if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== hex || Number.parseInt(h, 16) > 0x10ffff) return null;
      out += String.fromCodePoint(Number.parseInt(h, 16));
      j += 2 + hex;
    } else if (/[0-7]/.test(e)) {
      const o = /^[0-7]{1,3}/.exec(s.slice(j + 1))![0];
      out += String.fromCodePoint(Number.parseInt(o, 8));
      j += 1 + o.length;
    } else if (e in ESCAPES) {
      out += ESCAPES[e];
      j += 2;
    } else if (e === 'N' || e === '') return null; // \N{NAME}: not something repr() writes
    else {
      out += `\\${e}`; // Python keeps unknown escapes as they are
      j += 2;
    }
  }
  return null;
}

/** Ultralytics' `{0: 'person', 1: "it's"}` (str(dict)), exactly; null when `s` is not such a repr. */
function pyNamesDict(s: string): string[] | null {
  const names: string[] = [];
  let i = 0;
  const ws = (): void => void (i += /^\s*/.exec(s.slice(i, i + 256))![0].length);
  ws();
  if (s[i++] !== '{') return null;
  ws();
  let count = 0;
  while (s[i] !== '}') {
    const num = /^\d+/.exec(s.slice(i, i + 32));
    if (!num) return null;
    const index = Number(num[0]);
    if (index >= MAX_CLASSES || ++count > MAX_CLASSES) throw tooMany(Math.max(index + 1, count));
    i += num[0].length;
    ws();
    if (s[i++] !== ':') return null;
    ws();
    const str = pyString(s, i);
    if (!str) return null;
    names[index] = str[0];
    i = str[1];
    ws();
    if (s[i] === ',') i++;
    else if (s[i] !== '}') return null;
    ws();
  }
  i++;
  ws();
  return i === s.length ? Array.from(names, (n, k) => n ?? String(k)) : null;
}

/**
 * Class names from metadata: a JSON array (older leyolo exports) or Ultralytics' Python dict repr
 * (`{0: 'person', 1: "it's"}`, escapes decoded as Python does). Returns [] when absent or unreadable.
 * More than {@link MAX_CLASSES} names, or a dict index beyond it, is LIMIT_EXCEEDED (checked before
 * any array of that size is made).
 *
 * @example
 * parseNames("{0: 'person', 1: 'bicycle'}"); // ['person', 'bicycle']
 */
export function parseNames(s: string | undefined): string[] {
  if (!s) return [];
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    v = undefined; // Python repr, handled below.
  }
  if (Array.isArray(v)) {
    if (v.length > MAX_CLASSES) throw tooMany(v.length);
    return v.map(String);
  }
  if (v && typeof v === 'object') {
    const entries = Object.values(v as Record<string, unknown>);
    if (entries.length > MAX_CLASSES) throw tooMany(entries.length);
    return entries.map(String);
  }
  const exact = pyNamesDict(s);
  if (exact) return exact;
  // Not a well-formed repr: take what looks like `index: 'name'` pairs.
  const names: string[] = [];
  for (const m of s.matchAll(/(\d+)\s*:\s*(['"])(.*?)\2\s*(?=,|\})/g)) {
    const i = Number(m[1]);
    if (i >= MAX_CLASSES) throw tooMany(i + 1);
    names[i] = m[3];
  }
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

/**
 * Strict {@link parseStrides} for loading: absent -> [8, 16, 32]; otherwise 1 to 8 increasing
 * integer strides in 1..256, each dividing the largest (letterboxing pads to the largest, so every
 * level's grid must be whole), or Ultralytics' single max stride (a multiple of 4). Anything else
 * is BAD_MODEL: a wrong stride silently misplaces every box.
 *
 * @example
 * readStrides('32'); // [8, 16, 32]
 * readStrides('[8, 16, 32]'); // [8, 16, 32]
 */
export function readStrides(s: string | undefined): number[] {
  if (s === undefined) return [8, 16, 32];
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    v = undefined;
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= 4 && v <= 256 && v % 4 === 0) v = [v / 4, v / 2, v];
  const ok = Array.isArray(v) && v.length >= 1 && v.length <= 8
    && v.every((x, i) => Number.isInteger(x) && x >= 1 && x <= 256 && (i === 0 || x > (v as number[])[i - 1]) && (v as number[])[v.length - 1] % x === 0);
  if (!ok) throw new LeyoloError('BAD_MODEL', `model metadata stride ${JSON.stringify(s.slice(0, 60))} is not a valid list of strides`, 'the file is corrupt; export it again (strides are e.g. [8, 16, 32])');
  return v as number[];
}
