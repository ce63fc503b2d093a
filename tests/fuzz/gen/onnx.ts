/**
 * Fuzz family `onnx`: `load({ weights: 'x.onnx' })` then `detect(bus.jpg)` on broken, hostile and
 * odd files. Every case is deterministic for a seed:
 * - file kinds: a FIFO, a link to /dev/zero, a folder named x.onnx, a dangling link (BAD_PATH /
 *   WEIGHTS_NOT_FOUND);
 * - bytes: empty, text, random garbage, a .pt checkpoint named .onnx (BAD_MODEL);
 * - truncations and byte mutations of the official leyolonano_320.onnx (`either`: a typed error, or
 *   detections equal to the unmutated model's; anything else is a silent wrong result). Mutations
 *   hit the file's structure only (tags, lengths, names, types, shapes, op types, metadata), never
 *   tensor data or attribute values (model-info.ts `valueSpans`): ONNX carries no checksum, so a
 *   changed weight is a different valid model that no loader can tell from the original (the same
 *   holds for a rewiring that stays well-formed: see verifySame); a few cases change one small
 *   value (attribute, constant) and only require a typed error or a normal return;
 * - hand-built hostile graphs (onnx-graphs.ts): Identity, Loop/Scan/If, foreign ops, wrong rank or
 *   channels, nc mismatch, 1e6 names, a 16384 static input, huge or inconsistent tensors, external
 *   data, huge pads or resize scales, shapes or NMS rows that are only wrong at run time;
 * - controls that must load: a tiny valid detector (static, dynamic) and the official file.
 * Large inputs are built inside `run` and written to the case's output folder, so building the
 * case list stays small.
 */
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from '../../../src/data/rng.js';
import type { Detection } from '../../../src/detector.js';
import type { ErrorCode } from '../../../src/errors.js';
import { load } from '../../../src/node/model.js';
import { Graph, serializeModel } from '../../../src/onnx/ir.js';
import { readModelInfo } from '../../../src/onnx/model-info.js';
import type { Expect, FuzzCase, FuzzContext, FuzzFile, Generator } from '../types.js';
import { controlFlowGraph, declaredTensorGraph, edit, foreignOpGraph, hugePadGraph, identityGraph, tinyDetector } from './onnx-graphs.js';

const REF = 'reference/onnx/leyolonano_320.onnx';
/** Codes a corrupted-but-parseable detector file may legitimately end in. */
const CORRUPT: readonly ErrorCode[] = ['BAD_MODEL', 'LIMIT_EXCEEDED', 'MODEL_MISMATCH', 'BAD_ARGUMENT'];

/** load() + detect(bus.jpg) + dispose(), the library path every case exercises. */
async function detectWith(ctx: FuzzContext, weights: string): Promise<Detection[]> {
  const det = await load({ weights, imgsz: 320, threads: 1 });
  try {
    return await det.detect(join(ctx.shared, 'fixtures/images/bus.jpg'));
  } finally {
    await det.dispose();
  }
}

let reference: Promise<Detection[]> | undefined;
/** The unmutated official file's detections on bus.jpg (once per worker process). */
function referenceDetections(ctx: FuzzContext): Promise<Detection[]> {
  reference ??= detectWith(ctx, join(ctx.shared, REF));
  return reference;
}

/**
 * Same detections as the unmutated file. A mutation that still loads leaves the graph and weights
 * as they were (values are never mutated), so the result is bit-identical unless onnxruntime picks
 * other kernels (e.g. an opset change): scores within 1e-4 and boxes within 0.05 px allow that
 * rounding and nothing else. Labels are not compared: class names are metadata text.
 */
function assertSameDetections(got: Detection[], ref: Detection[]): void {
  assert.equal(got.length, ref.length, `${got.length} detections, the unmutated model gives ${ref.length}`);
  got.forEach((d, i) => {
    assert.equal(d.classId, ref[i].classId, `detection ${i} class`);
    assert.ok(Math.abs(d.score - ref[i].score) <= 1e-4, `detection ${i} score ${d.score} vs ${ref[i].score}`);
    assert.ok(d.box.every((v, k) => Math.abs(v - ref[i].box[k]) <= 0.05), `detection ${i} box ${d.box} vs ${ref[i].box}`);
  });
}

