/**
 * Validation plots as SVG strings (pure string building, browser-safe), drawn like Ultralytics'
 * matplotlib figures: PR curve, metric-confidence curves (F1/P/R) and the confusion matrix.
 * Convert to PNG with any SVG rasteriser (e.g. sharp(Buffer.from(svg)).png()).
 */
import { argmax, smooth } from './ap.js';
import { pyFixed } from './coco-summary.js';
import type { ConfusionMatrix } from './confusion.js';
import type { DetResult } from './detstats.js';
import { axes01, blues, curve, esc, legend, luminance, svgDoc, TAB10, type Frame } from './svg.js';

export interface PlotSize {
  /** Pixels (default 900 x 600, Ultralytics' 9x6 inch figure at 100 dpi). */
  width?: number;
  height?: number;
}

const frameFor = (w: number, h: number): Frame => ({ x0: 80, y0: 40, w: w - 80 - 260, h: h - 40 - 70 });

/** Mean of the given curves at every point (np.mean(axis=0)). */
function meanCurve(curves: Float64Array[], n: number): Float64Array {
  const out = new Float64Array(n);
  if (curves.length === 0) return out;
  for (const c of curves) for (let j = 0; j < n; j++) out[j] += c[j];
  for (let j = 0; j < n; j++) out[j] /= curves.length;
  return out;
}

/** Per-class style: coloured with a legend entry below 21 classes, thin grey lines otherwise (as Ultralytics). */
function classStyle(i: number, nClasses: number): { color: string; labelled: boolean } {
  return nClasses < 21 ? { color: TAB10[i % TAB10.length], labelled: true } : { color: '#808080', labelled: false };
}

/**
 * Precision-recall curve at IoU 0.5: one thin line per class, thick blue mean line labelled
 * "all classes X mAP@0.5".
 *
 * @example
 * writeFileSync('PR_curve.svg', prCurveSvg(stats.compute(80, names)));
 */
export function prCurveSvg(result: DetResult, size: PlotSize = {}): string {
  const W = size.width ?? 900;
  const H = size.height ?? 600;
  const f = frameFor(W, H);
  const px = result.curves.px;
  const body: string[] = [axes01(f, 'Recall', 'Precision', 'Precision-Recall Curve')];
  const items: { label: string; color: string; width: number }[] = [];
  const present: Float64Array[] = [];
  result.perClass.forEach((c, i) => {
    const y = result.curves.prCurve[i];
    if (!y) return;
    present.push(y);
    const st = classStyle(i, result.perClass.length);
    body.push(curve(f, px, y, st.color, 1));
    if (st.labelled) items.push({ label: `${c.name} ${pyFixed(c.mAP50, 3)}`, color: st.color, width: 1.5 });
  });
  body.push(curve(f, px, meanCurve(present, px.length), '#0000ff', 3));
  items.push({ label: `all classes ${pyFixed(result.mAP50, 3)} mAP@0.5`, color: '#0000ff', width: 3 });
  body.push(legend(f.x0 + f.w + 12, f.y0, items));
  return svgDoc(W, H, body.join('\n'));
}

/** Which per-class curve a metric-confidence plot shows. */
export type CurveMetric = 'F1' | 'Precision' | 'Recall';

/**
 * Metric-confidence curve (Ultralytics plot_mc_curve): per-class lines and a thick blue
 * smooth(mean, 0.05) line labelled "all classes <max> at <confidence>".
 *
 * @example
 * const svg = mcCurveSvg(result, 'F1'); // F1_curve
 */
export function mcCurveSvg(result: DetResult, metric: CurveMetric = 'F1', size: PlotSize = {}): string {
  const W = size.width ?? 900;
  const H = size.height ?? 600;
  const f = frameFor(W, H);
  const px = result.curves.px;
  const curves = metric === 'F1' ? result.curves.f1 : metric === 'Precision' ? result.curves.p : result.curves.r;
  const body: string[] = [axes01(f, 'Confidence', metric, `${metric}-Confidence Curve`)];
  const items: { label: string; color: string; width: number }[] = [];
  curves.forEach((y, i) => {
    const st = classStyle(i, curves.length);
    body.push(curve(f, px, y, st.color, 1));
    if (st.labelled) items.push({ label: result.perClass[i]?.name ?? String(i), color: st.color, width: 1.5 });
  });
  const y = smooth(meanCurve(curves, px.length), 0.05);
  const best = argmax(y);
  body.push(curve(f, px, y, '#0000ff', 3));
  items.push({ label: `all classes ${pyFixed(y[best], 2)} at ${pyFixed(px[best], 3)}`, color: '#0000ff', width: 3 });
  body.push(legend(f.x0 + f.w + 12, f.y0, items));
  return svgDoc(W, H, body.join('\n'));
}

/** F1-confidence curve (shorthand for mcCurveSvg(result, 'F1')). */
export function f1CurveSvg(result: DetResult, size: PlotSize = {}): string {
  return mcCurveSvg(result, 'F1', size);
}

/** Tick labels and cell sizes of the confusion-matrix heatmap. */
function cmLayout(n: number, W: number, H: number) {
  const side = Math.min(W - 260, H - 190);
  return { x0: 170, y0: 50, cell: side / n, side };
}

