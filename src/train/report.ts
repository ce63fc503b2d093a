/**
 * Per-epoch records: Ultralytics-compatible results.csv and a results.png grid of loss and metric curves.
 */
import { esc, svgDoc, TAB10 } from '../metrics/svg.js';

/** One epoch's numbers, keyed by Ultralytics' results.csv column names. */
export type EpochRecord = Record<(typeof COLUMNS)[number], number>;

export const COLUMNS = [
  'epoch', 'train/box_loss', 'train/cls_loss', 'train/dfl_loss', 'metrics/precision(B)', 'metrics/recall(B)', 'metrics/mAP50(B)',
  'metrics/mAP50-95(B)', 'metrics/cocoAP(B)', 'lr/pg0', 'lr/pg1', 'lr/pg2', 'train/img_per_s',
] as const;

/** results.csv text (header + rows, Ultralytics right-aligned style). */
export function resultsCsv(rows: readonly EpochRecord[]): string {
  const head = COLUMNS.map((c) => c.padStart(25)).join(',');
  const body = rows.map((r) => COLUMNS.map((c) => (c === 'epoch' ? String(r[c]) : r[c].toPrecision(5)).padStart(25)).join(','));
  return `${[head, ...body].join('\n')}\n`;
}

/** Parse results.csv written by {@link resultsCsv} (for --resume). */
export function parseResultsCsv(text: string): EpochRecord[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',').map((c) => c.trim());
  return lines.filter(Boolean).map((l) => {
    const v = l.split(',').map((x) => Number(x.trim()));
    return Object.fromEntries(COLUMNS.map((c) => [c, v[cols.indexOf(c)] ?? NaN])) as EpochRecord;
  });
}

const PANELS = ['train/box_loss', 'train/cls_loss', 'train/dfl_loss', 'metrics/precision(B)', 'metrics/recall(B)', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)', 'metrics/cocoAP(B)'] as const;

/** One small panel: the series as a polyline with min/max labels. */
function panel(x0: number, y0: number, w: number, h: number, title: string, xs: number[], ys: number[], color: string): string {
  const ok = ys.filter(Number.isFinite);
  // Loops, not Math.min(...ok): a long results.csv must not overflow the call stack.
  const lo = ok.length ? ok.reduce((a, b) => Math.min(a, b)) : 0;
  const hi = ok.length ? ok.reduce((a, b) => Math.max(a, b)) : 1;
  const span = hi - lo || 1;
  const xmax = xs.reduce((a, b) => Math.max(a, b), 1);
  const pts = xs.map((x, i) => `${(x0 + (x / xmax) * w).toFixed(1)},${(y0 + h - ((ys[i] - lo) / span) * h).toFixed(1)}`).join(' ');
  return [
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="white" stroke="#888"/>`,
    `<text x="${x0 + w / 2}" y="${y0 - 6}" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<text x="${x0 - 4}" y="${y0 + 10}" text-anchor="end" font-size="10">${hi.toPrecision(3)}</text>`,
    `<text x="${x0 - 4}" y="${y0 + h}" text-anchor="end" font-size="10">${lo.toPrecision(3)}</text>`,
    `<text x="${x0}" y="${y0 + h + 14}" text-anchor="middle" font-size="10">${xs.reduce((a, b) => Math.min(a, b), xmax)}</text>`,
    `<text x="${x0 + w}" y="${y0 + h + 14}" text-anchor="middle" font-size="10">${xmax}</text>`,
    `<text x="${x0 + w / 2}" y="${y0 + h + 14}" text-anchor="middle" font-size="10">epoch</text>`,
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`,
    ...xs.map((x, i) => `<circle cx="${(x0 + (x / xmax) * w).toFixed(1)}" cy="${(y0 + h - ((ys[i] - lo) / span) * h).toFixed(1)}" r="2.5" fill="${color}"/>`),
  ].join('\n');
}

/** results.png as SVG: a 2x4 grid of loss and metric curves over epochs. */
export function resultsSvg(rows: readonly EpochRecord[]): string {
  const W = 1600;
  const H = 700;
  const pw = 330;
  const ph = 250;
  const xs = rows.map((r) => r.epoch);
  const body = PANELS.map((p, k) => {
    const col = k % 4;
    const row = Math.floor(k / 4);
    return panel(70 + col * (pw + 65), 50 + row * (ph + 80), pw, ph, p, xs, rows.map((r) => r[p]), TAB10[k % TAB10.length]);
  });
  return svgDoc(W, H, body.join('\n'));
}
