/**
 * `.pt` checkpoints through the public API (`loadCheckpointFile`, `readWeights`): files that are not
 * checkpoints, pickles naming dangerous globals, pickle bombs, broken zips and hostile edits of the
 * official Nano must all end in typed errors; random mutations of Nano either fail typed or load a
 * checkpoint identical to the original (its zip CRCs cover every byte that is read).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import type { Rng } from '../../../src/data/rng.js';
import { modelOfCheckpoint } from '../../../src/model/from-checkpoint.js';
import { readWeights } from '../../../src/weights/index.js';
import { loadCheckpointFile } from '../../../src/weights/node.js';
import { nanoEditCases } from './checkpoint-edits.js';
import { Bytes, cat, op, storedZip, torchParts, torchZip, type TorchParts } from './torch-file.js';
import { opcodes, zipLayout } from './torch-scan.js';
import { BAD, BAD_OR_LIMIT, EITHER, LIMIT, NANO, OK, UNSAFE, assertSameCheckpoint, assertSaneCheckpoint, err, expectMessage, fieldValue, flips, nano, truncation, zeroed, type Mutation } from './weights-common.js';
import type { Expect, FuzzCase, FuzzFile, Generator } from '../types.js';

const b = (...xs: (number | Uint8Array)[]): Uint8Array => cat(xs);
const enc = new TextEncoder();
/** A minimal torch.save zip around a pickle. */
const mini = (pkl: Uint8Array): Uint8Array => storedZip([['archive/data.pkl', pkl], ['archive/version', enc.encode('3\n')]]);
const P = (...xs: (number | Uint8Array)[]): Uint8Array => b(0x80, 2, ...xs, 0x2e);

/** A case that loads `file` (in the sandbox) through the Node loader. */
function fileCase(name: string, expect: Expect, files: FuzzFile[], path = 'w.pt', check?: RegExp): FuzzCase {
  return {
    family: 'checkpoint', name: `file-${name}`, files, expect,
    run: async (ctx) => {
      const load = async () => assertSaneCheckpoint(await loadCheckpointFile(join(ctx.dir, path)));
      await (check ? expectMessage(load, check) : load());
    },
  };
}

function fileCases(shared: string): FuzzCase[] {
  const bytes = (x: Uint8Array | string): FuzzFile[] => [{ path: 'w.pt', bytes: x }];
  const bus = readFileSync(join(shared, 'fixtures', 'images', 'bus.jpg'));
  return [
    fileCase('empty', BAD, bytes(new Uint8Array(0))),
    fileCase('folder', err('BAD_PATH'), [{ path: 'w.pt', dir: true }]),
    fileCase('dev-zero-link', err('BAD_PATH'), [{ path: 'w.pt', symlink: '/dev/zero' }]),
    fileCase('fifo', err('BAD_PATH'), [{ path: 'w.pt', fifo: true }]),
    fileCase('dangling-link', err('WEIGHTS_NOT_FOUND'), [{ path: 'w.pt', symlink: 'nowhere.pt' }]),
    fileCase('link-loop', err('BAD_PATH'), [{ path: 'w.pt', symlink: 'x.pt' }, { path: 'x.pt', symlink: 'w.pt' }]),
    fileCase('missing', err('WEIGHTS_NOT_FOUND'), []),
    fileCase('file-as-folder', err('WEIGHTS_NOT_FOUND'), bytes('x'), 'w.pt/inner.pt'),
    fileCase('bus-jpg', BAD, [{ path: 'bus.jpg', bytes: bus }], 'bus.jpg', /not a checkpoint.*JPEG/),
    fileCase('text', BAD, bytes('hello, I am not a checkpoint\n'), 'w.pt', /not a checkpoint/),
    fileCase('zip-magic-only', BAD, bytes(b(0x50, 0x4b, 0x03, 0x04))),
    fileCase('empty-zip', BAD, bytes(b(0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)))),
    fileCase('legacy-pickle', BAD, bytes(P(0x7d)), 'w.pt', /legacy/),
    fileCase('zip-without-pickle', BAD, bytes(storedZip([['archive/other', b(1, 2, 3)]]))),
    fileCase('two-pickles', BAD, bytes(storedZip([['a/data.pkl', P(0x7d)], ['b/data.pkl', P(0x7d)]]))),
    fileCase('onnx-like', BAD, bytes(b(0x08, 0x07, 0x12, 0x04, 0x74, 0x65, 0x73, 0x74)), 'w.pt', /ONNX/),
    // Unusual but valid: a link to the real file.
    { family: 'checkpoint', name: 'file-link-to-nano', expect: OK, files: [{ path: 'n.pt', symlink: join(shared, NANO) }],
      run: async (ctx) => assertSameCheckpoint(await loadCheckpointFile(join(ctx.dir, 'n.pt')), nano(ctx.shared).ck) },
  ];
}

