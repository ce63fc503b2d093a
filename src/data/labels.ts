/**
 * YOLO label files, read exactly as Ultralytics 8.1.4 `verify_image_label` reads them:
 * `[x.split() for x in f.read().strip().splitlines() if len(x)]` -> `np.array(rows, dtype=np.float32)`
 * (segments first when any row has more than 6 values), then its checks in its order. Every rule
 * below was checked against CPython 3.11 + NumPy 1.24 (see pytext.ts and labels.test.ts):
 * - a row that is only whitespace in the middle of the file makes the rows ragged -> file rejected;
 * - tokens convert as Python `float()` ('1_0', 'inf', 'nan', '١' are numbers; '0x1', '0b1' are not);
 * - NaN anywhere fails the range checks; inf fails them too; '-0' is 0;
 * - duplicate rows are removed and the kept rows come back sorted (np.unique(axis=0)).
 * Two deliberate differences, both stricter: a class must be an integer, and class == nc is refused
 * (Ultralytics asserts `max_cls <= nc`, off by one; such a class has no name and breaks the loss).
 */
import { f32String, isPyLineBreak, isPySpace, pyFloat, pyRepr, pyStripRange } from './pytext.js';
import type { LabelBox } from './types.js';

/** Result of parsing one YOLO label file: labels, or the reason the whole file is rejected. */
export interface ParsedLabels {
  labels: LabelBox[];
  /** Set when the file is rejected (Ultralytics skips the image as "corrupt image/label"). */
  error?: string;
  /** Number of exact duplicate rows removed (Ultralytics warns and keeps the image). */
  duplicates: number;
}

/**
 * Largest label file read (bytes): 16 MiB is ~400k boxes at 40 bytes a row, 100x the densest real
 * datasets, and keeps a hostile file's row tables under a few hundred MB.
 */
export const MAX_LABEL_BYTES = 16 << 20;

/** Most classes a dataset may have (names are allocated per class). */
export const MAX_CLASSES = 10_000;

/** Non-empty lines of the stripped text: start offset, token count and 1-based line number in the file. */
interface Rows {
  start: number[];
  count: number[];
  line: number[];
}

function scanRows(text: string): Rows {
  const [a, b] = pyStripRange(text);
  const rows: Rows = { start: [], count: [], line: [] };
  let line = 1;
  for (let i = 0; i < a; i++) {
    const c = text.charCodeAt(i);
    if (isPyLineBreak(c) && !(c === 0x0d && text.charCodeAt(i + 1) === 0x0a)) line++;
  }
  let rowStart = a, tokens = 0, inTok = false;
  for (let i = a; i <= b; i++) {
    const c = i < b ? text.charCodeAt(i) : 0x0a; // a virtual line break ends the last line
    if (isPyLineBreak(c)) {
      if (i > rowStart) {
        rows.start.push(rowStart);
        rows.count.push(tokens);
        rows.line.push(line);
      }
      if (c === 0x0d && i + 1 < b && text.charCodeAt(i + 1) === 0x0a) i++;
      line++;
      rowStart = i + 1;
      tokens = 0;
      inTok = false;
    } else if (isPySpace(c)) inTok = false;
    else if (!inTok) {
      inTok = true;
      tokens++;
    }
  }
  return rows;
}

/**
 * Converts the tokens [from, to) of the row at `start`, calling `fn` with each float32
 * value; returns the first token Python `float()` refuses, or undefined.
 */
