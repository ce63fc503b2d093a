/**
 * `leyolo export` round trips through onnxruntime-node (LeYOLO-Nano, real images):
 * - NMS export: the in-graph NonMaxSuppression gives the detections of our predict NMS on the same
 *   letterboxed tensor (bus, zidane at 640; ORT's NMS has torchvision's semantics: strict IoU >,
 *   strict score >, ties to the lower index, float32 IoU on the class-offset boxes), also per image
 *   inside a dynamic batch of 2;
 * - static and dynamic exports load (loadOnnxBytes, the loader behind load() for .onnx) and give
 *   the detections of the .pt checkpoint;
 * - fp16 and int8 exports run and stay close to fp32 (bounds explained at each check; int8 over
 *   bus, zidane and the coco8 val images).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { Detection } from '../src/detector.js';
import { exportOnnx } from '../src/export/index.js';
import { loadOnnxBytes, onnxInfo } from '../src/node/onnx.js';
import { decodeImage } from '../src/node/decode.js';
import { letterbox, toTensor } from '../src/image/letterbox.js';
import type { RgbImage } from '../src/image/types.js';
import { fromCheckpoint } from '../src/node/load.js';
import { load } from '../src/node/model.js';
import { createSession, runSession } from '../src/node/session.js';
import { candidatesFromDecoded, nms } from '../src/postprocess/index.js';
import { parseNames, readStrides } from '../src/web/onnx-meta.js';
import { loadCheckpointFile } from '../src/weights/node.js';

const shared = fileURLToPath(new URL('../../shared/', import.meta.url));
const ck = await loadCheckpointFile(join(shared, 'weights/LeYOLONano.pt'));
const images: Record<string, RgbImage> = {
  bus: await decodeImage(join(shared, 'fixtures/images/bus.jpg')),
  zidane: await decodeImage(join(shared, 'fixtures/images/zidane.jpg')),
};
const NMS = { conf: 0.25, iou: 0.7, maxDet: 300 };

function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const i = w * h;
  return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i);
}

/** Same detections row by row: class, IoU >= minIou, |score diff| <= dScore. */
function assertSameDets(a: readonly { box: readonly number[]; score: number; classId: number }[], b: typeof a, minIou: number, dScore: number, what: string): void {
  assert.equal(b.length, a.length, `${what}: ${b.length} vs ${a.length} detections`);
  a.forEach((d, k) => {
    assert.equal(b[k].classId, d.classId, `${what} #${k} class`);
    assert.ok(iou(d.box, b[k].box) >= minIou, `${what} #${k} IoU ${iou(d.box, b[k].box)}`);
    assert.ok(Math.abs(d.score - b[k].score) <= dScore, `${what} #${k} score ${d.score} vs ${b[k].score}`);
  });
}

function rowsOf(t: ort.Tensor): { batch: number; box: number[]; score: number; classId: number }[] {
  const d = t.data as Float32Array;
  return Array.from({ length: t.dims[0] }, (_, k) => ({ batch: d[7 * k], box: Array.from(d.subarray(7 * k + 1, 7 * k + 5)), score: d[7 * k + 5], classId: d[7 * k + 6] }));
}

test('NMS export = predict NMS on the same letterboxed input (bus, zidane @640) and per image in a batch', async () => {
  const dec = await createSession(await exportOnnx(ck, { dynamic: true }), { threads: 2 });
  const withNms = await createSession(await exportOnnx(ck, { dynamic: true, nms: NMS }), { threads: 2 });
  const square: Float32Array[] = [];
  for (const [name, img] of Object.entries(images)) {
    for (const mode of ['predict', 'square'] as const) {
      const { image } = letterbox(img, { size: 640, mode, stride: 32 });
      const x = toTensor(image);
      if (mode === 'square') square.push(x);
      const d = (await runSession(dec, { images: { shape: [1, 3, image.height, image.width], data: x } })).decoded;
      const ref = nms(candidatesFromDecoded(d.data, 80, d.shape[2], NMS.conf, false, 0), NMS);
      const rows = rowsOf((await withNms.run({ images: new ort.Tensor('float32', x, [1, 3, image.height, image.width]) })).detections);
      assert.ok(ref.length >= 4, `${name}: the check needs detections`);
      assert.ok(rows.every((r) => r.batch === 0));
      // Same graph up to NMS and NMS with the same float32 semantics: identical up to 1e-3 (measured: equal).
      assertSameDets(ref, rows, 0.99, 1e-3, `${name} ${mode}`);
    }
  }
  // Dynamic batch: both squares in one call; each image's rows equal its single-image rows.
  const both = new Float32Array(square[0].length * 2);
  both.set(square[0]);
  both.set(square[1], square[0].length);
  const rows = rowsOf((await withNms.run({ images: new ort.Tensor('float32', both, [2, 3, 640, 640]) })).detections);
  for (let b = 0; b < 2; b++) {
    const single = rowsOf((await withNms.run({ images: new ort.Tensor('float32', square[b], [1, 3, 640, 640]) })).detections);
    // Batched convs may sum in another order: 1e-3 on scores, IoU 0.99 on boxes.
    assertSameDets(single, rows.filter((r) => r.batch === b), 0.99, 1e-3, `batch item ${b}`);
  }
  await dec.release();
  await withNms.release();
});

