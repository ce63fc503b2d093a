/**
 * The Python text rules Ultralytics' label reading depends on, reproduced exactly (CPython 3.11,
 * Unicode 14, NumPy 1.24; checked against them on the cases in labels.test.ts):
 * - `str.strip()` / `str.split()` use `str.isspace()` (which includes \x1c-\x1f, \x85, \xa0, ...);
 * - `str.splitlines()` breaks on \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029;
 * - `np.array(tokens, dtype=np.float32)` converts each token with Python `float()` (then rounds to
 *   float32): decimal with an optional sign, `.` and exponent; `inf`, `infinity`, `nan` in any case;
 *   `_` between two digits; any Unicode decimal digit (category Nd, e.g. '١', '１'); nothing else
 *   ('0x1', '0b1', '0o7', '1_', '1,5', '½', '' are errors: "could not convert string to float: '0x1'").
 * All scans are linear (no regex that can backtrack on hostile input).
 */

/** True for the characters of Python's `str.isspace()` (Unicode 14). */
export function isPySpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** True for the line boundaries of Python's `str.splitlines()` (\r\n is handled by the caller). */
export function isPyLineBreak(c: number): boolean {
  return (c >= 0x0a && c <= 0x0d) || (c >= 0x1c && c <= 0x1e) || c === 0x85 || c === 0x2028 || c === 0x2029;
}

/** [start, end) of `s.strip()` in `s`. @example pyStripRange(' a '); // [1, 2] */
export function pyStripRange(s: string): [number, number] {
  let a = 0, b = s.length;
  while (a < b && isPySpace(s.charCodeAt(a))) a++;
  while (b > a && isPySpace(s.charCodeAt(b - 1))) b--;
  return [a, b];
}

/**
 * First code point of each run of ten Unicode decimal digits (category Nd, Unicode 14 as CPython 3.11;
 * digit value = code point - run start). Fixed here so the result does not depend on Node's ICU.
 */
const ND_ZEROS = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090,
  0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0,
  0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950,
  0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/** Decimal value of a code point (0-9), or -1. */
function decimalValue(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (cp < 0x660) return -1;
  // Binary search for the last run start <= cp.
  let lo = 0, hi = ND_ZEROS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ND_ZEROS[mid] <= cp) lo = mid;
    else hi = mid - 1;
  }
  const d = cp - ND_ZEROS[lo];
  return d >= 0 && d < 10 ? d : -1;
}

/** CPython `_PyUnicode_TransformDecimalAndSpaceToASCII`: Nd digits -> ASCII, other non-ASCII -> invalid. */
function toAsciiDigits(s: string): string | undefined {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 127) out += ch;
    else {
      const d = decimalValue(cp);
      if (d < 0) return undefined;
      out += String.fromCharCode(0x30 + d);
    }
  }
  return out;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** CPython `_Py_string_to_number_with_underscores`: `_` only between two digits. */
function dropUnderscores(s: string): string | undefined {
  let out = '';
  let prev = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) {
      if (!isDigit(prev)) return undefined;
    } else {
      if (prev === 0x5f && !isDigit(c)) return undefined;
      out += s[i];
    }
    prev = c;
  }
  return prev === 0x5f ? undefined : out;
}

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/**
 * Python `float(token)` for a token without whitespace (as `str.split()` yields): the value, or
 * undefined where Python raises ValueError.
 *
 * @example
 * pyFloat('1_0'); // 10
 * pyFloat('0x1'); // undefined
 */
export function pyFloat(token: string): number | undefined {
  let s: string | undefined = token;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 127) {
      s = toAsciiDigits(s);
      break;
    }
  }
  if (s !== undefined && s.includes('_')) s = dropUnderscores(s);
  if (s === undefined || s.length === 0) return undefined;
  if (DECIMAL.test(s)) return Number(s);
  if (SPECIAL.test(s)) return /nan/i.test(s) ? NaN : s.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/**
 * Python `repr()` of a string, for messages that quote a token as Ultralytics' do: single quotes,
 * control and other non-printable characters escaped (\x00, \u200b, \ufeff).
 *
 * @example
 * pyRepr('0\u0000'); // "'0\\x00'"
 */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp === 0x20 || !/[\p{C}\p{Z}]/u.test(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + q;
}

/**
 * Shortest decimal that reads back as the same float32 (how NumPy prints float32 values).
 *
 * @example
 * f32String(Math.fround(1.2)); // '1.2'
 */
export function f32String(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  for (let p = 1; p < 10; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}
