/**
 * `.pt` written by leyolo (writeCheckpoint, `leyolo convert -o X.pt`) against the official files:
 * - our reader reads it back identically (the official weights are fp16 already: bit for bit);
 * - its pickle names only globals that the official checkpoints name, and only protocol-2 opcodes
 *   that they use;
 * - the root keys, every module's class and attributes, every tensor's name, dtype, shape and
 *   strides equal the official file's (except what leyolo does not write: the model's pickled loss
 *   object `criterion`, and Detect's `anchors`/`strides`/`shape`, caches of its last forward pass);
 * - `load()` of the written file detects exactly what the official file gives.
 * That the official code loads it (YOLO('x.pt') predict/val/train) is checked outside the project
 * (see the report of issue 14: it needs PyTorch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run as convert } from '../src/cli/convert.js';
import { load } from '../src/node/model.js';
import { PickleObject, unpickle, type PickleValue } from '../src/weights/pickle.js';
import { readCheckpoint } from '../src/weights/pt.js';
import { writeCheckpoint } from '../src/weights/pt-writer.js';
import { tensorRef } from '../src/weights/storage.js';
import { ZipArchive } from '../src/weights/zip.js';

const shared = resolve(import.meta.dirname, '..', '..', 'shared');
const NANO = join(shared, 'weights', 'LeYOLONano.pt');
const GRAPES = join(shared, 'weights', 'LeYOLOSmall-wgisd-grapes.pt');
const skip = existsSync(NANO) && existsSync(GRAPES) ? false : 'needs ../shared';

/** Opcodes without an argument (protocol 2, plus the protocol 4 ones our reader knows). */
const NO_ARG = new Set([...'(.012N)t]l}dsuaeRbQo'].map((c) => c.charCodeAt(0)).concat([0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x93, 0x94]));
const FIXED: Record<number, number> = { 0x4b: 1, 0x71: 1, 0x68: 1, 0x80: 1, 0x4d: 2, 0x4a: 4, 0x72: 4, 0x6a: 4, 0x47: 8, 0x95: 8 };

/** The GLOBAL names and the opcodes of a pickle, by walking its opcodes (nothing is decoded). */
function scan(b: Uint8Array): { globals: Set<string>; opcodes: Set<number> } {
  const globals = new Set<string>();
  const opcodes = new Set<number>();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const line = (at: number): [string, number] => {
    const end = b.indexOf(0x0a, at);
    return [Buffer.from(b.subarray(at, end)).toString('latin1'), end + 1];
  };
  for (let p = 0; p < b.length; ) {
    const op = b[p++];
    opcodes.add(op);
    if (op === 0x63) {
      const [mod, p1] = line(p);
      const [name, p2] = line(p1);
      globals.add(`${mod}.${name}`);
      p = p2;
    } else if (op in FIXED) p += FIXED[op];
    else if (op === 0x58 || op === 0x42 || op === 0x8b) p += 4 + v.getUint32(p, true);
    else if (op === 0x8c || op === 0x8a || op === 0x43) p += 1 + b[p];
    else if (op === 0x2e) break;
    else if (!NO_ARG.has(op)) throw new Error(`opcode 0x${op.toString(16)} at byte ${p - 1}`);
  }
  return { globals, opcodes };
}

function pickleOf(bytes: Uint8Array): Uint8Array {
  const zip = new ZipArchive(bytes);
  return zip.read(zip.names().find((n) => n.endsWith('/data.pkl'))!);
}

const isModule = (v: PickleValue): boolean => v instanceof PickleObject && (v.$class.startsWith('torch.nn.modules.') || v.$class.startsWith('ultralytics.nn.'));
const state = (o: PickleObject): Map<PickleValue, PickleValue> => o.state as Map<PickleValue, PickleValue>;

/** A comparable description of an attribute: tensors by dtype/shape/strides, modules by class. */
function describe(v: PickleValue): unknown {
  if (v instanceof PickleObject) {
    const ref = tensorRef(v);
    if (ref) return { dtype: ref.dtype, shape: ref.shape, strides: ref.strides, offset: ref.offset, ...(v.$class.includes('parameter') ? { requiresGrad: v.args[1] } : {}) };
    if (isModule(v)) return { module: v.$class };
    return { object: v.$class, args: describe(v.args), state: describe(v.state) };
  }
  if (v instanceof Map) return [...v].map(([k, x]) => [k, describe(x)]);
  if (v instanceof Set) return { set: [...v].map(describe) };
  if (Array.isArray(v)) return v.map(describe);
  return v;
}

/**
 * Not written by leyolo (see the file comment); `args` (the trainer's hyper-parameter namespace)
 * holds our train_args, where the official one holds the trainer's last state (mosaic off, ...).
 */
const SKIP: Record<string, string[]> = {
  'ultralytics.nn.tasks.DetectionModel': ['criterion', 'args'],
  'ultralytics.nn.modules.head.Detect': ['anchors', 'strides', 'shape'],
};

