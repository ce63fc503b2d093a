/**
 * Drawing and readouts of the demo page: the frame, its boxes with labels, FPS and ms/frame.
 */
import type { Detection } from '../src/web/index.js';

/** Distinct, stable colour per class id (golden-angle hue steps). */
function colour(classId: number): string {
  return `hsl(${(classId * 137.508) % 360} 90% 55%)`;
}

/** Draw `frame` at its natural size on `canvas`, then every detection's box and label. */
export function drawFrame(canvas: HTMLCanvasElement, frame: CanvasImageSource, w: number, h: number, dets: readonly (Detection & { id?: number })[]): void {
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.drawImage(frame, 0, 0, w, h);
  const line = Math.max(2, Math.round(Math.max(w, h) / 320));
  ctx.lineWidth = line;
  ctx.font = `${Math.max(12, line * 6)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const d of dets) {
    const [x1, y1, x2, y2] = d.box;
    const c = colour(d.id ?? d.classId); // tracks are coloured by id
    ctx.strokeStyle = c;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.id === undefined ? '' : `id:${d.id} `}${d.label} ${d.score.toFixed(2)}`;
    const tw = ctx.measureText(text).width + 6;
    const th = line * 6 + 4;
    const ty = y1 - th >= 0 ? y1 - th : y1;
    ctx.fillStyle = c;
    ctx.fillRect(x1, ty, tw, th);
    ctx.fillStyle = '#000';
    ctx.fillText(text, x1 + 3, ty + 2);
  }
}

/**
 * Frame-time statistics for the readout: ms/frame is the mean detect() time over the last
 * `window` frames; FPS counts completed frames over the last second of wall time.
 */
export class FrameMeter {
  private readonly ms: number[] = [];
  private readonly stamps: number[] = [];
  constructor(private readonly window = 30) {}

  add(msThisFrame: number, now = performance.now()): void {
    this.ms.push(msThisFrame);
    if (this.ms.length > this.window) this.ms.shift();
    this.stamps.push(now);
    while (this.stamps.length > 0 && now - this.stamps[0] > 1000) this.stamps.shift();
  }

  get msPerFrame(): number {
    return this.ms.length ? this.ms.reduce((a, b) => a + b, 0) / this.ms.length : NaN;
  }

  /** Frames in the last second; for a single still image, 1000 / ms. */
  get fps(): number {
    return this.stamps.length > 1 ? this.stamps.length : 1000 / this.msPerFrame;
  }

  reset(): void {
    this.ms.length = 0;
    this.stamps.length = 0;
  }
}
