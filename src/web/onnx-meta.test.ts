import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnxMetadata, parseNames, parseStrides } from './onnx-meta.js';

const shared = resolve(fileURLToPath(new URL('../../../shared/', import.meta.url)));
const officialOnnx = resolve(shared, 'reference/onnx/leyolonano_320.onnx');

test('parseNames reads JSON arrays and Ultralytics dict reprs', () => {
  assert.deepEqual(parseNames('["a","b"]'), ['a', 'b']);
  assert.deepEqual(parseNames("{0: 'person', 1: \"it's\", 2: 'traffic light'}"), ['person', "it's", 'traffic light']);
  assert.deepEqual(parseNames(undefined), []);
});

test('parseStrides accepts arrays and a single max stride', () => {
  assert.deepEqual(parseStrides('[8, 16, 32]'), [8, 16, 32]);
  assert.deepEqual(parseStrides('32'), [8, 16, 32]);
  assert.deepEqual(parseStrides('64'), [16, 32, 64]);
  assert.deepEqual(parseStrides('junk'), [8, 16, 32]);
});

test('onnxMetadata returns {} for non-ONNX bytes', () => {
  assert.deepEqual(onnxMetadata(new Uint8Array([0xff, 0xff, 0xff])), {});
});

test('onnxMetadata reads the official export\'s metadata', { skip: !existsSync(officialOnnx) && 'no ../shared' }, () => {
  const md = onnxMetadata(new Uint8Array(readFileSync(officialOnnx)));
  assert.equal(md.stride, '32');
  assert.equal(md.imgsz, '[320, 320]');
  const names = parseNames(md.names);
  assert.equal(names.length, 80);
  assert.equal(names[0], 'person');
  assert.equal(names[79], 'toothbrush');
});
