/**
 * Things fuzz cases share inside one worker process: the official Nano loaded once (at 320, the
 * cheapest size), and files from ../shared read once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { load, type Model } from '../../src/node/model.js';
import type { Detection } from '../../src/detector.js';

let nano: Promise<Model> | undefined;
const files = new Map<string, Uint8Array>();

/** The official Nano at imgsz 320, loaded on first use and kept for the worker's life. */
export function nanoModel(shared: string): Promise<Model> {
  nano ??= load({ weights: join(shared, 'weights', 'LeYOLONano.pt'), imgsz: 320, threads: 1 });
  return nano;
}

/** A file under ../shared, read once. */
export function sharedFile(shared: string, rel: string): Uint8Array {
  const p = join(shared, rel);
  let b = files.get(p);
  if (!b) files.set(p, (b = new Uint8Array(readFileSync(p))));
  return b;
}

/** Every detection is finite, inside the image, with a score in (0, 1] and a known class. */
export function assertSaneDetections(dets: readonly Detection[], width: number, height: number, nc = 80): void {
  assert.ok(Array.isArray(dets), 'detections are an array');
  for (const d of dets) {
    const [x1, y1, x2, y2] = d.box;
    // 1e-3 px: boxes are clipped to the image in float32 then widened to float64 for JSON.
    assert.ok(d.box.every(Number.isFinite) && x1 >= -1e-3 && y1 >= -1e-3 && x2 <= width + 1e-3 && y2 <= height + 1e-3 && x1 <= x2 && y1 <= y2, `box ${d.box.join(',')} outside ${width}x${height}`);
    assert.ok(d.score > 0 && d.score <= 1, `score ${d.score}`);
    assert.ok(Number.isInteger(d.classId) && d.classId >= 0 && d.classId < nc, `class ${d.classId}`);
  }
}