/**
 * What decides a model's output besides its values: ops, wiring, attributes, tensor declarations,
 * graph inputs/outputs and opsets (not node names, doc strings, the IR version or metadata).
 */
function graphSemantics(bytes: Uint8Array): string {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  const g = m.graph ?? {};
  const nodes = (g.node ?? []).map((n) => [n.opType, n.domain, n.input, n.output, (n.attribute ?? []).map((a) => ({ ...a, docString: undefined }))]);
  const inits = (g.initializer ?? []).map((t) => [t.name, t.dims, t.dataType]);
  return JSON.stringify({ opsets: m.opsetImport, nodes, inits, io: [g.input, g.output] });
}

let referenceSemantics: string | undefined;

/**
 * Detections of a file that loaded after a mutation of its structure must equal the original's,
 * unless the mutated file is a well-formed graph that computes something else (a node input
 * renamed to another existing tensor of the same shape, in topological order): ONNX carries no
 * checksum, so that is a different valid model no loader can tell from the original. A changed
 * node name, doc string or metadata text changes nothing the loader may ignore.
 */
async function verifySame(ctx: FuzzContext, path: string, got: Detection[]): Promise<void> {
  const ref = await referenceDetections(ctx);
  try {
    assertSameDetections(got, ref);
  } catch (e) {
    referenceSemantics ??= graphSemantics(new Uint8Array(readFileSync(join(ctx.shared, REF))));
    if (graphSemantics(new Uint8Array(readFileSync(path))) !== referenceSemantics) return;
    throw e;
  }
}

/** A case that loads the sandbox file `file` (given as bytes, or built lazily into ctx.out). */
function fileCase(name: string, expect: Expect, file: { bytes: () => Uint8Array } | FuzzFile, o: { slow?: boolean; verify?: boolean } = {}): FuzzCase {
  const lazy = 'bytes' in file && typeof file.bytes === 'function';
  return {
    family: 'onnx',
    name,
    expect,
    slow: o.slow,
    files: lazy ? [] : [file as FuzzFile],
    run: async (ctx) => {
      let path: string;
      if (lazy) {
        path = join(ctx.out, 'model.onnx');
        writeFileSync(path, (file as { bytes: () => Uint8Array }).bytes());
      } else path = join(ctx.dir, (file as FuzzFile).path);
      const got = await detectWith(ctx, path);
      if (o.verify) await verifySame(ctx, path, got);
    },
  };
}

const err = (...codes: ErrorCode[]): Expect => ({ kind: 'error', codes });

function fileKindCases(): FuzzCase[] {
  return [
    fileCase('fifo', err('BAD_PATH'), { path: 'pipe.onnx', fifo: true }),
    fileCase('link-to-dev-zero', err('BAD_PATH'), { path: 'zero.onnx', symlink: '/dev/zero' }),
    fileCase('folder-named-onnx', err('BAD_PATH'), { path: 'x.onnx', dir: true }),
    fileCase('dangling-link', err('WEIGHTS_NOT_FOUND', 'FILE_NOT_FOUND'), { path: 'gone.onnx', symlink: 'does-not-exist.onnx' }),
    fileCase('empty', err('BAD_MODEL'), { path: 'empty.onnx', bytes: new Uint8Array(0) }),
    fileCase('text', err('BAD_MODEL'), { path: 'text.onnx', bytes: 'this is not an ONNX model\n' }),
  ];
}

function garbageCases(rng: Rng, n: number, shared: string): FuzzCase[] {
  const out: FuzzCase[] = [
    fileCase('pt-named-onnx', err('BAD_MODEL'), { bytes: () => new Uint8Array(readFileSync(join(shared, 'weights/LeYOLONano.pt'))) }),
  ];
  for (let i = 0; i < Math.max(3, Math.ceil(n / 5)); i++) {
    const len = 1 + rng.int(i === 0 ? 16 : 65536);
    const bytes = Uint8Array.from({ length: len }, () => rng.int(256));
    out.push(fileCase(`garbage-${i}-${len}b`, err('BAD_MODEL'), { path: 'garbage.onnx', bytes }));
  }
  return out;
}

