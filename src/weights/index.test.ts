import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LeyoloError } from '../errors.js';
import { readWeights } from './index.js';

const shared = new URL('../../../shared/', import.meta.url).pathname;
const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LeyoloError && e.code === c && (!re || re.test(e.message));

test('an image passed as weights is named for what it is, not parsed as safetensors', () => {
  const jpg = new Uint8Array(readFileSync(`${shared}fixtures/images/bus.jpg`));
  assert.throws(() => readWeights(jpg), code('BAD_CHECKPOINT', /not a checkpoint \(\.pt or \.safetensors\).*JPEG/));
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  assert.throws(() => readWeights(png), code('BAD_CHECKPOINT', /PNG/));
  assert.throws(() => readWeights(new TextEncoder().encode('name: coco\nnc: 80\n')), code('BAD_CHECKPOINT', /text file/));
  assert.throws(() => readWeights(new Uint8Array([0x08, 0x07, 0x12, 0x00])), code('BAD_CHECKPOINT', /ONNX/));
  assert.throws(() => readWeights(new Uint8Array(0)), code('BAD_CHECKPOINT', /empty/));
});

test('readWeights throws only typed LeyoloErrors (never INTERNAL) on arbitrary bytes', () => {
  let seed = 11;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
  // Random bodies behind each magic the sniffer knows, plus none.
  const heads = [[], [0x50, 0x4b, 0x03, 0x04], [0x80, 0x02], [40, 0, 0, 0, 0, 0, 0, 0, 0x7b]];
  for (let i = 0; i < 1_000; i++) {
    const bytes = new Uint8Array([...heads[i % heads.length], ...Array.from({ length: i % 97 }, rnd)]);
    try {
      readWeights(bytes);
      assert.fail('random bytes loaded as a checkpoint');
    } catch (e) {
      assert.ok(e instanceof LeyoloError && e.code !== 'INTERNAL', `${(e as Error).name}: ${(e as Error).message}`);
    }
  }
});
