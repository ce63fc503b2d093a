import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeyoloError } from '../errors.js';
import { onnxMetadata, parseNames, parseStrides, readStrides } from './onnx-meta.js';

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

const code = (c: string) => (e: unknown) => e instanceof LeyoloError && e.code === c;

test('parseNames refuses more than 10,000 names, or a dict index beyond, before allocating', () => {
  assert.throws(() => parseNames("{99999999: 'x'}"), code('LIMIT_EXCEEDED')); // was a 1e8-slot array
  assert.throws(() => parseNames(JSON.stringify(Array(10_001).fill('a'))), code('LIMIT_EXCEEDED'));
  assert.equal(parseNames(JSON.stringify(Array(10_000).fill('a'))).length, 10_000);
});

test('readStrides accepts real stride metadata and refuses the rest (parseStrides fell back silently)', () => {
  assert.deepEqual(readStrides(undefined), [8, 16, 32]);
  assert.deepEqual(readStrides('32'), [8, 16, 32]);
  assert.deepEqual(readStrides('[8, 16, 32, 64]'), [8, 16, 32, 64]);
  for (const s of ['junk', '1e9', '[8, 16, 24]', '[32, 16, 8]', '[0]', '22', '[8.5, 17, 34]', '[]']) assert.throws(() => readStrides(s), code('BAD_MODEL'), s);
});

test('onnxMetadata refuses a value over 1 MiB before decoding it', () => {
  const n = (1 << 20) + 1;
  // ModelProto field 14 (metadata_props) { key 'names', value of n bytes }, lengths as varints.
  const varint = (v: number): number[] => (v < 128 ? [v] : [(v & 127) | 128, ...varint(Math.floor(v / 128))]);
  const entry = [0x0a, 5, ...new TextEncoder().encode('names'), 0x12, ...varint(n)];
  const bytes = new Uint8Array(2 + 4 + entry.length + n);
  bytes.set([0x72, ...varint(entry.length + n)]);
  bytes.set(entry, 1 + varint(entry.length + n).length);
  assert.throws(() => onnxMetadata(bytes), code('LIMIT_EXCEEDED'));
});

test('the browser load() validates .onnx bytes like Node, before creating a session', async () => {
  const { load } = await import('./index.js');
  const { controlFlowGraph, identityGraph } = await import('../../tests/fuzz/gen/onnx-graphs.js');
  for (const weights of [identityGraph(), controlFlowGraph('Loop'), new Uint8Array([1, 2, 3])]) {
    await assert.rejects(load({ weights, backend: 'wasm' }), code('BAD_MODEL'));
  }
});
