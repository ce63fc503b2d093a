import sharp from 'sharp';
import type { Detection } from '../detector.js';

/** Ultralytics' 20-colour palette (hex), indexed by class id modulo 20. */
const PALETTE = ['FF3838', 'FF9D97', 'FF701F', 'FFB21D', 'CFD231', '48F90A', '92CC17', '3DDB86', '1A9334', '00D4BB', '2C99A8', '00C2FF', '344593', '6473FF', '0018EC', '8438FF', '520085', 'CB38FF', 'FF95C8', 'FF37C7'];

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A detection, or a track (with its id) to draw. */
export type Drawable = Detection & { id?: number };

/** Recent box centres per track id, drawn as trails (oldest first). */
export type Trails = ReadonlyMap<number, readonly [number, number][]>;

/**
 * SVG overlay with one rectangle and one label per detection, sized to the image: `class score`, or
 * `id:N class score` for tracks, which are coloured by id (as Ultralytics does) and may have trails.
 * Line width and font follow Ultralytics: lw = max(round((w + h) / 2 * 0.003), 2).
 */
export function overlaySvg(width: number, height: number, dets: readonly Drawable[], trails?: Trails): string {
  const lw = Math.max(Math.round(((width + height) / 2) * 0.003), 2);
  const fs = Math.max(lw * 5, 12);
  const colour = (d: Drawable) => `#${PALETTE[(d.id ?? d.classId) % PALETTE.length]}`;
  const paths = [...(trails ?? [])].filter(([, pts]) => pts.length > 1).map(([id, pts]) =>
    `<polyline points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}" fill="none" stroke="#${PALETTE[id % PALETTE.length]}" stroke-width="${lw}"/>`);
  const parts = dets.map((d) => {
    const c = colour(d);
    const [x1, y1, x2, y2] = d.box;
    const text = `${d.id === undefined ? '' : `id:${d.id} `}${esc(d.label)} ${d.score.toFixed(2)}`;
    const tw = Math.ceil(text.length * fs * 0.6) + 2 * lw;
    const th = Math.ceil(fs * 1.25);
    const ty = y1 - th >= 0 ? y1 - th : y1;
    return (
      `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="${c}" stroke-width="${lw}"/>` +
      `<rect x="${x1}" y="${ty}" width="${tw}" height="${th}" fill="${c}"/>` +
      `<text x="${x1 + lw}" y="${ty + th - fs * 0.3}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fs}" fill="#fff">${text}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${paths.join('')}${parts.join('')}</svg>`;
}

/**
 * Draw detections on an RGB image and encode it as JPEG or PNG, or return raw RGB bytes (for video
 * frames handed to ffmpeg, so no per-frame encode/decode round trip).
 *
 * @example
 * const jpg = await annotate({ width, height, data }, dets, 'jpeg');
 */
export async function annotate(img: { width: number; height: number; data: Uint8Array }, dets: readonly Drawable[], format: 'jpeg' | 'png' | 'raw' = 'jpeg', trails?: Trails): Promise<Buffer> {
  const base = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  const svg = Buffer.from(overlaySvg(img.width, img.height, dets, trails));
  const out = base.composite([{ input: svg, top: 0, left: 0 }]);
  if (format === 'raw') return out.removeAlpha().raw().toBuffer();
  return format === 'png' ? out.png().toBuffer() : out.jpeg({ quality: 90 }).toBuffer();
}
