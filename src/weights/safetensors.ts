/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors format): 8-byte
 * little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
 * then the raw little-endian data. leyolo writes F32 only and reads F32/F16/BF16/F64.
 * Also converts a whole Checkpoint to/from a safetensors file (metadata carries the rest).
 */
import { LeyoloError } from '../errors.js';
import { numel, type StateDict } from '../tensor.js';
import type { BnInfo, Checkpoint } from './pt.js';
import { halfToFloatTable } from './storage.js';

function bad(message: string): LeyoloError {
  return new LeyoloError('BAD_CHECKPOINT', `safetensors: ${message}`, 'the file is corrupt or not a safetensors file; re-export it with `leyolo convert`');
}

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

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function parseEntry(name: string, e: unknown, dataLen: number): HeaderEntry {
  const h = e as Partial<HeaderEntry> | null;
  if (!h || typeof h !== 'object' || typeof h.dtype !== 'string' || !Array.isArray(h.shape) || !Array.isArray(h.data_offsets)) {
    throw bad(`malformed header entry '${name}'`);
  }
  if (!(h.dtype in ITEM)) throw bad(`tensor '${name}' has unsupported dtype ${h.dtype}`);
  const [a, b] = h.data_offsets;
  const okInt = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (!h.shape.every(okInt) || !okInt(a) || !okInt(b) || b > dataLen || b - a !== numel(h.shape) * ITEM[h.dtype]) {
    throw bad(`tensor '${name}' has inconsistent shape/offsets`);
  }
  return h as HeaderEntry;
}

/**
 * Reads a safetensors file; tensors come back as float32 in file-offset order.
 *
 * @example
 * const { tensors, metadata } = readSafetensors(bytes);
 */
export function readSafetensors(bytes: Uint8Array): { tensors: StateDict; metadata: Record<string, string> } {
  if (bytes.length < 8) throw bad('file too short');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hi = v.getUint32(4, true);
  const len = v.getUint32(0, true);
  if (hi !== 0 || len === 0 || 8 + len > bytes.length) throw bad('header length out of range');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch {
    throw bad('header is not valid JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const data = bytes.subarray(8 + len);
  const metadata: Record<string, string> = {};
  const entries: [string, HeaderEntry][] = [];
  for (const [name, e] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [k, val] of Object.entries((e ?? {}) as Record<string, unknown>)) {
        if (typeof val !== 'string') throw bad(`metadata '${k}' is not a string`);
        metadata[k] = val;
      }
    } else entries.push([name, parseEntry(name, e, data.length)]);
  }
  entries.sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0]);
  const tensors: StateDict = new Map();
  for (const [name, e] of entries) {
    const [a, b] = e.data_offsets;
    tensors.set(name, { shape: [...e.shape], data: decode(data.subarray(a, b), e.dtype, numel(e.shape)) });
  }
  return { tensors, metadata };
}

/**
 * Writes tensors as F32 safetensors; offsets follow the map's order, header padded with
 * spaces so that the data starts 8-byte aligned.
 *
 * @example
 * writeFileSync('nano.safetensors', writeSafetensors(ck.stateDict, { format: 'pt' }));
 */
export function writeSafetensors(tensors: StateDict, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== numel(t.shape)) throw new LeyoloError('BAD_ARGUMENT', `tensor '${name}' data length does not match shape [${t.shape}]`);
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
 * A whole Checkpoint as one safetensors file: weights as F32, everything else as JSON metadata
 * (`names`, `nc`, `stride`, `yaml`, `bn` = {prefix: [eps, momentum]}, `meta`).
 *
 * @example
 * writeFileSync('LeYOLONano.safetensors', checkpointToSafetensors(readCheckpoint(ptBytes)));
 */
export function checkpointToSafetensors(ck: Checkpoint): Uint8Array {
  const bn: Record<string, [number, number]> = {};
  for (const [k, b] of ck.bn) bn[k] = [b.eps, b.momentum];
  return writeSafetensors(ck.stateDict, {
    format: 'pt',
    leyolo: '1',
    names: JSON.stringify(ck.names),
    nc: String(ck.nc),
    stride: JSON.stringify(ck.stride),
    yaml: JSON.stringify(ck.yaml),
    bn: JSON.stringify(bn),
    meta: JSON.stringify(ck.meta),
  });
}

function metaJson(md: Record<string, string>, key: string): unknown {
  if (!(key in md)) throw bad(`metadata lacks '${key}' (not written by leyolo)`);
  try {
    return JSON.parse(md[key]);
  } catch {
    throw bad(`metadata '${key}' is not valid JSON`);
  }
}

/**
 * Inverse of `checkpointToSafetensors`.
 *
 * @example
 * const ck = checkpointFromSafetensors(readFileSync('LeYOLONano.safetensors'));
 */
export function checkpointFromSafetensors(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = readSafetensors(bytes);
  const names = metaJson(metadata, 'names');
  const nc = metaJson(metadata, 'nc');
  const stride = metaJson(metadata, 'stride');
  const yaml = metaJson(metadata, 'yaml');
  const bnRaw = metaJson(metadata, 'bn');
  const meta = 'meta' in metadata ? metaJson(metadata, 'meta') : {};
  const isNums = (x: unknown): x is number[] => Array.isArray(x) && x.every((n) => typeof n === 'number');
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string') || typeof nc !== 'number' || !isNums(stride)) {
    throw bad('metadata names/nc/stride have the wrong type');
  }
  if (!yaml || typeof yaml !== 'object' || !bnRaw || typeof bnRaw !== 'object' || !meta || typeof meta !== 'object') {
    throw bad('metadata yaml/bn/meta are not objects');
  }
  const bn = new Map<string, BnInfo>();
  for (const [k, v] of Object.entries(bnRaw as Record<string, unknown>)) {
    if (!isNums(v) || v.length !== 2) throw bad(`metadata bn '${k}' is not [eps, momentum]`);
    bn.set(k, { eps: v[0], momentum: v[1] });
  }
  return { stateDict: tensors, nc, names, stride, yaml: yaml as Record<string, unknown>, bn, meta: meta as Checkpoint['meta'] };
}
