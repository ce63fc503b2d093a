import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { readCheckpoint, type Checkpoint } from '../src/weights/pt.js';
import { loadCheckpointFile } from '../src/weights/node.js';
import { checkpointFromSafetensors, checkpointToSafetensors } from '../src/weights/safetensors.js';
import { ZipArchive } from '../src/weights/zip.js';
import { PickleObject, unpickle, type PickleValue } from '../src/weights/pickle.js';
import { readTensor, tensorRef } from '../src/weights/storage.js';

const shared = new URL('../../shared/', import.meta.url).pathname;
const nanoBytes = readFileSync(join(shared, 'weights/LeYOLONano.pt'));
const smallBytes = readFileSync(join(shared, 'weights/LeYOLOSmall-wgisd-grapes.pt'));
const nano = readCheckpoint(nanoBytes);
const small = readCheckpoint(smallBytes);
const meta = JSON.parse(readFileSync(join(shared, 'fixtures/small-grapes/checkpoint_meta.json'), 'utf8'));
const sdJson = JSON.parse(readFileSync(join(shared, 'fixtures/small-grapes/state_dict.json'), 'utf8')) as {
  tensors: { name: string; shape: number[]; dtype: string; kind: string }[];
};

/** Parameter count as Ultralytics reports it: weights and biases incl. BatchNorm affine, no running stats. */
function nParams(ck: Checkpoint): number {
  let n = 0;
  for (const [k, t] of ck.stateDict) if (!/running_(mean|var)$/.test(k)) n += t.data.length;
  return n;
}

test('small-grapes state dict equals the fixture float keys, order and shapes', () => {
  const floats = sdJson.tensors.filter((t) => t.dtype.startsWith('float'));
  assert.deepEqual([...small.stateDict.keys()], floats.map((t) => t.name));
  for (const t of floats) assert.deepEqual(small.stateDict.get(t.name)?.shape, t.shape, t.name);
  const paramElems = floats.filter((t) => t.kind === 'parameter').reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(nParams(small), paramElems);
  assert.equal(nParams(small), 1_887_395); // official count (fixture manifest n_params)
});

test('nano: same layer names as small (same table, other width) and 1,120,480 parameters', () => {
  assert.deepEqual([...nano.stateDict.keys()], [...small.stateDict.keys()]);
  assert.equal(nParams(nano), 1_120_480); // official LeYOLO-Nano parameter count
  assert.deepEqual(nano.stateDict.get('model.0.c.weight')?.shape, [16, 3, 3, 3]);
  assert.deepEqual(nano.stateDict.get('model.35.dfl.conv.weight')?.shape, [1, 16, 1, 1]);
});

test('fp16 values are upcast exactly (golden sums from numpy over the raw storage)', () => {
  const w = nano.stateDict.get('model.0.c.weight')?.data ?? new Float32Array(0);
  let sum = 0;
  let abs = 0;
  for (const x of w) (sum += x), (abs += Math.abs(x));
  // numpy: frombuffer(best/data/0, '<f2').astype(float64).sum() / abs().sum(); 1e-12 covers pairwise vs
  // sequential float64 summation order of 432 terms, far below one fp16 ulp (~1e-4 here).
  assert.ok(Math.abs(sum - -0.38155055046081543) < 1e-12, String(sum));
  assert.ok(Math.abs(abs - 62.443151235580444) < 1e-12, String(abs));
  assert.deepEqual(Array.from(w.subarray(0, 2)), [-0.185791015625, 0.30517578125]);
  // DFL weights are the fixed projection 0..15.
  assert.deepEqual(Array.from(small.stateDict.get('model.35.dfl.conv.weight')?.data ?? []), [...Array(16).keys()]);
});

test('nc, names, stride, BatchNorm eps/momentum, meta', () => {
  assert.equal(nano.nc, 80);
  assert.equal(nano.names.length, 80);
  assert.equal(nano.names[0], 'person');
  assert.equal(small.nc, 1);
  assert.deepEqual(small.names, ['grape']);
  for (const ck of [nano, small]) {
    assert.deepEqual(ck.stride, [8, 16, 32]);
    const bnKeys = [...ck.stateDict.keys()].filter((k) => k.endsWith('.running_mean')).map((k) => k.slice(0, -'.running_mean'.length));
    assert.deepEqual([...ck.bn.keys()], bnKeys);
    for (const b of ck.bn.values()) assert.deepEqual(b, { eps: 0.001, momentum: 0.03 });
  }
  assert.ok(nano.bn.has('model.0.bn'));
  assert.deepEqual(small.meta.epoch, meta.epoch);
  assert.equal(small.meta.date, meta.date);
  assert.equal(small.meta.version, meta.version);
  assert.deepEqual(small.meta.trainArgs, meta.train_args);
});