function eachValue(text: string, start: number, from: number, to: number, fn: (v: number) => void): string | undefined {
  let k = 0;
  for (let i = start; i < text.length && k < to; ) {
    const c = text.charCodeAt(i);
    if (isPyLineBreak(c)) break;
    if (isPySpace(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && !isPySpace(text.charCodeAt(j))) j++;
    if (k++ >= from) {
      const tok = text.slice(i, j);
      const v = pyFloat(tok);
      if (v === undefined) return tok;
      fn(Math.fround(v));
    }
    i = j;
  }
  return undefined;
}

const notFloat = (tok: string, line: number): string => `could not convert string to float: ${pyRepr(tok)} (line ${line})`;

/** Plain rows (none longer than 6): all the same length (NumPy refuses ragged rows), then values. */
function boxRows(text: string, rows: Rows): { values: Float64Array; cols: number } | string {
  const n = rows.start.length, cols = rows.count[0];
  for (let i = 1; i < n; i++) {
    if (rows.count[i] !== cols) {
      return `setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (${n},) + inhomogeneous part. (line ${rows.line[0]} has ${cols} values, line ${rows.line[i]} has ${rows.count[i]})`;
    }
  }
  const values = new Float64Array(n * cols);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const bad = eachValue(text, rows.start[i], 0, Infinity, (v) => (values[p++] = v));
    if (bad !== undefined) return notFloat(bad, rows.line[i]);
  }
  return { values, cols };
}

/**
 * Segment rows `cls x1 y1 x2 y2 ...` (any row longer than 6 makes every row one, boxes included):
 * each becomes [cls, cx, cy, w, h] of its points' min/max, in float32 as NumPy computes it.
 */
function segmentRows(text: string, rows: Rows): { values: Float64Array; cols: number } | string {
  const n = rows.start.length;
  const blank = rows.count.indexOf(0);
  if (blank >= 0) return `list index out of range (line ${rows.line[blank]} is only whitespace)`;
  const values = new Float64Array(n * 5);
  for (let i = 0; i < n; i++) {
    const bad = eachValue(text, rows.start[i], 0, 1, (v) => (values[i * 5] = v));
    if (bad !== undefined) return notFloat(bad, rows.line[i]);
  }
  const f = Math.fround;
  let empty = -1;
  for (let i = 0; i < n; i++) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, k = 0;
    const bad = eachValue(text, rows.start[i], 1, Infinity, (v) => {
      // Math.min/max propagate NaN as np.min/np.max do.
      if (k++ % 2 === 0) (x0 = Math.min(x0, v)), (x1 = Math.max(x1, v));
      else (y0 = Math.min(y0, v)), (y1 = Math.max(y1, v));
    });
    if (bad !== undefined) return notFloat(bad, rows.line[i]);
    if (k % 2 !== 0) return `cannot reshape array of size ${k} into shape (2) (line ${rows.line[i]}: a segment needs x y pairs)`;
    if (k === 0 && empty < 0) empty = i;
    values.set([f(f(x0 + x1) / 2), f(f(y0 + y1) / 2), f(x1 - x0), f(y1 - y0)], i * 5 + 1);
  }
  if (empty >= 0) return `zero-size array to reduction operation minimum which has no identity (line ${rows.line[empty]} has a class but no points)`;
  return { values, cols: 5 };
}

/** NumPy-style list of some values, e.g. `[1.2 3]` (at most 10 shown). */
function list(vs: number[]): string {
  return `[${vs.slice(0, 10).map(f32String).join(' ')}${vs.length > 10 ? ' ...' : ''}]`;
}

/** The checks of verify_image_label in its order (columns, <= 1, >= 0, classes), plus ours. */
function checkValues(values: Float64Array, cols: number, rows: Rows, nc: number | undefined): string | undefined {
  if (cols !== 5) return `labels require 5 columns, ${cols} columns detected`;
  const n = values.length / 5;
  const big: number[] = [], neg: number[] = [];
  let nanPts = false, nanAny = false, maxCls = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) (nanAny = true), (nanPts ||= i % 5 !== 0);
    else if (i % 5 !== 0 && v > 1) big.push(v);
    if (v < 0) neg.push(v);
  }
  // np.max/np.min return NaN when any value is NaN, and NaN fails both comparisons.
  if (nanPts || big.length) return `non-normalized or out of bounds coordinates ${list(big)}`;
  if (nanAny || neg.length) return `negative label values ${list(neg)}`;
  for (let i = 0; i < n; i++) maxCls = Math.max(maxCls, values[i * 5]);
  const limit = nc ?? MAX_CLASSES;
  if (maxCls >= limit) {
    return nc === undefined
      ? `label class ${f32String(maxCls)} is over the ${MAX_CLASSES}-class limit`
      : Number.isFinite(maxCls) // Python's int(max_cls) formats the message; int(inf) raises instead
        ? `Label class ${BigInt(Math.trunc(maxCls))} exceeds dataset class count ${nc}. Possible class labels are 0-${nc - 1}`
        : 'cannot convert float infinity to integer (a label class is inf)';
  }
  for (let i = 0; i < n; i++) {
    const c = values[i * 5];
    if (!Number.isInteger(c)) return `class ${f32String(c)} is not an integer (line ${rows.line[i]})`;
  }
  return undefined;
}

