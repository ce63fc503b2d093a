import type { LabelBox } from './types.js';

/** Result of parsing one YOLO label file: labels, or the reason the whole file is rejected. */
export interface ParsedLabels {
  labels: LabelBox[];
  /** Set when the file is rejected (Ultralytics skips the image as "corrupt image/label"). */
  error?: string;
  /** Number of exact duplicate rows removed (Ultralytics warns and keeps the image). */
  duplicates: number;
}

/** Rows as float32 numbers (Ultralytics reads label files with dtype float32), or a parse error. */
function parseRows(text: string): { rows: number[][] } | { error: string } {
  const rows: number[][] = [];
  const lines = text.trim().split(/\r?\n/);
  for (let li = 0; li < lines.length; li++) {
    const toks = lines[li].trim().split(/\s+/).filter((t) => t.length > 0);
    if (toks.length === 0) continue; // blank line
    const row: number[] = [];
    for (const t of toks) {
      const v = Number(t);
      if (!Number.isFinite(v)) return { error: `not a number: '${t}' on line ${li + 1}` };
      row.push(Math.fround(v));
    }
    rows.push(row);
  }
  return { rows };
}

/**
 * A row with more than 6 columns is a segment `cls x1 y1 x2 y2 ...` (Ultralytics treats the whole file
 * as segments then); its box is the polygon's min/max extent as [cls, cx, cy, w, h].
 */
function segmentToRow(row: number[], line: number): number[] | string {
  const pts = row.slice(1);
  if (pts.length % 2 !== 0 || pts.length < 2) return `segment on line ${line} has an odd number of coordinates (${pts.length})`;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < pts.length; i += 2) {
    x0 = Math.min(x0, pts[i]); x1 = Math.max(x1, pts[i]);
    y0 = Math.min(y0, pts[i + 1]); y1 = Math.max(y1, pts[i + 1]);
  }
  return [row[0], (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0];
}

/** Column-count, range and class checks of Ultralytics `verify_image_label`, in its order. */
function checkRows(rows: number[][], nc: number | undefined): string | undefined {
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].length !== 5) return `labels require 5 columns, ${rows[i].length} columns detected (line ${i + 1})`;
  }
  const big = rows.flatMap((r) => r.slice(1).filter((v) => v > 1));
  if (big.length) return `non-normalized or out of bounds coordinates ${big.join(', ')} (must be 0..1)`;
  const neg = rows.flatMap((r) => r.filter((v) => v < 0));
  if (neg.length) return `negative label values ${neg.join(', ')}`;
  for (const r of rows) {
    if (!Number.isInteger(r[0])) return `class ${r[0]} is not an integer`;
  }
  const maxCls = Math.max(...rows.map((r) => r[0]));
  // Ultralytics 8.1.4 asserts `max_cls <= nc` (off by one); a class equal to nc has no name and would
  // break the loss, so it is rejected here.
  if (nc !== undefined && maxCls >= nc) {
    return `label class ${maxCls} exceeds dataset class count ${nc}; possible class labels are 0-${nc - 1}`;
  }
  return undefined;
}

/**
 * Parse and verify the text of a YOLO label file (`cls cx cy w h` per line, normalised; segments allowed)
 * the way Ultralytics `verify_image_label` does: any bad row rejects the whole file with a reason;
 * exact duplicate rows are removed and counted. `nc` undefined skips the class-range check.
 *
 * @example
 * parseLabelText('0 0.5 0.5 0.2 0.2\n', 80); // { labels: [{ classId: 0, box: [0.5, 0.5, 0.2, 0.2] }], duplicates: 0 }
 */
export function parseLabelText(text: string, nc?: number): ParsedLabels {
  const parsed = parseRows(text);
  if ('error' in parsed) return { labels: [], error: parsed.error, duplicates: 0 };
  let rows = parsed.rows;
  if (rows.some((r) => r.length > 6)) {
    const boxes: number[][] = [];
    for (let i = 0; i < rows.length; i++) {
      const b = segmentToRow(rows[i], i + 1);
      if (typeof b === 'string') return { labels: [], error: b, duplicates: 0 };
      boxes.push(b.map((v) => Math.fround(v)));
    }
    rows = boxes;
  }
  if (rows.length === 0) return { labels: [], duplicates: 0 };
  const error = checkRows(rows, nc);
  if (error) return { labels: [], error, duplicates: 0 };
  const seen = new Set<string>();
  const labels: LabelBox[] = [];
  for (const r of rows) {
    const key = r.join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    labels.push({ classId: r[0], box: [r[1], r[2], r[3], r[4]] });
  }
  return { labels, duplicates: rows.length - labels.length };
}
