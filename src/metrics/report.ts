/**
 * Text reports in Ultralytics' validation layout.
 */
import type { DetResult } from './detstats.js';

/**
 * Python's `'%.Ng' % x` (general format: fixed for 1e-4 <= |x| < 10^N, else exponent; trailing
 * zeros stripped).
 *
 * @example
 * pyG(0.99500, 3); // '0.995'
 * pyG(1, 3); // '1'
 */
export function pyG(x: number, sig = 3): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, expStr] = x.toExponential(sig - 1).split('e');
  const exp = Number(expStr);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= sig) {
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${strip(mant)}e${exp < 0 ? '-' : '+'}${e}`;
  }
  return strip(x.toFixed(Math.max(0, sig - 1 - exp)));
}

/**
 * The Ultralytics val table: header `Class Images Instances Box(P R mAP50 mAP50-95)`, a first row
 * 'all' (images seen, all instances, mean P/R/mAP), then one row per class present in the labels.
 * Columns: %22s then %11s; numbers %11i and %11.3g as Ultralytics prints them. Per class, Images is
 * the number of images containing that class (Ultralytics >= 8.2; 8.1.4 repeated the total there).
 *
 * @example
 * console.log(formatUltralyticsTable(stats.compute(80, names)));
 */
export function formatUltralyticsTable(result: DetResult, opts: { perClass?: boolean } = {}): string {
  const head = ['Class', 'Images', 'Instances', 'Box(P', 'R', 'mAP50', 'mAP50-95)'];
  const row = (name: string, images: number, inst: number, vals: number[]): string =>
    name.padStart(22) + String(images).padStart(11) + String(inst).padStart(11) + vals.map((v) => pyG(v, 3).padStart(11)).join('');
  const lines = [head[0].padStart(22) + head.slice(1).map((h) => h.padStart(11)).join('')];
  lines.push(row('all', result.images, result.instances, [result.precision, result.recall, result.mAP50, result.mAP5095]));
  if (opts.perClass ?? true) {
    for (const c of result.perClass) lines.push(row(c.name, c.images, c.instances, [c.precision, c.recall, c.mAP50, c.mAP5095]));
  }
  return lines.join('\n') + '\n';
}