test('exported files (static/dynamic, with/without NMS) give the detections of the .pt checkpoint', async () => {
  const pt = await fromCheckpoint(ck, { imgsz: 320, threads: 2 });
  const cases = [
    { opts: { imgsz: 320 }, mode: 'square' as const },
    { opts: { imgsz: 320, nms: NMS }, mode: 'square' as const },
    { opts: { dynamic: true }, mode: 'predict' as const },
    { opts: { dynamic: true, nms: NMS }, mode: 'predict' as const },
  ];
  for (const c of cases) {
    const bytes = await exportOnnx(ck, c.opts);
    const md = onnxInfo(bytes).metadata;
    // Ultralytics' formats: names as a Python dict repr, stride as the largest stride.
    assert.deepEqual(parseNames(md.names), ck.names);
    assert.deepEqual(readStrides(md.stride), [8, 16, 32]);
    assert.equal(md.nc, '80');
    const det = await loadOnnxBytes(bytes, { imgsz: 320, threads: 2 });
    for (const [name, img] of Object.entries(images)) {
      const [ref] = await pt.detectImages([img], { conf: 0.25 }, c.mode);
      const [got] = await det.detectImages([img]); // the loader picks the letterbox (square for static files)
      // Same network; constant vs runtime-computed anchors and NMS in-graph vs in JS: 1e-4 on scores,
      // boxes in original pixels within IoU 0.999.
      assertSameDets(ref, got, 0.999, 1e-4, `${JSON.stringify(c.opts)} ${name}`);
      assert.ok(got.every((d) => d.label === ck.names[d.classId]));
    }
    await det.dispose();
  }
  await pt.dispose();
});

test('load() reads an exported .onnx like the .pt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-export-'));
  try {
    const file = join(dir, 'nano.onnx');
    writeFileSync(file, await exportOnnx(ck, { dynamic: true }));
    const a = await load({ weights: file, imgsz: 320, threads: 2 });
    const b = await fromCheckpoint(ck, { imgsz: 320, threads: 2 });
    assertSameDets(await b.detect(images.bus), await a.detect(images.bus), 0.999, 1e-4, 'load()');
    await a.dispose();
    await b.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fp16 export stays close to fp32 on bus.jpg @320', async () => {
  const pt = await fromCheckpoint(ck, { imgsz: 320, threads: 2 });
  const [ref] = await pt.detectImages([images.bus], { conf: 0.25 }, 'square');
  assert.ok(ref.length >= 4);
  // fp16: 11-bit significands through ~100 layers; measured max score diff 0.002 on bus, 0.02 over
  // coco128 (439/441 detections matched): same detections, boxes IoU >= 0.99, scores within 0.01.
  const half = await loadOnnxBytes(await exportOnnx(ck, { imgsz: 320, half: true }), { imgsz: 320, threads: 2 });
  assertSameDets(ref, (await half.detectImages([images.bus], { conf: 0.25 }))[0], 0.99, 0.01, 'fp16');
  await half.dispose();
  await pt.dispose();
});