/** Pickles whose only problem is a global nothing may name: refused at the GLOBAL opcode itself. */
function unsafeCases(): FuzzCase[] {
  const call = (m: string, n: string, arg = 'id'): Uint8Array => P(0x7d, op.str('model'), op.global(m, n), op.str(arg), 0x85, 0x52, 0x73);
  const list: [string, Uint8Array][] = [
    ['os-system', call('os', 'system', 'echo pwned > /tmp/pwned')],
    ['posix-system', call('posix', 'system')],
    ['nt-system', call('nt', 'system')],
    ['builtins-eval', call('builtins', 'eval', '__import__("os").system("id")')],
    ['builtins-exec', call('builtins', 'exec', 'import os')],
    ['builtins-getattr', call('builtins', 'getattr')],
    ['builtins-import', call('builtins', '__import__', 'os')],
    ['subprocess-popen-stack-global', b(0x80, 4, 0x7d, op.str('model'), op.str('subprocess'), op.str('Popen'), 0x93, op.str('ls'), 0x85, 0x52, 0x73, 0x2e)],
    ['inst-os-system', P(0x7d, op.str('model'), 0x28, op.str('ls'), enc.encode('ios\nsystem\n'), 0x73)],
    ['obj-builtins-eval', P(0x7d, op.str('model'), 0x28, op.global('builtins', 'eval'), op.str('1'), 0x6f, 0x73)],
    ['torch-load', call('torch', 'load', 'x.pt')],
    ['torch-load-from-bytes', call('torch.storage', '_load_from_bytes')],
    ['torch-rebuild-tensor-v1', call('torch._utils', '_rebuild_tensor')],
    ['pickle-loads', call('pickle', 'loads')],
    ['shutil-rmtree', call('shutil', 'rmtree', '/')],
    ['runpy-run-path', call('runpy', 'run_path')],
    ['webbrowser-open', call('webbrowser', 'open')],
    ['numpy-load', call('numpy', 'load')],
    ['lookalike-module', call('ultralytics.x', 'system;rm')],
    ['lookalike-torch-nn', call('torch.nn.modules.x', 'a b')],
    ['dill-create-function', call('dill._dill', '_create_function')],
    ['ext1', P(0x7d, op.str('model'), 0x82, 1, 0x29, 0x52, 0x73)],
    ['ext2', P(0x7d, op.str('model'), 0x83, 1, 0, 0x29, 0x52, 0x73)],
    ['ext4', P(0x7d, op.str('model'), 0x84, 1, 0, 0, 0, 0x29, 0x52, 0x73)],
    ['global-then-truncated', b(0x80, 2, op.global('os', 'system'))],
  ];
  return list.map(([name, pkl]) => ({
    family: 'checkpoint' as const, name: `unsafe-${name}`, expect: UNSAFE, files: [{ path: 'w.pt', bytes: mini(pkl) }],
    run: async (ctx) => void (await loadCheckpointFile(join(ctx.dir, 'w.pt'))),
  }));
}

