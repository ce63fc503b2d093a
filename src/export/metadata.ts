/**
 * ONNX metadata of leyolo exports: the keys and value formats of an official Ultralytics export
 * (what Ultralytics' AutoBackend reads: `stride` and `batch` through int(), `imgsz` and `names`
 * through eval(), so `YOLO('model.onnx')` predicts with our files), then leyolo's own keys.
 *
 * | key | format (as Ultralytics 8.1.4 writes it) |
 * |---|---|
 * | description, author, license | free text |
 * | date | Python `datetime.isoformat()` |
 * | version | Ultralytics version, e.g. `8.1.4` |
 * | stride | the largest stride, an int: `32` |
 * | task | `detect` |
 * | batch | an int: `1` |
 * | imgsz | Python list `[640, 640]` (height, width) |
 * | names | Python dict repr `{0: 'person', 1: 'bicycle'}` |
 * | nc, scale, leyolo_export, detections_layout | leyolo's: class count, scale name, JSON of the export settings, the NMS output layout |
 */
import type { ResolvedModel } from '../model/resolve.js';
import { isoNow, ultralyticsVersion } from '../weights/pt-writer.js';
import type { Checkpoint } from '../weights/pt.js';

/**
 * Python's `repr()` of a str: single quotes unless the text has ' and no ", escapes as CPython.
 *
 * @example
 * pyStr("it's"); // `"it's"`
 */
export function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\' || ch === q) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    // Not printable for Python (controls, format, surrogates, private use, unassigned, separators but ' ').
    else if (ch !== ' ' && /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}]/u.test(ch)) {
      out += cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + q;
}

/**
 * Class names as Ultralytics writes them: the repr of `{index: name}`.
 *
 * @example
 * pyNames(['person', "it's"]); // `{0: 'person', 1: "it's"}`
 */
export function pyNames(names: readonly string[]): string {
  return `{${names.map((n, i) => `${i}: ${pyStr(n)}`).join(', ')}}`;
}

/** What {@link exportMetadata} describes. */
export interface MetadataInput {
  ck: Checkpoint;
  m: ResolvedModel;
  /** Class names, exactly nc of them. */
  names: readonly string[];
  imgsz: number;
  /** Fixed batch size (dynamic exports write 1, as Ultralytics does). */
  batch: number;
  /** JSON of the export settings (`leyolo_export`). */
  settings: unknown;
  /** Layout of the NMS output, when there is one. */
  detectionsLayout?: string;
  /** `date` (default: the checkpoint's, so that exports of one checkpoint are byte-identical; else now). */
  date?: string;
}

/**
 * The metadata of one export: Ultralytics' keys in Ultralytics' order and formats, then leyolo's.
 *
 * @example
 * exportMetadata({ ck, m, names: ck.names, imgsz: 640, batch: 1, settings }).stride; // '32'
 */
export function exportMetadata(o: MetadataInput): Record<string, string> {
  const data = o.ck.meta.trainArgs?.data;
  return {
    description: `LeYOLO-${o.m.scale} model${typeof data === 'string' ? ` trained on ${data}` : ''} (exported by leyolo)`,
    author: 'leyolo',
    license: 'AGPL-3.0 https://www.gnu.org/licenses/agpl-3.0.html',
    date: o.date ?? o.ck.meta.date ?? isoNow(),
    version: ultralyticsVersion(o.ck),
    stride: String(Math.max(...o.m.strides)),
    task: 'detect',
    batch: String(o.batch),
    imgsz: `[${o.imgsz}, ${o.imgsz}]`,
    names: pyNames(o.names),
    nc: String(o.m.nc),
    scale: o.m.scale,
    leyolo_export: JSON.stringify(o.settings),
    ...(o.detectionsLayout ? { detections_layout: o.detectionsLayout } : {}),
  };
}