/** Module path -> its class and described attributes, for the whole model tree. */
function modules(bytes: Uint8Array, ignore: string[] = []): Map<string, unknown> {
  const root = unpickle(pickleOf(bytes)) as Map<PickleValue, PickleValue>;
  const out = new Map<string, unknown>();
  const walk = (m: PickleObject, path: string): void => {
    const skip = new Set([...(SKIP[m.$class] ?? []), ...ignore]);
    out.set(path, { class: m.$class, state: describe(new Map([...state(m)].filter(([k]) => !skip.has(k as string)))) });
    for (const [name, child] of state(m).get('_modules') as Map<PickleValue, PickleValue>) walk(child as PickleObject, path ? `${path}.${String(name)}` : String(name));
  };
  walk(root.get('model') as PickleObject, '');
  return out;
}

const rootKeys = (bytes: Uint8Array): PickleValue[] => [...(unpickle(pickleOf(bytes)) as Map<PickleValue, PickleValue>).keys()];

for (const [file, ignore] of [[NANO, []], [GRAPES, ['_forward_hooks_always_called']]] as const) {
  const label = file.slice(file.lastIndexOf('/') + 1);

  test(`${label}: written back, read back identically (weights bit for bit, names, yaml, BatchNorm, meta)`, { skip }, () => {
    const official = new Uint8Array(readFileSync(file));
    const ck = readCheckpoint(official);
    const back = readCheckpoint(writeCheckpoint(ck, { name: 'best' }));
    assert.deepEqual([...back.stateDict.keys()], [...ck.stateDict.keys()]);
    for (const [k, t] of ck.stateDict) assert.deepEqual(back.stateDict.get(k), t, k);
    assert.deepEqual({ ...back, stateDict: null }, { ...ck, stateDict: null });
  });

  test(`${label}: same root keys, module tree, tensors (names, dtypes, shapes, strides); only official globals and opcodes`, { skip }, () => {
    const official = new Uint8Array(readFileSync(file));
    const ours = writeCheckpoint(readCheckpoint(official), { name: 'best' });
    assert.deepEqual(rootKeys(ours), rootKeys(official));
    const a = modules(official, [...ignore]);
    const b = modules(ours);
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [path, d] of a) assert.deepEqual(b.get(path), d, path || '<model>');
    const model = (unpickle(pickleOf(ours)) as Map<PickleValue, PickleValue>).get('model') as PickleObject;
    assert.equal((state(model).get('args') as PickleObject).$class, 'ultralytics.utils.IterableSimpleNamespace');
    const theirs = scan(pickleOf(official));
    const mine = scan(pickleOf(ours));
    const both = [NANO, GRAPES].map((f) => scan(pickleOf(new Uint8Array(readFileSync(f)))));
    // The grapes file spells set() through dill (dill._dill._load_type); Nano as __builtin__.set.
    assert.deepEqual([...mine.globals].filter((g) => !both.some((x) => x.globals.has(g))), [], 'globals the official files do not use');
    assert.deepEqual([...mine.opcodes].filter((o) => !both.some((x) => x.opcodes.has(o))), [], 'opcodes the official files do not use');
    // What we leave out is exactly the pickled loss object (and the torch.Size of Detect's cache).
    const left = ['torch.Size', 'torch.device', 'torch.nn.modules.loss.BCEWithLogitsLoss', 'ultralytics.utils.loss.BboxLoss',
      'ultralytics.utils.loss.v8DetectionLoss', 'ultralytics.utils.tal.TaskAlignedAssigner'];
    assert.deepEqual([...theirs.globals].filter((g) => !mine.globals.has(g) && !g.startsWith('dill.')).sort(), left);
  });
}

test('load() of the written .pt detects exactly what the official .pt gives', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-pt-'));
  const written = join(dir, 'nano.pt');
  writeFileSync(written, writeCheckpoint(readCheckpoint(new Uint8Array(readFileSync(NANO))), { name: 'nano' }));
  const [a, b] = await Promise.all([load({ weights: NANO, imgsz: 640 }), load({ weights: written, imgsz: 640 })]);
  try {
    for (const img of ['bus.jpg', 'zidane.jpg']) {
      const path = join(shared, 'fixtures', 'images', img);
      const want = await a.detect(path, { conf: 0.25 });
      assert.ok(want.length > 0);
      assert.deepEqual(await b.detect(path, { conf: 0.25 }), want, img); // same weights, same graph: no tolerance
    }
  } finally {
    await Promise.all([a.dispose(), b.dispose()]);
  }
});

test('leyolo convert: .pt -> .safetensors -> .pt gives the official weights back, bit for bit', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leyolo-pt-'));
  const st = join(dir, 'nano.safetensors');
  const pt = join(dir, 'nano again.pt');
  const stderr = process.stderr.write;
  process.stderr.write = () => true; // convert prints one line per file
  try {
    await convert([NANO, '-o', st]);
    await convert([st, '-o', pt]);
  } finally {
    process.stderr.write = stderr;
  }
  const bytes = new Uint8Array(readFileSync(pt));
  assert.ok(new ZipArchive(bytes).has('nano_again/data.pkl'), 'the zip folder is the file stem, as torch.save names it');
  const ck = readCheckpoint(new Uint8Array(readFileSync(NANO)));
  const back = readCheckpoint(bytes);
  for (const [k, t] of ck.stateDict) assert.deepEqual(back.stateDict.get(k), t, k);
  assert.deepEqual(back.meta, ck.meta);
});