test('int8 export (default mse ranges, most sensitive tensors in float32) agrees with fp32 @320', async () => {
  const pt = await fromCheckpoint(ck, { imgsz: 320, threads: 2 });
  // Calibrated on the 4 coco8 train images. The default export ranks tensors by sensitivity
  // (~1.5 min here) and keeps 16; the test pins the 16 it ranks first for Nano at 320 with mse
  // ranges and 64 coco-mini-train images (led by the stem's model.0/model.1 outputs and the first
  // expand conv's output; sensitivity itself is unit-tested in src/export).
  const keepFloat = [
    'model.1.c.silu', 'model.3.layers.0.c.silu', 'model.0.c.silu', 'model.35.cv3.1.2.conv.silu', 'model.1.c.conv', 'model.3.layers.0.c.conv',
    'model.3.layers.1.c.silu', 'model.35.cv3.2.2.conv.silu', 'model.4.layers.0.c.silu', 'model.5.layers.0.c.silu', 'model.35.cv3.1.0.conv.silu',
    'model.13.layers.1.c.silu', 'model.35.cv3.1.1.conv.conv', 'model.3.layers.1.c.conv', 'model.11.layers.1.c.silu', 'model.4.layers.0.c.conv',
  ];
  const dir = join(shared, 'datasets/coco8/images/train');
  const calib = readdirSync(dir).sort().map((f) => () => decodeImage(join(dir, f)));
  const bytes = await exportOnnx(ck, { imgsz: 320, int8: { images: calib, keepFloat }, threads: 2 });
  assert.deepEqual(JSON.parse(onnxInfo(bytes).metadata.leyolo_export).int8.keepFloat, keepFloat);
  const q = await loadOnnxBytes(bytes, { imgsz: 320, threads: 2 });
  const vdir = join(shared, 'datasets/coco8/images/val');
  const imgs = [images.bus, images.zidane, ...(await Promise.all(readdirSync(vdir).sort().map((f) => decodeImage(join(vdir, f)))))];
  const diffs: number[] = [];
  for (const img of imgs) {
    const [ref] = await pt.detectImages([img], { conf: 0.25 }, 'square');
    const [got] = await q.detectImages([img], { conf: 0.05 });
    const [refLow] = await pt.detectImages([img], { conf: 0.05 }, 'square');
    // Every fp32 detection (14 over the 6 images) has an int8 one of the same class and a score within
    // 0.25 (coco128 mAP50-95 is 33.98 int8 vs 33.52 fp32 with the default export). The IoU bound
    // depends on the CPU: int8 kernels differ between AVX-512 VNNI (measured min IoU 0.83 on an Intel
    // Xeon) and AVX2-only CPUs, where ORT's U8S8 kernels accumulate through saturating 16-bit pairs
    // (vpmaddubsw). On an AVX2 AMD EPYC the confident detections (score >= 0.5) still match at
    // IoU >= 0.85, but two overlapping weak horses (0.29, 0.29) come out as one box: min IoU 0.60. So:
    // IoU >= 0.8 for confident detections, >= 0.5 for the weak ones near the threshold.
    for (const d of ref) {
      const minIou = d.score >= 0.5 ? 0.8 : 0.5;
      const m = got.filter((b) => b.classId === d.classId && iou(d.box, b.box) >= minIou).sort((a, b) => Math.abs(a.score - d.score) - Math.abs(b.score - d.score))[0];
      assert.ok(m, `fp32 ${d.label} ${d.score.toFixed(3)} has no int8 match at IoU >= ${minIou}`);
      assert.ok(Math.abs(m.score - d.score) <= 0.25, `${d.label} score ${d.score.toFixed(3)} vs int8 ${m.score.toFixed(3)}`);
      diffs.push(Math.abs(m.score - d.score));
    }
    const matches = (a: Detection, list: Detection[]) => list.some((b) => b.classId === a.classId && iou(a.box, b.box) >= 0.8);
    for (const d of got.filter((x) => x.score >= 0.5)) assert.ok(matches(d, refLow), `int8 ${d.label} ${d.score.toFixed(3)} has no fp32 match`);
  }
  assert.ok(diffs.length >= 10, 'the check needs detections');
  // Mean |score diff| measured 0.03 (the earlier percentile-only export dropped scores by up to 0.35).
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  assert.ok(mean <= 0.1, `mean int8 score diff ${mean.toFixed(3)}`);
  await q.dispose();
  await pt.dispose();
});
