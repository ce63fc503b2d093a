// Byte-for-byte parity of decode -> letterbox -> tensor with the official Ultralytics 8.1.4
// preprocessing (cv2.imread + cv2.resize INTER_LINEAR + copyMakeBorder, OpenCV 4.6), using the golden
// fixtures in ../shared/fixtures/{nano,small-grapes}. No tolerances anywhere: every byte must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/node/decode.js';
import { letterbox, toTensor } from '../src/image/letterbox.js';
import type { RgbImage } from '../src/image/types.js';

const shared = fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));

interface LetterboxFacts {
  imgsz: [number, number];
  auto_min_rect: boolean;
  stride: number;
  scale_r: number;
  resized_wh: [number, number];
  pad_top: number;
  pad_left: number;
  out_hw: [number, number];
}
interface FixtureCase {
  source_image?: string;
  letterbox?: LetterboxFacts;
  files: Record<string, { file: string; shape?: number[] }>;
}

const decoded = new Map<string, Promise<RgbImage>>();
function decodeOnce(path: string): Promise<RgbImage> {
  let p = decoded.get(path);
  if (p === undefined) {
    p = decodeImage(path);
    decoded.set(path, p);
  }
  return p;
}

/** Index of the first differing byte, or -1 (a clearer failure than a 2 MB deepEqual diff). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

for (const set of ['nano', 'small-grapes']) {
  const dir = `${shared}${set}/`;
  const manifestPath = `${dir}manifest.json`;
  if (!existsSync(manifestPath)) {
    test(`${set}: fixtures present`, { skip: `missing ${manifestPath}` }, () => {});
    continue;
  }
  const cases = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { cases: Record<string, FixtureCase> }).cases;
  for (const [name, c] of Object.entries(cases)) {
    const lb = c.letterbox;
    if (lb === undefined || c.source_image === undefined || c.files.letterboxed_rgb_u8_hwc === undefined) continue;
    const imagePath = `${shared}images/${basename(c.source_image)}`;

    test(`${set}/${name}: decode, letterbox and tensor are byte-identical to Ultralytics`, async () => {
      const img = await decodeOnce(imagePath);
      const orig = c.files.orig_bgr_u8_hwc;
      if (orig !== undefined) {
        const bgr = readFileSync(dir + orig.file);
        const rgb = new Uint8Array(bgr.length);
        for (let i = 0; i < bgr.length; i += 3) {
          rgb[i] = bgr[i + 2];
          rgb[i + 1] = bgr[i + 1];
          rgb[i + 2] = bgr[i];
        }
        assert.deepEqual([img.height, img.width, 3], orig.shape);
        assert.equal(firstDiff(img.data, rgb), -1, 'decoded pixels differ from cv2.imread');
      }

      const mode = lb.auto_min_rect ? 'predict' : 'square';
      const out = letterbox(img, { size: lb.imgsz, mode, stride: lb.stride });
      assert.deepEqual([out.image.height, out.image.width], lb.out_hw);
      assert.equal(out.padX, lb.pad_left);
      assert.equal(out.padY, lb.pad_top);
      assert.equal(out.ratio, lb.scale_r);
      const refLb = readFileSync(dir + c.files.letterboxed_rgb_u8_hwc.file);
      assert.equal(firstDiff(out.image.data, refLb), -1, 'letterboxed pixels differ');

      const refIn = readFileSync(dir + c.files.input.file);
      const t = toTensor(out.image);
      const tb = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
      assert.equal(firstDiff(tb, refIn), -1, 'input tensor differs (float32 bits)');
    });
  }
}