/**
 * Row indices without exact duplicates, as np.unique(lb, axis=0, return_index=True): rows sorted by
 * value (-0 equals 0), the first occurrence of each kept. Ultralytics keeps that sorted order only
 * when something was removed; otherwise the file order stays.
 */
function uniqueRows(values: Float64Array): number[] {
  const n = values.length / 5;
  const cmp = (a: number, b: number): number => {
    for (let j = 0; j < 5; j++) {
      const d = values[a * 5 + j] - values[b * 5 + j];
      if (d !== 0) return d;
    }
    return 0;
  };
  // Stable sort: equal rows stay in file order, so the first of each run is the first occurrence.
  const order = Array.from({ length: n }, (_, i) => i).sort(cmp);
  const keep: number[] = [];
  for (let k = 0; k < n; k++) if (k === 0 || cmp(order[k - 1], order[k]) !== 0) keep.push(order[k]);
  return keep.length === n ? Array.from({ length: n }, (_, i) => i) : keep;
}

/**
 * Parse and verify the text of a YOLO label file (`cls cx cy w h` per line, normalised; segments
 * allowed) exactly as Ultralytics 8.1.4 does (see the module comment): any bad row rejects the whole
 * file with a reason in Ultralytics' words; duplicate rows are removed and counted. `nc` undefined
 * skips the class-count check (classes must still be under {@link MAX_CLASSES}).
 *
 * @example
 * parseLabelText('0 0.5 0.5 0.2 0.2\n', 80); // { labels: [{ classId: 0, box: [0.5, 0.5, 0.2, 0.2] }], duplicates: 0 }
 * parseLabelText('0 0x1 0.5 0.2 0.2\n', 80).error; // "could not convert string to float: '0x1' (line 1)"
 */
export function parseLabelText(text: string, nc?: number): ParsedLabels {
  const rows = scanRows(text);
  if (rows.start.length === 0) return { labels: [], duplicates: 0 };
  const parsed = rows.count.some((c) => c > 6) ? segmentRows(text, rows) : boxRows(text, rows);
  if (typeof parsed === 'string') return { labels: [], error: parsed, duplicates: 0 };
  const error = checkValues(parsed.values, parsed.cols, rows, nc);
  if (error) return { labels: [], error, duplicates: 0 };
  const v = parsed.values;
  const keep = uniqueRows(v);
  const labels = keep.map((i): LabelBox => ({ classId: v[i * 5] + 0, box: [v[i * 5 + 1] + 0, v[i * 5 + 2] + 0, v[i * 5 + 3] + 0, v[i * 5 + 4] + 0] }));
  return { labels, duplicates: v.length / 5 - keep.length };
}

/**
 * {@link parseLabelText} on a file's bytes, decoded as Python's `open()` does on Linux: strict UTF-8
 * (invalid bytes reject the file) and a byte-order mark kept as a character (so it rejects the file too).
 *
 * @example
 * parseLabelBytes(new TextEncoder().encode('0 0.5 0.5 0.2 0.2\n'), 80).labels.length; // 1
 */
export function parseLabelBytes(bytes: Uint8Array, nc?: number): ParsedLabels {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { labels: [], error: "'utf-8' codec can't decode the label file: it is not valid UTF-8 text", duplicates: 0 };
  }
  return parseLabelText(text, nc);
}
