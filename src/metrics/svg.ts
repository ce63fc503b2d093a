/**
 * Tiny SVG string helpers shared by the metric plots (pure strings, browser-safe).
 */

/** Escapes text for SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** matplotlib 'tab10' colours (the default colour cycle of per-class curves). */
export const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** ColorBrewer 'Blues' stops (matplotlib's Blues colormap is built from these 9 colours). */
const BLUES = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

function hexRgb(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

/** Blues colormap at t in [0,1] as [r,g,b] 0..255 (linear between the 9 stops). */
export function blues(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexRgb(BLUES[i]);
  const b = hexRgb(BLUES[i + 1]);
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** Relative luminance (sRGB), used like seaborn to pick black or white annotation text. */
export function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number): number => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

/** Axes box with 0..1 ticks on both axes, axis labels and a title (matplotlib-like). */
export function axes01(f: Frame, xlabel: string, ylabel: string, title: string): string {
  const parts: string[] = [`<rect x="${f.x0}" y="${f.y0}" width="${f.w}" height="${f.h}" fill="white" stroke="black" stroke-width="1"/>`];
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    const x = f.x0 + v * f.w;
    const y = f.y0 + f.h - v * f.h;
    parts.push(`<line x1="${x}" y1="${f.y0 + f.h}" x2="${x}" y2="${f.y0 + f.h + 5}" stroke="black"/>`);
    parts.push(`<text x="${x}" y="${f.y0 + f.h + 20}" text-anchor="middle" font-size="13">${v.toFixed(1)}</text>`);
    parts.push(`<line x1="${f.x0 - 5}" y1="${y}" x2="${f.x0}" y2="${y}" stroke="black"/>`);
    parts.push(`<text x="${f.x0 - 9}" y="${y + 4}" text-anchor="end" font-size="13">${v.toFixed(1)}</text>`);
  }
  parts.push(`<text x="${f.x0 + f.w / 2}" y="${f.y0 + f.h + 44}" text-anchor="middle" font-size="15">${esc(xlabel)}</text>`);
  const yl = f.x0 - 48;
  const ym = f.y0 + f.h / 2;
  parts.push(`<text x="${yl}" y="${ym}" text-anchor="middle" font-size="15" transform="rotate(-90 ${yl} ${ym})">${esc(ylabel)}</text>`);
  parts.push(`<text x="${f.x0 + f.w / 2}" y="${f.y0 - 12}" text-anchor="middle" font-size="16">${esc(title)}</text>`);
  return parts.join('\n');
}

/** A polyline of y(x) for x, y in [0,1] (y clipped to the frame), 1 decimal pixel precision. */
export function curve(f: Frame, xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, width: number): string {
  const pts: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    const y = Math.min(1, Math.max(0, Number.isFinite(ys[i]) ? ys[i] : 0));
    pts.push(`${(f.x0 + xs[i] * f.w).toFixed(1)},${(f.y0 + f.h - y * f.h).toFixed(1)}`);
  }
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" points="${pts.join(' ')}"/>`;
}

/** Legend box placed right of the axes (matplotlib bbox_to_anchor=(1.04, 1), loc='upper left'). */
export function legend(x: number, y: number, items: { label: string; color: string; width: number }[]): string {
  if (items.length === 0) return '';
  const lh = 18;
  const w = Math.max(...items.map((i) => i.label.length)) * 7.2 + 48;
  const parts = [`<rect x="${x}" y="${y}" width="${w}" height="${items.length * lh + 10}" fill="white" stroke="#cccccc" rx="3"/>`];
  items.forEach((it, i) => {
    const cy = y + 14 + i * lh;
    parts.push(`<line x1="${x + 8}" y1="${cy}" x2="${x + 32}" y2="${cy}" stroke="${it.color}" stroke-width="${it.width}"/>`);
    parts.push(`<text x="${x + 38}" y="${cy + 4}" font-size="12">${esc(it.label)}</text>`);
  });
  return parts.join('\n');
}

/** Wraps body elements in an SVG document of the given pixel size (white background, sans-serif). */
export function svgDoc(width: number, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="DejaVu Sans, Arial, Helvetica, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`
  );
}