/**
 * Confusion matrix heatmap (Blues), rows = Predicted, columns = True, last row/column background.
 * Normalised by column by default; cells < 0.005 stay blank; values annotated below 30 classes;
 * tick labels are the class names (plus 'background') when 0 < names < 99 and names match nc.
 *
 * @example
 * const svg = confusionMatrixSvg(cm, names); // confusion_matrix_normalized
 */
export function confusionMatrixSvg(cm: ConfusionMatrix, names: readonly string[] = [], opts: { normalize?: boolean } & PlotSize = {}): string {
  const normalize = opts.normalize ?? true;
  const W = opts.width ?? 1200;
  const H = opts.height ?? 900;
  const n = cm.nc + 1;
  const arr = normalize ? cm.normalized() : cm.matrix;
  // A loop, not Math.max(...arr): (nc+1)^2 values overflow the call stack for large nc.
  let vmax = 1e-9;
  for (const v of arr) if (v >= 0.005 && v > vmax) vmax = v;
  const L = cmLayout(n, W, H);
  const useNames = names.length > 0 && names.length < 99 && names.length === cm.nc;
  const labels = useNames ? [...names, 'background'] : Array.from({ length: n }, (_, i) => String(i));
  const body: string[] = [];
  const fs = Math.max(5, Math.min(12, L.cell * 0.45));
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = arr[r * n + c];
      if (!(v >= 0.005)) continue; // NaN in Ultralytics: not drawn, not annotated
      const rgb = blues(v / vmax);
      const x = L.x0 + c * L.cell;
      const y = L.y0 + r * L.cell;
      body.push(`<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${L.cell.toFixed(2)}" height="${L.cell.toFixed(2)}" fill="rgb(${rgb.join(',')})"/>`);
      if (cm.nc < 30) {
        const txt = normalize ? pyFixed(v, 2) : String(Math.round(v));
        const col = luminance(rgb) > 0.408 ? 'black' : 'white';
        body.push(`<text x="${(x + L.cell / 2).toFixed(2)}" y="${(y + L.cell / 2 + fs / 3).toFixed(2)}" font-size="${fs.toFixed(1)}" text-anchor="middle" fill="${col}">${txt}</text>`);
      }
    }
  }
  body.push(`<rect x="${L.x0}" y="${L.y0}" width="${L.side}" height="${L.side}" fill="none" stroke="#333" stroke-width="0.5"/>`);
  body.push(cmTicks(labels, L));
  body.push(colorbar(L.x0 + L.side + 30, L.y0, L.side, vmax));
  const title = normalize ? 'Confusion Matrix Normalized' : 'Confusion Matrix';
  body.push(`<text x="${L.x0 + L.side / 2}" y="${L.y0 - 18}" text-anchor="middle" font-size="16">${title}</text>`);
  const tickFs = Math.max(5, Math.min(12, L.cell * 0.8));
  const trueY = Math.min(H - 12, L.y0 + L.side + Math.max(...labels.map((s) => s.length)) * tickFs * 0.62 + 28);
  body.push(`<text x="${L.x0 + L.side / 2}" y="${trueY.toFixed(1)}" text-anchor="middle" font-size="15">True</text>`);
  body.push(`<text x="22" y="${L.y0 + L.side / 2}" text-anchor="middle" font-size="15" transform="rotate(-90 22 ${L.y0 + L.side / 2})">Predicted</text>`);
  return svgDoc(W, H, body.join('\n'));
}

/** Row labels on the left, column labels rotated under the matrix. */
function cmTicks(labels: string[], L: { x0: number; y0: number; cell: number; side: number }): string {
  const fs = Math.max(5, Math.min(12, L.cell * 0.8));
  return labels
    .map((lab, i) => {
      const m = (i + 0.5) * L.cell;
      const ty = L.y0 + m + fs / 3;
      const tx = L.x0 + m + fs / 3;
      const by = L.y0 + L.side + 6;
      return (
        `<text x="${L.x0 - 6}" y="${ty.toFixed(2)}" text-anchor="end" font-size="${fs.toFixed(1)}">${esc(lab)}</text>\n` +
        `<text x="${tx.toFixed(2)}" y="${by}" text-anchor="end" font-size="${fs.toFixed(1)}" transform="rotate(-90 ${tx.toFixed(2)} ${by})">${esc(lab)}</text>`
      );
    })
    .join('\n');
}

/** Vertical Blues colour bar from 0 to vmax with 5 ticks. */
function colorbar(x: number, y: number, h: number, vmax: number): string {
  const steps = 50;
  const parts: string[] = [];
  for (let i = 0; i < steps; i++) {
    const rgb = blues(1 - (i + 0.5) / steps);
    parts.push(`<rect x="${x}" y="${(y + (i * h) / steps).toFixed(2)}" width="18" height="${(h / steps + 0.5).toFixed(2)}" fill="rgb(${rgb.join(',')})"/>`);
  }
  parts.push(`<rect x="${x}" y="${y}" width="18" height="${h}" fill="none" stroke="#333" stroke-width="0.5"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (vmax * i) / 4;
    const ty = y + h - (h * i) / 4;
    parts.push(`<text x="${x + 24}" y="${(ty + 4).toFixed(2)}" font-size="12">${pyFixed(v, 2)}</text>`);
  }
  return parts.join('\n');
}
