/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors format): 8-byte
 * little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
 * then the raw little-endian data. leyolo writes F32 only and reads F32/F16/BF16/F64.
 * Every header field is validated before any tensor is allocated (sizes, ranges, overlaps, limits).
 */
import { LeyoloError, guardSync } from '../errors.js';
import type { StateDict } from '../tensor.js';
import { LIMITS, boundedNumel, overLimit } from './limits.js';
import { halfToFloatTable } from './storage.js';

/** BAD_CHECKPOINT error for a malformed safetensors file. */
export function stBad(message: string): LeyoloError {
  return new LeyoloError('BAD_CHECKPOINT', `safetensors: ${message}`, 'the file is corrupt or not a safetensors file; re-export it with `leyolo convert`');
}
const bad = stBad;

const ITEM: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes `count` elements of `dtype` from little-endian bytes into float32. */
function decode(bytes: Uint8Array, dtype: string, count: number): Float32Array {
  // Copy (never alias the input; `new Uint8Array(x)` copies, while Node's Buffer.slice() is a view).
  if (dtype === 'F32' && LITTLE) return new Float32Array(new Uint8Array(bytes).buffer);
  const out = new Float32Array(count);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = v.getFloat32(4 * i, true);
  } else if (dtype === 'F16') {
    const t = halfToFloatTable();
    for (let i = 0; i < count; i++) out[i] = t[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  } else if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
  } else for (let i = 0; i < count; i++) out[i] = v.getFloat64(8 * i, true);
  return out;
}

/** One validated header entry: `numel` elements of `dtype` at data bytes [start, end). */
export interface StEntry {
  name: string;
  dtype: string;
  shape: number[];
  numel: number;
  start: number;
  end: number;
}

/** A parsed, validated safetensors header. */
export interface StHeader {
  entries: StEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
  /** Byte length of the JSON header (without the 8-byte length prefix). */
  headerLength: number;
}

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function parseEntry(name: string, e: unknown, dataLen: number): StEntry {
  if (!e || typeof e !== 'object' || Array.isArray(e)) throw bad(`malformed header entry '${name}'`);
  const { dtype, shape, data_offsets: off } = e as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(off)) throw bad(`malformed header entry '${name}'`);
  if (!Object.hasOwn(ITEM, dtype)) throw bad(`tensor '${name}' has unsupported dtype ${dtype.slice(0, 20)}`);
  if (shape.length > LIMITS.rank) throw overLimit(`safetensors: tensor '${name}' has ${shape.length} dimensions, over the limit of ${LIMITS.rank}`);
  if (!shape.every(isIndex)) throw bad(`tensor '${name}' has a shape that is not a list of non-negative integers`);
  const numel = boundedNumel(shape, LIMITS.tensorElements, `safetensors: tensor '${name}'`);
  if (off.length !== 2 || !isIndex(off[0]) || !isIndex(off[1]) || off[0] > off[1]) throw bad(`tensor '${name}' has malformed data_offsets`);
  const [start, end] = off as [number, number];
  if (end > dataLen) throw bad(`tensor '${name}' data [${start}, ${end}) lies beyond the end of the file (${dataLen} data bytes)`);
  if (end - start !== numel * ITEM[dtype]) throw bad(`tensor '${name}' has ${end - start} data bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${numel * ITEM[dtype]}`);
  return { name, dtype, shape: shape as number[], numel, start, end };
}

function parseMetadata(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('__metadata__ is not an object');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw bad(`metadata '${k}' is not a string`);
    if (k === '__proto__') throw bad("metadata key '__proto__' is not allowed");
    out[k] = val;
  }
  return out;
}