test('small-grapes yaml equals the fixture layer table', () => {
  assert.deepEqual(small.yaml, meta.yaml);
  assert.equal(nano.yaml.nc, 80);
});

test("Detect's non-contiguous anchors tensor is read through its strides", () => {
  const zip = new ZipArchive(nanoBytes);
  const root = unpickle(zip.read('best/data.pkl'));
  const attr = (o: PickleValue | undefined, k: string): PickleValue | undefined =>
    o instanceof PickleObject && o.state instanceof Map ? o.state.get(k) : o instanceof Map ? o.get(k) : undefined;
  const layers = attr(attr(attr(root, 'model'), '_modules'), 'model');
  const mods = attr(layers, '_modules');
  assert.ok(mods instanceof Map);
  const detect = [...mods.values()].at(-1);
  const ref = tensorRef(attr(detect, 'anchors') ?? null);
  assert.ok(ref && ref.strides[0] === 1 && ref.strides[1] === 2, 'stored transposed');
  const a = readTensor(ref, zip.read(`best/data/${ref.key}`));
  // Anchor centres of the first level grid (width W = last dim of the stored feature shape): x = col + 0.5, y = row + 0.5.
  const shape = attr(detect, 'shape');
  const w = shape instanceof PickleObject && Array.isArray(shape.args[0]) ? Number(shape.args[0][3]) : NaN;
  const n = ref.shape[1];
  for (let i = 0; i < 3 * w; i++) {
    assert.equal(a[i], (i % w) + 0.5);
    assert.equal(a[n + i], Math.floor(i / w) + 0.5);
  }
});

test('truncated or corrupted checkpoint -> BAD_CHECKPOINT', () => {
  for (const len of [0, 100, nanoBytes.length >> 1, nanoBytes.length - 1]) {
    assert.throws(() => readCheckpoint(nanoBytes.subarray(0, len)), { code: 'BAD_CHECKPOINT' }, `length ${len}`);
  }
  const flipped = Uint8Array.from(nanoBytes);
  flipped[nanoBytes.length >> 1] ^= 0x55; // inside some storage: caught by the zip CRC
  assert.throws(() => readCheckpoint(flipped), { code: 'BAD_CHECKPOINT' });
});

/** The nano zip with data.pkl rewritten by `edit` (all other entries kept). */
function withPickle(edit: (pkl: string) => string): Uint8Array {
  const zip = new ZipArchive(nanoBytes);
  const files: Record<string, Uint8Array> = {};
  for (const name of zip.names()) files[name] = zip.read(name);
  files['best/data.pkl'] = Buffer.from(edit(Buffer.from(files['best/data.pkl']).toString('latin1')), 'latin1');
  return zipSync(files, { level: 0 });
}

test('a checkpoint whose pickle names a foreign global -> UNSAFE_PICKLE', () => {
  // Same pickle, but the model class is now builtins.eval / the storage class os.system.
  const evil1 = withPickle((p) => p.replace('cultralytics.nn.tasks\nDetectionModel\n', 'cbuiltins\neval\n'));
  assert.throws(() => readCheckpoint(evil1), (e: Error & { code?: string }) => e.code === 'UNSAFE_PICKLE' && /builtins\.eval/.test(e.message));
  const evil2 = withPickle((p) => p.replace('ctorch\nHalfStorage\n', 'cos\nsystem\n'));
  assert.throws(() => readCheckpoint(evil2), { code: 'UNSAFE_PICKLE' });
  // Control: the untouched rewrite still loads, so the failures above come from the globals alone.
  assert.equal(readCheckpoint(withPickle((p) => p)).stateDict.size, nano.stateDict.size);
});

test('checkpoint <-> safetensors round trip and file loading', async () => {
  const st = checkpointToSafetensors(small);
  const back = checkpointFromSafetensors(st);
  assert.deepEqual(back, small);
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-weights-'));
  try {
    writeFileSync(join(dir, 'small.safetensors'), st);
    assert.deepEqual(await loadCheckpointFile(join(dir, 'small.safetensors')), small);
    await assert.rejects(loadCheckpointFile(join(dir, 'missing.pt')), { code: 'WEIGHTS_NOT_FOUND' });
    const ck = await loadCheckpointFile(join(shared, 'weights/LeYOLONano.pt'));
    assert.equal(ck.nc, 80);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