/** Structure bytes of the reference file: the complement of its value spans, as [start, end) runs. */
function structureRuns(bytes: Uint8Array): [number, number][] {
  const spans = [...readModelInfo(bytes).valueSpans].sort((a, b) => a[0] - b[0]);
  const runs: [number, number][] = [];
  let pos = 0;
  for (const [s, e] of spans) {
    if (s > pos) runs.push([pos, s]);
    pos = Math.max(pos, e);
  }
  if (pos < bytes.length) runs.push([pos, bytes.length]);
  return runs;
}

/** The k-th byte position covered by the [start, end) runs, counting across runs. */
function nth(runs: readonly (readonly [number, number])[], k: number): number {
  for (const [s, e] of runs) {
    if (k < e - s) return s + k;
    k -= e - s;
  }
  return runs[runs.length - 1][1] - 1;
}

function corruptionCases(rng: Rng, n: number, shared: string): FuzzCase[] {
  const refPath = join(shared, REF);
  const ref = new Uint8Array(readFileSync(refPath));
  const either: Expect = { kind: 'either', codes: CORRUPT };
  const read = () => new Uint8Array(readFileSync(refPath));
  const out: FuzzCase[] = [fileCase('official-unchanged', { kind: 'ok' }, { bytes: read }, { verify: true })];
  const cuts = [1, 2, 64, 4096, ref.length >> 1, ref.length - 1, ...Array.from({ length: Math.max(2, Math.ceil(n / 4)) }, () => 1 + rng.int(ref.length - 1))];
  for (const cut of cuts) out.push(fileCase(`truncated-${cut}`, either, { bytes: () => read().subarray(0, cut) }, { verify: true }));
  const runs = structureRuns(ref);
  const total = runs.reduce((a, [s, e]) => a + e - s, 0);
  for (let i = 0; i < Math.max(4, n * 2); i++) {
    // 1-3 bytes per case; half flip one bit (the common corruption), half get a random value.
    const edits = Array.from({ length: 1 + rng.int(3) }, () => {
      const p = nth(runs, rng.int(total));
      return [p, rng.random() < 0.5 ? ref[p] ^ (1 << rng.int(8)) : rng.int(256)] as const;
    });
    const bytes = () => {
      const b = read();
      for (const [p, v] of edits) b[p] = v;
      return b;
    };
    out.push(fileCase(`mutate-${i}@${edits.map(([p]) => p).join(',')}`, either, { bytes }, { verify: true }));
  }
  out.push(...valueMutations(rng, n, ref, read));
  return out;
}

/**
 * One byte of a small value (attribute value or constant, <= 256 bytes: pads, axes, Resize scales,
 * the DFL bins, anchors...) changed: a different model that may legitimately detect differently, so
 * no equality check; it must still end in a typed error or a normal return, never a crash or hang
 * inside onnxruntime.
 */
function valueMutations(rng: Rng, n: number, ref: Uint8Array, read: () => Uint8Array): FuzzCase[] {
  const spans = readModelInfo(ref).valueSpans.filter(([s, e]) => e - s <= 256);
  const total = spans.reduce((a, [s, e]) => a + e - s, 0);
  return Array.from({ length: Math.max(2, Math.ceil(n / 2)) }, (_, i) => {
    const p = nth(spans, rng.int(total));
    const v = rng.int(256);
    return fileCase(`mutate-value-${i}@${p}`, { kind: 'either', codes: CORRUPT }, { bytes: () => { const b = read(); b[p] = v; return b; } });
  });
}

/** An NMS-shaped graph whose single row names image 5 of a batch of 1. */
function badNmsRows(): Uint8Array {
  const g = new Graph('fake-nms');
  g.input('images', 'float32', [1, 3, 64, 64]);
  g.constF('rows', [1, 7], [5, 1, 2, 3, 4, 0.9, 0]);
  g.op('Identity', ['rows'], {}, 'detections');
  g.output('detections', 'float32', ['k', 7]);
  return serializeModel(g, { metadata: { nc: '2' } });
}