/** Pickles that try to exhaust time, memory or the stack, or are just malformed. */
function bombCases(): FuzzCase[] {
  const many = (x: Uint8Array, n: number): Uint8Array => new Bytes(x.length * n).repeat(x, n).bytes();
  const list: [string, Expect, () => Uint8Array][] = [
    ['empty-dicts-5M', LIMIT, () => P(many(b(0x7d), 5_000_000))],
    ['marks-5M', LIMIT, () => P(many(b(0x28), 5_000_000))],
    ['build-amplify', LIMIT, () => P(0x7d, op.put(0), 0x28, ...Array.from({ length: 50_000 }, (_, i) => b(op.int(i), 0x4e)), 0x75, 0x30,
      many(b(op.global('ultralytics.x', 'T'), 0x29, 0x81, op.get(0), 0x62, 0x30), 200_000), 0x4e)],
    ['set-amplify', LIMIT, () => P(0x5d, op.put(0), 0x28, many(b(0x4b, 1), 100_000), 0x65, 0x30, many(b(op.global('builtins', 'set'), op.get(0), 0x85, 0x52, 0x30), 100_000), 0x4e)],
    ['long4-1MB', BAD, () => P(0x8b, 0, 0, 0x10, 0, new Uint8Array(1 << 20))],
    ['binunicode-claims-4GB', BAD, () => P(0x58, 0xff, 0xff, 0xff, 0xff, 0x61, 0x62)],
    ['frame-2^60', BAD, () => P(0x95, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x4e)],
    ['memo-undefined', BAD, () => P(op.get(5))],
    ['stack-underflow', BAD, () => P(0x30)],
    ['no-stop', BAD, () => b(0x80, 2, 0x4e)],
    ['unknown-opcode', BAD, () => P(0xff)],
    ['reduce-chain', BAD, () => P(op.global('dill._dill', '_load_type'), op.str('x'), 0x85, 0x52, many(b(0x29, 0x52), 100_000))],
    ['deep-tuples-root', BAD, () => P(many(b(0x28), 100_000), many(b(0x74), 100_000))],
    ['deep-dict-root', BAD_OR_LIMIT, () => P(0x7d, op.str('model'), many(b(0x7d, op.str('a')), 100_000), 0x4e, many(b(0x73), 100_001))],
    ['setitems-odd', BAD, () => P(0x7d, 0x28, 0x4e, 0x75)],
    ['build-on-int', BAD, () => P(0x4b, 1, 0x7d, 0x62)],
    ['stop-with-2-items', BAD, () => P(0x4e, 0x4e)],
    ['model-none', BAD, () => P(0x7d, op.str('model'), 0x4e, 0x73)],
  ];
  const out: FuzzCase[] = list.map(([name, expect, make]) => ({
    family: 'checkpoint', name: `pickle-${name}`, expect,
    run: async () => void readWeights(mini(make())),
  }));
  out.push({ family: 'checkpoint', name: 'pickle-65MB', expect: LIMIT, run: async () => void readWeights(mini(new Uint8Array(65 << 20).fill(0x4e))) });
  return out;
}

