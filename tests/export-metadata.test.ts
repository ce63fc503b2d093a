/**
 * Exports carry the metadata of an official Ultralytics export (../shared/reference/onnx), in the
 * official formats, so Ultralytics' AutoBackend loads them (it int()s stride and batch and eval()s
 * imgsz and names: checked with the official code outside the project, see the report of issue 14);
 * leyolo's own keys come on top, and our loader reads both our files and the official ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exportOnnx, MAX_OPSET, MIN_OPSET } from '../src/export/index.js';
import { pyNames, pyStr } from '../src/export/metadata.js';
import { decodeImage } from '../src/node/decode.js';
import { loadOnnxBytes, onnxInfo } from '../src/node/onnx.js';
import { readModelInfo } from '../src/onnx/model-info.js';
import { parseNames, readStrides } from '../src/web/onnx-meta.js';
import { loadCheckpointFile } from '../src/weights/node.js';

const shared = resolve(import.meta.dirname, '..', '..', 'shared');
const NANO = join(shared, 'weights', 'LeYOLONano.pt');
const OFFICIAL = join(shared, 'reference', 'onnx', 'leyolonano_320.onnx');
const skip = existsSync(NANO) && existsSync(OFFICIAL) ? false : 'needs ../shared';

/** Each official key's value format (Ultralytics 8.1.4 `Exporter.metadata`). */
const FORMATS: Record<string, RegExp> = {
  description: /\S/,
  author: /\S/,
  license: /\S/,
  date: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/, // datetime.isoformat()
  version: /^\d+\.\d+\.\d+$/,
  stride: /^\d+$/, // int(v) in AutoBackend
  task: /^detect$/,
  batch: /^\d+$/, // int(v) in AutoBackend
  imgsz: /^\[\d+, \d+\]$/, // str([h, w])
  names: /^\{0: (['"]).*\1\}$/s, // str({0: 'person', ...})
};

test('the official export has exactly the keys and formats this test checks ours against', { skip }, () => {
  const md = onnxInfo(new Uint8Array(readFileSync(OFFICIAL))).metadata;
  assert.deepEqual(Object.keys(md), Object.keys(FORMATS));
  for (const [k, re] of Object.entries(FORMATS)) assert.match(md[k], re, k);
});

test('every export (static, dynamic, NMS, fp16, any opset) carries the official keys in the official formats, and loads back', { skip }, async () => {
  const official = onnxInfo(new Uint8Array(readFileSync(OFFICIAL))).metadata;
  const ck = await loadCheckpointFile(NANO);
  const bus = await decodeImage(join(shared, 'fixtures', 'images', 'bus.jpg'));
  const cases = [{ imgsz: 320 }, { dynamic: true }, { imgsz: 320, nms: { conf: 0.25, iou: 0.7, maxDet: 300 } }, { imgsz: 320, half: true }, { imgsz: 320, batch: 2, opset: MIN_OPSET }];
  for (const o of cases) {
    const bytes = await exportOnnx(ck, o);
    const md = onnxInfo(bytes).metadata;
    const what = JSON.stringify(o);
    assert.deepEqual(Object.keys(md).slice(0, Object.keys(official).length), Object.keys(official), `${what}: official keys first, in order`);
    for (const [k, re] of Object.entries(FORMATS)) assert.match(md[k], re, `${what}: ${k}`);
    // Same model, same names and strides: the official strings exactly.
    for (const k of ['stride', 'task', 'names', 'version']) assert.equal(md[k], official[k], `${what}: ${k}`);
    assert.equal(md.date, ck.meta.date, 'the checkpoint date: exports of one checkpoint are byte-identical');
    assert.equal(md.batch, String('batch' in o ? o.batch : 1));
    assert.equal(md.imgsz, 'dynamic' in o ? '[640, 640]' : '[320, 320]');
    assert.equal(md.nc, '80');
    assert.equal(md.scale, 'nano');
    assert.equal(JSON.parse(md.leyolo_export).imgsz, 'dynamic' in o ? 640 : 320);
    assert.equal(readModelInfo(bytes).opsets[0].version, 'opset' in o ? o.opset : 17);
    // Our loader reads it back.
    const det = await loadOnnxBytes(bytes, { imgsz: 320, threads: 1 });
    try {
      assert.deepEqual(det.meta.names, ck.names);
      assert.deepEqual(det.meta.strides, [8, 16, 32]);
      if (!('batch' in o)) assert.ok((await det.detect(bus)).some((d) => d.label === 'bus'), `${what}: detects the bus`);
    } finally {
      await det.dispose();
    }
  }
});

test('our loader still reads the official export (int stride, dict-repr names)', { skip }, async () => {
  const det = await loadOnnxBytes(new Uint8Array(readFileSync(OFFICIAL)), { imgsz: 320, threads: 1 });
  try {
    assert.equal(det.meta.names.length, 80);
    assert.equal(det.meta.names[79], 'toothbrush');
    assert.deepEqual(det.meta.strides, [8, 16, 32]);
  } finally {
    await det.dispose();
  }
});

const NAMES = ["it's", 'say "hi"', `both ' and "`, 'back\\slash', 'tab\tand\nnewline', 'nbsp\u00a0zwj\u200d', '🐇 é', '', '{0: }', "x', 1: 'y", 'oct\x00\x7f'];

test('names with quotes, backslashes and control characters survive the Python repr both ways', () => {
  // CPython's repr() of these, as Ultralytics would write them (checked with python3).
  assert.equal(pyStr(NAMES[2]), `'both \\' and "'`);
  assert.equal(pyStr(NAMES[5]), "'nbsp\\xa0zwj\\u200d'");
  assert.equal(pyStr(NAMES[10]), "'oct\\x00\\x7f'");
  assert.equal(pyNames(['a', "b'"]), `{0: 'a', 1: "b'"}`);
  assert.deepEqual(parseNames(pyNames(NAMES)), NAMES);
  // Escapes that repr() never writes but eval() reads: octal, \x, \u; unknown ones stay as written.
  assert.deepEqual(parseNames(String.raw`{0: 'a\101\x42\u0043', 1: "\q"}`), ['aABC', '\\q']);
});

test('exported names round trip through the metadata', { skip }, async () => {
  const names = NAMES;
  const ck = await loadCheckpointFile(NANO);
  const custom = { ...ck, names: Array.from({ length: 80 }, (_, i) => names[i % names.length] + String(i)) };
  const md = onnxInfo(await exportOnnx(custom, { imgsz: 64 })).metadata;
  assert.deepEqual(parseNames(md.names), custom.names);
  assert.deepEqual(readStrides(md.stride), [8, 16, 32]);
});

test(`opset: ${MIN_OPSET}..${MAX_OPSET} accepted, anything else refused`, { skip }, async () => {
  const ck = await loadCheckpointFile(NANO);
  for (const opset of [MIN_OPSET - 1, MAX_OPSET + 1, 16.5]) {
    await assert.rejects(exportOnnx(ck, { imgsz: 64, opset }), { code: 'BAD_ARGUMENT', message: /opset must be an integer in 13\.\.17/ });
  }
});
