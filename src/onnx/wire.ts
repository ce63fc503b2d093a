/**
 * A strict protobuf wire-format walker (no protobuf library, no Node built-ins: browser-safe).
 * Messages are walked against a schema of their known fields; anything a real ONNX writer never
 * produces is refused with BAD_MODEL instead of being skipped the way protobuf parsers do:
 * an unknown field number, a known field with the wrong wire type, a singular field given twice,
 * a length or varint running past its message. A random corruption of the framing therefore
 * fails loudly rather than silently dropping a node input or a tensor (a corrupted tag byte that
 * turns a Conv's bias input into an unknown field would otherwise leave a valid, wrong graph).
 * Values are not materialised: visitors get byte spans and decode what they need.
 */
import { LeyoloError } from '../errors.js';

/** Wire types (protobuf encoding spec). */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

/** One field of a schema: the wire types it may use and whether it may repeat. */
export interface FieldRule {
  wire: number | readonly number[];
  repeated?: boolean;
}

/** Field number -> rule. */
export type Schema = Readonly<Record<number, FieldRule>>;

/** One field occurrence: its number, wire type and value bytes [start, end) (LEN: the payload). */
export interface Field {
  num: number;
  wire: number;
  start: number;
  end: number;
}

const HINT = 'the file is corrupt, truncated or not an ONNX model: export or download it again';

/** BAD_MODEL for a malformed ONNX file, naming what and where. @example throw malformed('truncated varint', 12); */
export function malformed(what: string, at?: number): LeyoloError {
  return new LeyoloError('BAD_MODEL', `not a valid ONNX model: ${what}${at === undefined ? '' : ` (byte ${at})`}`, HINT);
}

/** End offset of the varint at `pos` (refuses varints over 10 bytes or past `end`). @example varintEnd(Uint8Array.of(0x96, 0x01), 0, 2); // 2 */
export function varintEnd(buf: Uint8Array, pos: number, end: number): number {
  for (let i = pos; i < end && i < pos + 10; i++) if ((buf[i] & 0x80) === 0) return i + 1;
  throw malformed(pos + 10 <= end ? 'varint longer than 10 bytes' : 'truncated varint', pos);
}

/**
 * Unsigned varint as a number (exact below 2^53, which covers every length and dim a file can
 * hold). Use {@link int64} for signed values.
 *
 * @example
 * uvarint(Uint8Array.of(0x96, 0x01), 0); // 150
 */
export function uvarint(buf: Uint8Array, pos: number): number {
  let v = 0;
  let mul = 1;
  for (let i = pos; i < pos + 10; i++) {
    const b = buf[i];
    v += (b & 0x7f) * mul; // arithmetic, not <<: values above 2^31 stay exact
    if ((b & 0x80) === 0) break;
    mul *= 128;
  }
  return v;
}

/** A two's-complement int64 varint (negative values take 10 bytes) as a number. @example int64(bytes, f.start); // -1 for ff ff ... 01 */
export function int64(buf: Uint8Array, pos: number): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos + i];
    const bits = b & 0x7f;
    const shift = 7 * i;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= (bits & 0x0f) << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (shift - 32);
    if ((b & 0x80) === 0) break;
  }
  lo >>>= 0;
  hi >>>= 0;
  return hi & 0x80000000 ? -((~hi >>> 0) * 4294967296 + (~lo >>> 0) + 1) : hi * 4294967296 + lo;
}

/** Little-endian float32 at `pos`. @example f32(Uint8Array.of(0, 0, 0x80, 0x3f), 0); // 1 */
export function f32(buf: Uint8Array, pos: number): number {
  return new DataView(buf.buffer, buf.byteOffset + pos, 4).getFloat32(0, true);
}

const utf8 = new TextDecoder();

/** UTF-8 text of [start, end) (invalid sequences become U+FFFD). @example text(bytes, f.start, f.end); // 'images' */
export function text(buf: Uint8Array, start: number, end: number): string {
  // Names are short ASCII: building them directly is several times faster than TextDecoder.
  if (end - start <= 64) {
    let out = '';
    for (let i = start; i < end; i++) {
      if (buf[i] >= 0x80) return utf8.decode(buf.subarray(start, end));
      out += String.fromCharCode(buf[i]);
    }
    return out;
  }
  return utf8.decode(buf.subarray(start, end));
}

/**
 * Visit every field of the message in [start, end) after checking it against `schema` (see the
 * module comment). `what` names the message in errors, e.g. 'NodeProto'.
 *
 * @example
 * walk(bytes, 0, bytes.length, MODEL, 'ModelProto', (f) => { if (f.num === 7) graph = f; });
 */
export function walk(buf: Uint8Array, start: number, end: number, schema: Schema, what: string, visit: (f: Field) => void): void {
  let seen = 0; // bit per field number < 31 (every singular field of onnx.proto but 3 of AttributeProto)
  let seenHigh: Set<number> | undefined;
  let pos = start;
  while (pos < end) {
    const tagEnd = varintEnd(buf, pos, end);
    const tag = uvarint(buf, pos);
    const num = Math.floor(tag / 8);
    const wire = tag % 8;
    const rule = schema[num];
    if (!rule) throw malformed(`unknown field ${num} in ${what}`, pos);
    if (typeof rule.wire === 'number' ? rule.wire !== wire : !rule.wire.includes(wire)) throw malformed(`field ${num} of ${what} has wire type ${wire}`, pos);
    if (!rule.repeated) {
      const twice = num < 31 ? (seen & (1 << num)) !== 0 : (seenHigh ??= new Set()).has(num);
      if (twice) throw malformed(`field ${num} of ${what} appears twice`, pos);
      if (num < 31) seen |= 1 << num;
      else seenHigh!.add(num);
    }
    let s = tagEnd;
    let e: number;
    if (wire === VARINT) e = varintEnd(buf, s, end);
    else if (wire === I64) e = s + 8;
    else if (wire === I32) e = s + 4;
    else {
      const lenEnd = varintEnd(buf, s, end);
      const n = uvarint(buf, s);
      s = lenEnd;
      e = s + n;
    }
    if (e > end) throw malformed(`field ${num} of ${what} runs past the end of its message`, pos);
    visit({ num, wire, start: s, end: e });
    pos = e;
  }
}

/** Number of values in a packed repeated field of `wire` type elements (VARINT, I32 or I64). @example packedCount(bytes, f, I32); // float_data length */
export function packedCount(buf: Uint8Array, f: Field, wire: number): number {
  if (f.wire !== LEN) return 1;
  const n = f.end - f.start;
  if (wire === I32 || wire === I64) {
    const size = wire === I32 ? 4 : 8;
    if (n % size !== 0) throw malformed(`packed field ${f.num} has ${n} bytes, not a multiple of ${size}`, f.start);
    return n / size;
  }
  let count = 0;
  for (let i = f.start; i < f.end; i++) if ((buf[i] & 0x80) === 0) count++;
  if (n > 0 && (buf[f.end - 1] & 0x80) !== 0) throw malformed(`truncated varint in packed field ${f.num}`, f.end - 1);
  return count;
}

/** The int64 values of a repeated VARINT field occurrence (packed or not), at most `max` of them. @example int64s(bytes, dimsField, 8); // [1, 3, 640, 640] */
export function int64s(buf: Uint8Array, f: Field, max: number): number[] {
  if (f.wire === VARINT) return [int64(buf, f.start)];
  const out: number[] = [];
  for (let p = f.start; p < f.end && out.length < max; p = varintEnd(buf, p, f.end)) out.push(int64(buf, p));
  return out;
}
