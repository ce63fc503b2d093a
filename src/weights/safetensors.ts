/**
 * A whole Checkpoint as one safetensors file (weights as F32, the rest as JSON metadata), and back.
 * Files written here carry a CRC-32 of the whole file in `leyolo_crc32`, so a corrupted file is
 * refused instead of silently loading other weights (torch .pt zips have per-entry CRCs).
 * The format-level reader/writer lives in safetensors-format.ts.
 */
import { LeyoloError, guardSync } from '../errors.js';
import type { Checkpoint } from './pt.js';
import { checkJsonBounds, LIMITS, overLimit } from './limits.js';
import { decodeTensors, readSafetensorsHeader, stBad as bad, writeSafetensors, type StHeader } from './safetensors-format.js';
import { checkBn, checkClasses, checkStride, checkWeights, type BnInfo } from './validate.js';
import { crc32 } from './zip.js';

export { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors-format.js';

const CRC_KEY = 'leyolo_crc32';
const ZEROS = new TextEncoder().encode('00000000');

/** Byte index of the first occurrence of `needle` in `hay[from, to)`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  outer: for (let i = from; i + needle.length <= to; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** CRC-32 of the file with the 8 hex digits at `at` read as '00000000'. */
function fileCrc(bytes: Uint8Array, at: number): number {
  return crc32(bytes.subarray(at + 8), crc32(ZEROS, crc32(bytes.subarray(0, at))));
}

/** Byte index of the CRC's 8 hex digits inside the header, or -1. */
function crcField(bytes: Uint8Array, headerLength: number, hex: string): number {
  const pat = new TextEncoder().encode(`"${CRC_KEY}":"${hex}"`);
  const at = indexOf(bytes, pat, 8, 8 + headerLength);
  return at < 0 ? -1 : at + pat.length - 9;
}

/**
 * A whole Checkpoint as one safetensors file: weights as F32, everything else as JSON metadata
 * (`names`, `nc`, `stride`, `yaml`, `bn` = {prefix: [eps, momentum]}, `meta`, `leyolo_crc32`).
 *
 * @example
 * writeFileSync('LeYOLONano.safetensors', checkpointToSafetensors(readCheckpoint(ptBytes)));
 */
export function checkpointToSafetensors(ck: Checkpoint): Uint8Array {
  return guardSync('writing safetensors', () => {
    const bn: Record<string, [number, number]> = {};
    for (const [k, b] of ck.bn) bn[k] = [b.eps, b.momentum];
    const out = writeSafetensors(ck.stateDict, {
      [CRC_KEY]: '00000000', // first, so that it precedes any non-ASCII text; filled in below
      format: 'pt',
      leyolo: '1',
      names: JSON.stringify(ck.names),
      nc: String(ck.nc),
      stride: JSON.stringify(ck.stride),
      yaml: JSON.stringify(ck.yaml),
      bn: JSON.stringify(bn),
      meta: JSON.stringify(ck.meta),
    });
    const headerLength = new DataView(out.buffer).getUint32(0, true);
    const at = crcField(out, headerLength, '00000000');
    out.set(new TextEncoder().encode(fileCrc(out, at).toString(16).padStart(8, '0')), at);
    return out;
  });
}

/** Refuses a file whose `leyolo_crc32` does not match its bytes (files without one pass). */
function verifyCrc(bytes: Uint8Array, h: StHeader): void {
  const hex = h.metadata[CRC_KEY];
  if (hex === undefined) return;
  if (!/^[0-9a-f]{8}$/.test(hex)) throw bad(`metadata '${CRC_KEY}' is not 8 hex digits`);
  const at = crcField(bytes, h.headerLength, hex);
  if (at < 0) throw bad(`metadata '${CRC_KEY}' not found where leyolo writes it`);
  if (fileCrc(bytes, at) !== parseInt(hex, 16)) throw bad('CRC mismatch: the file is corrupt (it changed after leyolo wrote it)');
}

function metaJson(md: Record<string, string>, key: string): unknown {
  if (!Object.hasOwn(md, key)) throw bad(`metadata lacks '${key}' (not written by leyolo)`);
  let v: unknown;
  try {
    v = JSON.parse(md[key]);
  } catch (e) {
    throw new LeyoloError('BAD_CHECKPOINT', `safetensors: metadata '${key}' is not valid JSON`, bad('').hint, { cause: e });
  }
  // JSON.parse nests without limit; later code (JSON.stringify, the yaml walkers) recurses.
  checkJsonBounds(v, `safetensors metadata '${key}'`);
  return v;
}

const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);

function readBn(raw: unknown): Map<string, BnInfo> {
  if (!isObject(raw)) throw bad('metadata bn is not an object');
  const entries = Object.entries(raw);
  if (entries.length > LIMITS.tensors) throw overLimit(`safetensors: ${entries.length} BatchNorm entries, over the limit of ${LIMITS.tensors}`);
  const bn = new Map<string, BnInfo>();
  for (const [k, v] of entries) {
    if (!Array.isArray(v) || v.length !== 2) throw bad(`metadata bn '${k}' is not [eps, momentum]`);
    bn.set(k, checkBn(v[0], v[1], k, bad));
  }
  return bn;
}

/** Only the known meta fields, each of its documented type. */
function readMeta(raw: unknown): Checkpoint['meta'] {
  if (!isObject(raw)) throw bad('metadata meta is not an object');
  const meta: Checkpoint['meta'] = {};
  if (typeof raw.epoch === 'number') meta.epoch = raw.epoch;
  if (typeof raw.date === 'string') meta.date = raw.date;
  if (typeof raw.version === 'string') meta.version = raw.version;
  if (isObject(raw.trainArgs)) meta.trainArgs = raw.trainArgs;
  return meta;
}

function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  const h = readSafetensorsHeader(bytes);
  verifyCrc(bytes, h);
  const md = h.metadata;
  const names = metaJson(md, 'names');
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw bad('metadata names is not a list of strings');
  if (names.length > LIMITS.nc) throw overLimit(`safetensors: ${names.length} class names, over the limit of ${LIMITS.nc}`);
  const nc = checkClasses(metaJson(md, 'nc'), names, bad);
  const stride = metaJson(md, 'stride');
  if (!Array.isArray(stride) || !stride.every((n) => typeof n === 'number')) throw bad('metadata stride is not a list of numbers');
  const yaml = metaJson(md, 'yaml');
  if (!isObject(yaml)) throw bad('metadata yaml is not an object');
  const bn = readBn(metaJson(md, 'bn'));
  const meta = readMeta(Object.hasOwn(md, 'meta') ? metaJson(md, 'meta') : {});
  const stateDict = decodeTensors(bytes, h);
  checkWeights(stateDict, bad);
  return { stateDict, nc, names, stride: checkStride(stride, bad), yaml, bn, meta };
}

/**
 * Inverse of `checkpointToSafetensors`: validates the header, the CRC (when present), the metadata
 * (nc <= 10000 with as many names, strides, BatchNorm eps/momentum, nesting) and finite weights.
 * Throws only LeyoloErrors.
 *
 * @example
 * const ck = checkpointFromSafetensors(readFileSync('LeYOLONano.safetensors'));
 */
export function checkpointFromSafetensors(bytes: Uint8Array): Checkpoint {
  return guardSync('reading the safetensors checkpoint', () => parseCheckpoint(bytes));
}