function hostileCases(): FuzzCase[] {
  const f = (name: string, expect: Expect, bytes: () => Uint8Array, slow = false) => fileCase(name, expect, { bytes }, { slow });
  const resize = () => edit(tinyDetector(), (m) => {
    const g = m.graph!;
    g.initializer!.push({ name: 'scales', dims: [4], dataType: 1, rawData: new Uint8Array(new Float32Array([1, 1, 4096, 4096]).buffer) });
    g.node!.find((x) => x.opType === 'Sigmoid')!.input = ['big'];
    g.node!.splice(g.node!.length - 1, 0, { opType: 'Resize', input: ['cat', '', 'scales'], output: ['big'] }); // before the Sigmoid
  });
  return [
    f('identity-graph', err('BAD_MODEL'), () => identityGraph(320)),
    f('loop-1e15', err('BAD_MODEL'), () => controlFlowGraph('Loop')),
    f('scan', err('BAD_MODEL'), () => controlFlowGraph('Scan')),
    f('if', err('BAD_MODEL'), () => controlFlowGraph('If')),
    f('op-tile', err('BAD_MODEL'), () => foreignOpGraph('Tile')),
    f('op-contrib-domain', err('BAD_MODEL'), () => foreignOpGraph('FusedConv', 'com.microsoft')),
    f('input-rank-3', err('BAD_MODEL'), () => edit(tinyDetector(), (m) => void m.graph!.input![0].type!.tensorType!.shape!.dim!.pop())),
    f('input-4-channels', err('BAD_MODEL'), () => tinyDetector({ channels: 4 })),
    f('metadata-nc-smaller', err('BAD_MODEL'), () => tinyDetector({ nc: 3, metadata: { nc: '2' } })),
    f('metadata-names-mismatch', err('BAD_MODEL'), () => tinyDetector({ nc: 2, metadata: { names: '["a"]' } })),
    f('metadata-1e6-names', err('LIMIT_EXCEEDED'), () => tinyDetector({ metadata: { names: JSON.stringify(Array.from({ length: 1e6 }, (_, i) => `c${i}`)) } }), true), // ~1 s to build
    f('metadata-names-index-1e8', err('LIMIT_EXCEEDED'), () => tinyDetector({ metadata: { names: "{99999999: 'x'}" } })),
    f('metadata-stride-junk', err('BAD_MODEL'), () => tinyDetector({ metadata: { stride: '1e9' } })),
    f('static-16384-input', err('LIMIT_EXCEEDED'), () => tinyDetector({ size: 16384 })),
    f('huge-declared-initializer', err('LIMIT_EXCEEDED', 'BAD_MODEL'), () => declaredTensorGraph([1 << 20, 1 << 20], 4)),
    f('initializer-size-mismatch', err('BAD_MODEL'), () => declaredTensorGraph([1000], 4)),
    f('external-data', err('BAD_MODEL'), () => declaredTensorGraph([4], 0, { rawData: undefined, dataLocation: 1, externalData: [{ key: 'location', value: '/etc/passwd' }] })),
    f('conv-pads-1e5', err('LIMIT_EXCEEDED'), () => hugePadGraph(100_000)),
    f('resize-scale-4096', err('LIMIT_EXCEEDED'), resize),
    f('anchors-wrong-at-run-time', err('BAD_MODEL'), () => tinyDetector({ size: 'dynamic', levels: [8, 16], metadata: { nc: '2' } })),
    f('nms-rows-out-of-range', err('BAD_MODEL'), badNmsRows),
    f('tiny-valid-static', { kind: 'ok' }, () => tinyDetector({ size: 64 })),
    f('tiny-valid-dynamic', { kind: 'ok' }, () => tinyDetector({ size: 'dynamic' })),
  ];
}

/** The `onnx` family (see the module comment). */
export const onnxGenerator: Generator = {
  family: 'onnx',
  cases(rng: Rng, n: number, shared: string): FuzzCase[] {
    return [...fileKindCases(), ...garbageCases(rng.fork(), n, shared), ...hostileCases(), ...corruptionCases(rng.fork(), n, shared)];
  },
};