function readJsonHeader(bytes: Uint8Array): { json: Record<string, unknown>; len: number } {
  if (bytes.length < 8) throw bad('file too short');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hi = v.getUint32(4, true);
  const len = v.getUint32(0, true);
  if (hi !== 0 || len === 0 || len > bytes.length - 8) throw bad(`header length ${hi * 2 ** 32 + len} out of range for a ${bytes.length}-byte file`);
  if (len > LIMITS.safetensorsHeader) throw overLimit(`safetensors: header of ${len} bytes, over the ${LIMITS.safetensorsHeader}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch (e) {
    throw new LeyoloError('BAD_CHECKPOINT', 'safetensors: header is not valid JSON', bad('').hint, { cause: e });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad('header is not a JSON object');
  return { json: json as Record<string, unknown>, len };
}

/**
 * Parses and validates the header only (no tensor data is touched): entry count, dtypes, shapes,
 * element limits, offsets inside the data section and not overlapping. Entries are sorted by offset.
 *
 * @example
 * const h = readSafetensorsHeader(bytes); // { entries: [{ name, dtype: 'F32', shape, start, end }], metadata, ... }
 */
export function readSafetensorsHeader(bytes: Uint8Array): StHeader {
  return guardSync('reading the safetensors header', () => {
    const { json, len } = readJsonHeader(bytes);
    const keys = Object.keys(json);
    if (keys.length > LIMITS.tensors + 1) throw overLimit(`safetensors: ${keys.length} header entries, over the limit of ${LIMITS.tensors} tensors`);
    const dataStart = 8 + len;
    const dataLen = bytes.length - dataStart;
    let metadata: Record<string, string> = {};
    const entries: StEntry[] = [];
    let total = 0;
    for (const name of keys) {
      if (name === '__metadata__') {
        metadata = parseMetadata(json[name]);
        continue;
      }
      const e = parseEntry(name, json[name], dataLen);
      total += e.numel;
      if (total > LIMITS.totalElements) throw overLimit(`safetensors: tensors hold more than ${LIMITS.totalElements} elements`);
      entries.push(e);
    }
    entries.sort((x, y) => x.start - y.start || x.end - y.end);
    // Two tensors must never share bytes (one edited value would silently change both).
    let prev: StEntry | undefined;
    for (const e of entries) {
      if (e.end === e.start) continue;
      if (prev && e.start < prev.end) throw bad(`tensors '${prev.name}' and '${e.name}' overlap in the data section`);
      prev = e;
    }
    return { entries, metadata, dataStart, headerLength: len };
  });
}

/**
 * Reads a safetensors file; tensors come back as float32 in file-offset order. Only LeyoloErrors are
 * thrown (BAD_CHECKPOINT, LIMIT_EXCEEDED past {@link LIMITS}).
 *
 * @example
 * const { tensors, metadata } = readSafetensors(bytes);
 */
export function readSafetensors(bytes: Uint8Array): { tensors: StateDict; metadata: Record<string, string> } {
  return guardSync('reading safetensors', () => {
    const h = readSafetensorsHeader(bytes);
    return { tensors: decodeTensors(bytes, h), metadata: h.metadata };
  });
}

/**
 * Writes tensors as F32 safetensors; offsets follow the map's order, header padded with
 * spaces so that the data starts 8-byte aligned.
 *
 * @example
 * writeFileSync('nano.safetensors', writeSafetensors(ck.stateDict, { format: 'pt' }));
 */
export function writeSafetensors(tensors: StateDict, metadata: Record<string, string>): Uint8Array {
  return guardSync('writing safetensors', () => write(tensors, metadata));
}

function write(tensors: StateDict, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    let n = 1;
    for (const d of t.shape) n *= d;
    if (t.data.length !== n) throw new LeyoloError('BAD_ARGUMENT', `tensor '${name}' data length does not match shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const v = new DataView(out.buffer);
  v.setUint32(0, padded, true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  let p = 8 + padded;
  for (const t of tensors.values()) {
    if (LITTLE) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    else for (let i = 0; i < t.data.length; i++) v.setFloat32(p + 4 * i, t.data[i], true);
    p += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes the tensors of a validated header.
 *
 * @example
 * const sd = decodeTensors(bytes, readSafetensorsHeader(bytes));
 */
export function decodeTensors(bytes: Uint8Array, h: StHeader): StateDict {
  const tensors: StateDict = new Map();
  for (const e of h.entries) tensors.set(e.name, { shape: [...e.shape], data: decode(bytes.subarray(h.dataStart + e.start, h.dataStart + e.end), e.dtype, e.numel) });
  return tensors;
}