/** Zip-level damage to the real file, rewritten as a plain stored zip (or deflated) first. */
function zipCases(): FuzzCase[] {
  type Layout = ReturnType<typeof zipLayout>;
  const patch = (name: string, expect: Expect, fn: (z: Uint8Array, v: DataView, l: Layout, parts: TorchParts) => Uint8Array | void, base: 'stored' | 'deflated' = 'stored'): FuzzCase => ({
    family: 'checkpoint', name: `zip-${name}`, expect,
    run: async (ctx) => {
      const ref = nano(ctx.shared);
      const parts = torchParts(ref.pt);
      const z = base === 'stored' ? storedZip(parts.entries) : zipSync(Object.fromEntries(parts.entries), { level: 6 });
      const ck = readWeights(fn(z, new DataView(z.buffer, z.byteOffset, z.byteLength), zipLayout(z), parts) ?? z);
      assertSameCheckpoint(ck, ref.ck);
    },
  });
  return [
    patch('rewritten-stored', OK, () => undefined),
    patch('deflated', OK, () => undefined, 'deflated'),
    patch('duplicate-entry', BAD, (_z, _v, _l, parts) => storedZip([...parts.entries, ['best/data/0', new Uint8Array(864)]])),
    patch('eocd-count-65535', BAD, (_z, v, l) => void (v.setUint16(l.eocd + 8, 0xffff, true), v.setUint16(l.eocd + 10, 0xffff, true))),
    patch('zip64-count-2^33', LIMIT, (z, v, l) => {
      // An EOCD64 record and its locator before the EOCD, claiming 2^33 entries.
      const r = new Bytes(z.length + 76).add(z.subarray(0, l.eocd));
      const at = r.length;
      r.u32(0x06064b50).u32(44).u32(0).u16(45).u16(45).u32(0).u32(0).u32(0).u32(2).u32(0).u32(2);
      r.u32(v.getUint32(l.eocd + 12, true)).u32(0).u32(v.getUint32(l.eocd + 16, true)).u32(0);
      r.u32(0x07064b50).u32(0).u32(at).u32(0).u32(1);
      return r.add(z.subarray(l.eocd)).bytes();
    }),
    patch('cd-offset-past-end', BAD, (_z, v, l) => void v.setUint32(l.eocd + 16, 0xfffffff0, true)),
    patch('local-offset-past-end', BAD, (_z, v, l) => void v.setUint32(l.central[0] + 42, 0xfffffff0, true)),
    patch('method-99', BAD, (_z, v, l) => void v.setUint16(l.central[1] + 10, 99, true)),
    patch('deflate-declares-4GB', LIMIT, (_z, v, l) => void v.setUint32(l.central[1] + 24, 0xfffffffe, true), 'deflated'),
    patch('stored-size-4GB', BAD, (_z, v, l) => void v.setUint32(l.central[1] + 20, 0xfffffffe, true)),
    patch('name-length-past-cd', BAD, (_z, v, l) => void v.setUint16(l.central[0] + 28, 0xffff, true)),
  ];
}

/** Random damage to the real file (no CRC fixed): success must give exactly the original. */
function mutationCases(rng: Rng, n: number, pt: Uint8Array): FuzzCase[] {
  const l = zipLayout(pt);
  const dataStart = l.local[1];
  const cdStart = l.central[0];
  const out: FuzzCase[] = [];
  const add = (kind: string, m: Mutation, i: number): void => void out.push({
    family: 'checkpoint', name: `mut-${kind}-${i}`, expect: EITHER,
    run: async (ctx) => {
      const ref = nano(ctx.shared);
      assertSameCheckpoint(readWeights(m(ref.pt)), ref.ck);
    },
  });
  for (let i = 0; i < n; i++) {
    add('flip-any', flips(rng, 1 + rng.int(8), 0, pt.length), i);
    // Flips where the parser works (pickle, headers, central directory) rather than in raw weights.
    add('flip-meta', rng.random() < 0.5 ? flips(rng, 1 + rng.int(4), 0, dataStart) : flips(rng, 1 + rng.int(4), cdStart, pt.length), i);
    add('truncate', truncation(rng, pt.length), i);
    add('zero-range', rng.random() < 0.5 ? zeroed(rng, 0, pt.length) : zeroed(rng, cdStart, pt.length), i);
    add('zip-field', zipField(rng, pt, l), i);
  }
  return out;
}

