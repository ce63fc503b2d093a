/**
 * loadOnnxBytes on broken, hostile and non-detector files (the tester's findings): typed errors
 * instead of raw parser errors, garbage boxes, hangs or crashes; valid files still load and detect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeyoloError } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { Graph, serializeModel } from '../onnx/ir.js';
import { controlFlowGraph, edit, identityGraph, tinyDetector } from '../../tests/fuzz/gen/onnx-graphs.js';
import { loadOnnxBytes } from './onnx.js';

const shared = resolve(fileURLToPath(new URL('../../../shared/', import.meta.url)));
const nano320 = resolve(shared, 'reference/onnx/leyolonano_320.onnx');
const image: RgbImage = { width: 96, height: 64, data: Uint8Array.from({ length: 96 * 64 * 3 }, (_, i) => (i * 31) & 255) };
const opts = { imgsz: 64, threads: 1 };

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof LeyoloError, `not a LeyoloError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('garbage bytes are BAD_MODEL with a hint (was a raw protobufjs error)', async () => {
  await assert.rejects(loadOnnxBytes(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), opts), (e: unknown) => {
    assert.ok(e instanceof LeyoloError && e.code === 'BAD_MODEL' && /export or download it again/.test(e.hint), String(e));
    return true;
  });
});

test('an Identity graph is refused before running (was decoded as garbage boxes)', async () => {
  await rejects(loadOnnxBytes(identityGraph(64), opts), 'BAD_MODEL', /not \[N, 4\+nc, anchors\]/);
});

test('a Loop of 1e15 iterations is refused, not run (was a hang)', async () => {
  await rejects(loadOnnxBytes(controlFlowGraph('Loop'), opts), 'BAD_MODEL', /\(Loop\) has a subgraph/);
});

test('a metadata nc smaller than the graph\'s classes is refused (was accepted)', async () => {
  await rejects(loadOnnxBytes(tinyDetector({ nc: 3, metadata: { nc: '2' } }), opts), 'BAD_MODEL', /nc=2 but the graph outputs 3/);
});

test('a valid tiny detector loads, detects and disposes; static and dynamic', async () => {
  for (const size of [64, 'dynamic'] as const) {
    const det = await loadOnnxBytes(tinyDetector({ size, metadata: { names: '["cat", "dog"]' } }), opts);
    assert.deepEqual(det.meta.names, ['cat', 'dog']);
    const dets = await det.detect(image, { conf: 0.01 });
    assert.ok(dets.length > 0 && dets.every((d) => d.label === 'cat' || d.label === 'dog'), `${size}: ${dets.length} detections`);
    await det.dispose();
  }
});

test('symbolic shapes that come out wrong at run time are BAD_MODEL, not garbage boxes', async () => {
  // Only the stride-8 and -16 maps: 64 + 16 anchors where strides 8/16/32 on 64x64 give 84.
  const det = await loadOnnxBytes(tinyDetector({ size: 'dynamic', levels: [8, 16], metadata: { nc: '2' } }), opts);
  await rejects(det.detect(image), 'BAD_MODEL', /came out as \[1, 6, 80\], expected \[1, 6, 84\]/);
  await det.dispose();
});

test('an NMS-shaped output with rows outside the batch or the classes is BAD_MODEL (was a TypeError)', async () => {
  const g = new Graph('fake-nms');
  g.input('images', 'float32', [1, 3, 64, 64]);
  g.constF('rows', [1, 7], [5, 1, 2, 3, 4, 0.9, 0]); // batch index 5 of a batch of 1
  g.op('Identity', ['rows'], {}, 'detections');
  g.output('detections', 'float32', ['k', 7]);
  const det = await loadOnnxBytes(serializeModel(g, { metadata: { nc: '2' } }), opts);
  await rejects(det.detect(image), 'BAD_MODEL', /detections row 0/);
  await det.dispose();
});

test('a file onnxruntime refuses after validation is BAD_MODEL with the cause kept', async () => {
  const broken = edit(tinyDetector(), (m) => {
    const cat = m.graph!.node!.find((n) => n.opType === 'Concat')!;
    cat.attribute![0].i = 7; // axis 7 of a rank-3 tensor
  });
  await assert.rejects(loadOnnxBytes(broken, opts), (e: unknown) => {
    assert.ok(e instanceof LeyoloError && e.code === 'BAD_MODEL' && e.cause instanceof Error, String(e));
    return true;
  });
});

test('the official nano export still loads and finds the bus', { skip: !existsSync(nano320) && 'no ../shared' }, async () => {
  const { decodeImage } = await import('./decode.js');
  const det = await loadOnnxBytes(new Uint8Array(readFileSync(nano320)), { imgsz: 640, threads: 2 });
  assert.equal(det.meta.imgsz, 320); // the static file's size wins
  const dets = await det.detect(await decodeImage(resolve(shared, 'fixtures/images/bus.jpg')));
  assert.ok(dets.some((d) => d.label === 'bus') && dets.some((d) => d.label === 'person'), JSON.stringify(dets.map((d) => d.label)));
  await det.dispose();
});
