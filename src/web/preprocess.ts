/**
 * Fused browser preprocessing: RGBA (or RGB) pixels -> letterboxed float32 NCHW tensor in one pass,
 * byte-for-byte the same tensor as `toTensor(letterbox(rgb, { mode: 'predict' | 'square' }).image)`.
 *
 * Why: the generic path converts RGBA -> RGB (a full-resolution copy), resizes into a new buffer,
 * pads into another, then converts to float: ~10 ms of a ~84 ms frame at 640x480 -> 320. Here the
 * cv2 INTER_LINEAR row driver of src/image/resize.ts reads the canvas RGBA directly and the vertical
 * pass writes float planes; the tensor, its padding and the axis tables are
 * reused while the geometry is unchanged (a video loop allocates nothing per frame).
 */
import { PAD_VALUE, planLetterbox, scaleBoxesInfo, type PadPlan } from '../image/letterbox.js';
import { linearRows, resizeLinearRows, type LinearRows } from '../image/resize.js';
import type { LetterboxInfo } from '../image/types.js';

/** Interleaved 8-bit pixels: RGB (channels 3) or RGBA from a canvas (channels 4; alpha ignored). */
export interface Pixels {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** The letterboxed input: `tensor` is [1, 3, height, width] in [0, 1]; `info` maps boxes back. */
export interface LetterboxedTensor {
  tensor: Float32Array;
  width: number;
  height: number;
  info: LetterboxInfo;
}

interface Plan extends PadPlan {
  /** Letterboxed width and height (resized size plus borders). */
  W: number;
  H: number;
}

const LUT = Float32Array.from({ length: 256 }, (_, v) => v / 255); // float32(v / 255), as toTensor

/** Ultralytics LetterBox geometry (scaleup=True) into a size x size target; 'predict' pads to the next stride multiple. */
function plan(w: number, h: number, size: number, auto: boolean, stride: number): Plan {
  const p = planLetterbox(w, h, size, size, auto, true, stride);
  return { ...p, W: p.newW + p.left + p.right, H: p.newH + p.top + p.bottom };
}

/**
 * Reusable letterbox-to-tensor converter (one per detector).
 *
 * @example
 * const lb = new Letterboxer();
 * const { tensor, width, height, info } = lb.run({ width: 640, height: 480, channels: 4, data: rgba }, 320, 'predict');
 * // width 320, height 256: tensor is [1, 3, 256, 320]
 */
export class Letterboxer {
  private key = '';
  private tensor = new Float32Array(0);
  private rows: LinearRows | null = null;

  run(px: Pixels, size: number, mode: 'predict' | 'square', stride = 32): LetterboxedTensor {
    const p = plan(px.width, px.height, size, mode === 'predict', stride);
    this.prepare(px, p);
    if (p.newW === px.width && p.newH === px.height) this.copy(px, p);
    else this.resize(px, p);
    return { tensor: this.tensor, width: p.W, height: p.H, info: scaleBoxesInfo(px.width, px.height, p.W, p.H) };
  }

  /** (Re)build buffers and tables when the geometry changes; the pad value is written only then. */
  private prepare(px: Pixels, p: Plan): void {
    const key = [px.width, px.height, p.W, p.H, p.newW, p.newH, p.top, p.left].join(',');
    if (key === this.key) return;
    this.key = key;
    this.tensor = new Float32Array(3 * p.W * p.H).fill(LUT[PAD_VALUE]);
    this.rows = linearRows(px.width, px.height, p.newW, p.newH, 3);
  }

  /** Unchanged size: cv2 skips the resize, so the bytes are copied as they are. */
  private copy(px: Pixels, p: Plan): void {
    const { data, channels: cn } = px;
    const plane = p.W * p.H;
    const t = this.tensor;
    for (let y = 0; y < p.newH; y++) {
      let o = (y + p.top) * p.W + p.left;
      for (let x = 0, s = y * px.width * cn; x < p.newW; x++, o++, s += cn) {
        t[o] = LUT[data[s]];
        t[plane + o] = LUT[data[s + 1]];
        t[2 * plane + o] = LUT[data[s + 2]];
      }
    }
  }

  /** cv2.resize(INTER_LINEAR) rows (the shared row driver) written straight into the float planes. */
  private resize(px: Pixels, p: Plan): void {
    const plane = p.W * p.H;
    resizeLinearRows(px.data, px.width, px.height, px.channels, this.rows as LinearRows,
      (r0, r1, b0, b1, dy) => this.vresize(r0, r1, b0, b1, (dy + p.top) * p.W + p.left, plane));
  }

  /** Vertical pass (OpenCV's VResizeLinear formula, see resize.ts) -> bytes -> float planes. */
  private vresize(r0: Int32Array, r1: Int32Array, b0: number, b1: number, dst: number, plane: number): void {
    const t = this.tensor;
    const n = r0.length / 3;
    for (let x = 0, i = 0; x < n; x++, i += 3) {
      const o = dst + x;
      t[o] = LUT[((((r0[i] >> 4) * b0) >> 16) + (((r1[i] >> 4) * b1) >> 16) + 2) >> 2];
      t[plane + o] = LUT[((((r0[i + 1] >> 4) * b0) >> 16) + (((r1[i + 1] >> 4) * b1) >> 16) + 2) >> 2];
      t[2 * plane + o] = LUT[((((r0[i + 2] >> 4) * b0) >> 16) + (((r1[i + 2] >> 4) * b1) >> 16) + 2) >> 2];
    }
  }
}