/** Sets one field of a random local header, central-directory entry or the EOCD (value drawn now). */
function zipField(rng: Rng, pt: Uint8Array, l: ReturnType<typeof zipLayout>): Mutation {
  const LOCAL: [number, 16 | 32][] = [[4, 16], [6, 16], [8, 16], [14, 32], [18, 32], [22, 32], [26, 16], [28, 16]];
  const CENTRAL: [number, 16 | 32][] = [[4, 16], [8, 16], [10, 16], [16, 32], [20, 32], [24, 32], [28, 16], [30, 16], [32, 16], [34, 16], [38, 32], [42, 32]];
  const EOCD: [number, 16 | 32][] = [[4, 16], [6, 16], [8, 16], [10, 16], [12, 32], [16, 32], [20, 16]];
  const kind = rng.int(3);
  const [base, fields] = kind === 0 ? [l.local[rng.int(l.local.length)], LOCAL] : kind === 1 ? [l.central[rng.int(l.central.length)], CENTRAL] : [l.eocd, EOCD];
  const [off, bits] = fields[rng.int(fields.length)];
  const v0 = new DataView(pt.buffer, pt.byteOffset, pt.byteLength);
  const val = fieldValue(rng, bits === 16 ? v0.getUint16(base + off, true) : v0.getUint32(base + off, true), bits);
  return (src) => {
    const z = Uint8Array.from(src);
    const v = new DataView(z.buffer);
    if (bits === 16) v.setUint16(base + off, val, true);
    else v.setUint32(base + off, val, true);
    return z;
  };
}

/** Random edits of the pickle itself, written back with a valid CRC: the result must be sane or typed. */
function pickleMutationCases(rng: Rng, n: number, pt: Uint8Array): FuzzCase[] {
  const pkl = torchParts(pt).pkl;
  const ops = opcodes(pkl);
  const ints = ops.filter(([, c]) => c === 0x4b || c === 0x4d || c === 0x4a);
  const codes = [0x28, 0x29, 0x2e, 0x30, 0x4e, 0x52, 0x5d, 0x61, 0x62, 0x65, 0x71, 0x73, 0x74, 0x75, 0x7d, 0x81, 0x85, 0x86, 0x87, 0x88];
  const out: FuzzCase[] = [];
  const add = (kind: string, i: number, edit: (p: Uint8Array) => void): void => void out.push({
    family: 'checkpoint', name: `mut-${kind}-${i}`, expect: EITHER,
    run: async (ctx) => {
      const parts = torchParts(nano(ctx.shared).pt);
      const p = Uint8Array.from(parts.pkl);
      edit(p);
      const ck = readWeights(torchZip(parts, p));
      assertSaneCheckpoint(ck);
      modelOfCheckpoint(ck);
    },
  });
  for (let i = 0; i < n; i++) {
    const at = 2 + rng.int(pkl.length - 3);
    const byte = rng.int(256);
    add('pickle-byte', i, (p) => void (p[at] = byte));
    const [pos, c] = ints[rng.int(ints.length)];
    const vals = [0, 1, 255, 0xffff, 0x7fffffff, 0xffffffff, rng.int(2 ** 32)];
    const val = vals[rng.int(vals.length)];
    add('pickle-int', i, (p) => {
      const width = c === 0x4b ? 1 : c === 0x4d ? 2 : 4;
      for (let k = 0; k < width; k++) p[pos + 1 + k] = (val >>> (8 * k)) & 0xff;
    });
    const [opPos] = ops[rng.int(ops.length)];
    const code = codes[rng.int(codes.length)];
    add('pickle-op', i, (p) => void (p[opPos] = code));
  }
  return out;
}

export const checkpointGenerator: Generator = {
  family: 'checkpoint',
  cases(rng, n, shared) {
    const pt = new Uint8Array(readFileSync(join(shared, NANO)));
    return [
      ...fileCases(shared), ...unsafeCases(), ...bombCases(), ...zipCases(), ...nanoEditCases(),
      ...mutationCases(rng, n, pt), ...pickleMutationCases(rng, n, pt),
    ];
  },
};
