/**
 * leyolo safetensors checkpoints through the public API (`readWeights`, `loadCheckpointFile`): broken
 * headers, hostile JSON (deep, huge, overlapping, out of range), bad metadata (nc, names, eps, ...)
 * must be typed errors; valid variants (F16/F64 data, reordered data, no CRC) must load the same
 * model; random mutations of Nano's safetensors either fail typed or load exactly the original
 * (the file's CRC covers every byte) — or, for files without a CRC, load a sane checkpoint.
 */
import { join } from 'node:path';
import type { Rng } from '../../../src/data/rng.js';
import { modelOfCheckpoint } from '../../../src/model/from-checkpoint.js';
import { readWeights } from '../../../src/weights/index.js';
import { loadCheckpointFile } from '../../../src/weights/node.js';
import { writeSafetensors } from '../../../src/weights/safetensors.js';
import { halfToFloatTable } from '../../../src/weights/storage.js';
import { BAD, EITHER, LIMIT, OK, assertSameCheckpoint, assertSaneCheckpoint, expectMessage, flips, nano, truncation, zeroed, type Mutation } from './weights-common.js';
import type { Expect, FuzzCase, Generator } from '../types.js';

type Header = Record<string, unknown> & { __metadata__: Record<string, string> };
type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };
const enc = new TextEncoder();

/** A safetensors file from a header object and a data section (length prefix computed unless given). */
function stFile(header: unknown, data: Uint8Array, len?: number): Uint8Array {
  const json = typeof header === 'string' ? enc.encode(header) : header instanceof Uint8Array ? header : enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, len ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Nano's safetensors split into an editable header (CRC removed: edits must reach the checks) and data. */
function parts(st: Uint8Array): { header: Header; data: Uint8Array } {
  const len = new DataView(st.buffer, st.byteOffset).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + len))) as Header;
  delete header.__metadata__.leyolo_crc32;
  return { header, data: st.subarray(8 + len) };
}

const entries = (h: Header): [string, Entry][] => Object.entries(h).filter(([k]) => k !== '__metadata__') as [string, Entry][];
const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

/** A case: edit a fresh copy of Nano's header/data; `check` runs on success. */
function edit(name: string, expect: Expect, fn: (h: Header, data: Uint8Array) => Uint8Array | void, check: 'same' | 'sane' | 'model' = 'sane', re?: RegExp): FuzzCase {
  return {
    family: 'safetensors', name, expect,
    run: async (ctx) => {
      const ref = nano(ctx.shared);
      const p = parts(ref.st);
      const data = Uint8Array.from(p.data);
      const bytes = fn(p.header, data) ?? stFile(p.header, data);
      const go = (): void => {
        const ck = readWeights(bytes);
        assertSaneCheckpoint(ck);
        if (check === 'same') assertSameCheckpoint(ck, ref.ck, false);
        if (check === 'model') modelOfCheckpoint(ck);
      };
      await (re ? expectMessage(go, re) : go());
    },
  };
}

/** Sets metadata `k` (a thunk for big values: built when the case runs, not kept by the case list). */
const md = (k: string, v: string | (() => string)) => (h: Header): void => void (h.__metadata__[k] = typeof v === 'string' ? v : v());
const first = (h: Header): Entry => entries(h)[0][1];

function headerCases(): FuzzCase[] {
  const c: [string, Expect, (h: Header, d: Uint8Array) => Uint8Array | void][] = [
    ['len-beyond-file', BAD, (h, d) => stFile(h, d, 1e9)],
    ['len-hi-nonzero', BAD, (h, d) => { const f = stFile(h, d); f[4] = 1; return f; }],
    ['len-zero', BAD, (h, d) => stFile(h, d, 0)],
    ['len-short', BAD, (h, d) => stFile(h, d, 100)],
    ['header-17MB', LIMIT, (_h, d) => stFile(`{${' '.repeat(17 << 20)}}`, d)],
    ['not-json', BAD, (_h, d) => stFile('{"a": nope}', d)],
    ['not-utf8', BAD, (_h, d) => stFile(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), d)],
    ['array', BAD, (_h, d) => stFile('[1, 2]', d)],
    ['bom', BAD, (h, d) => stFile(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(JSON.stringify(h))]), d)],
    ['empty-object', BAD, (_h, d) => stFile('{}', d)],
    ['deep-entry-100k', BAD, (_h, d) => stFile(`{"a": ${deep(100_000)}}`, d)],
    ['deep-metadata-100k', BAD, (_h, d) => stFile(`{"__metadata__": {"x": ${deep(100_000)}}}`, d)],
    ['metadata-array', BAD, (h, d) => stFile({ ...h, __metadata__: [1] }, d)],
    ['metadata-null', BAD, (h, d) => stFile({ ...h, __metadata__: null }, d)],
    ['metadata-number-value', BAD, (h, d) => stFile({ ...h, __metadata__: { ...h.__metadata__, x: 5 } }, d)],
    ['metadata-proto-key', BAD, (h, d) => stFile(JSON.stringify(h).replace('"__metadata__":{', '"__metadata__":{"__proto__":"x",'), d)],
    ['tensors-20k', LIMIT, (h, d) => { for (let i = 0; i < 20_000; i++) (h as Record<string, unknown>)[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] }; return stFile(h, d); }],
    ['overlap', BAD, (h) => void (entries(h)[1][1].data_offsets = [...first(h).data_offsets])],
    ['overlap-partial', BAD, (h) => { const e = entries(h)[1][1]; e.data_offsets = [e.data_offsets[0] - 4, e.data_offsets[1] - 4]; }],
    ['offsets-past-end', BAD, (h) => void (entries(h).at(-1)![1].data_offsets[1] += 4)],
    ['offsets-huge', BAD, (h) => void (first(h).data_offsets = [0, 1e15])],
    ['offsets-reversed', BAD, (h) => void (first(h).data_offsets = [first(h).data_offsets[1], first(h).data_offsets[0]])],
    ['offsets-float', BAD, (h) => void (first(h).data_offsets[1] += 0.5)],
    ['offsets-negative', BAD, (h) => void (first(h).data_offsets = [-4, 1724])],
    ['offsets-strings', BAD, (h) => void ((first(h) as unknown as Record<string, unknown>).data_offsets = ['0', '1728'])],
    ['offsets-three', BAD, (h) => void ((first(h).data_offsets as number[]).push(5))],
    ['offsets-missing', BAD, (h) => void delete (first(h) as Partial<Entry>).data_offsets],
    ['numel-2^90', LIMIT, (h) => void (first(h).shape = [2 ** 30, 2 ** 30, 2 ** 30])],
    ['shape-unsafe-int', BAD, (h) => void (first(h).shape = [2 ** 53 + 2])],
    ['shape-negative', BAD, (h) => void (first(h).shape = [-16, 3, 3, 3])],
    ['shape-float', BAD, (h) => void (first(h).shape = [16, 3, 3, 1.5])],
    ['shape-rank-9', LIMIT, (h) => void (first(h).shape = [1, 1, 1, 1, 1, 1, 16, 27, 1])],
    ['shape-not-array', BAD, (h) => void ((first(h) as unknown as Record<string, unknown>).shape = 432)],
    ['shape-wrong-size', BAD, (h) => void (first(h).shape = [16, 3, 3, 2])],
    ['entry-not-object', BAD, (h) => void ((h as Record<string, unknown>)['model.0.c.weight'] = [1, 2])],
    ['entry-null', BAD, (h) => void ((h as Record<string, unknown>)['model.0.c.weight'] = null)],
    ...['I64', 'F8_E4M3', 'f32', 'toString', '__proto__', 'constructor'].map((t): [string, Expect, (h: Header) => void] => [`dtype-${t}`, BAD, (h) => void (first(h).dtype = t)]),
    ['dtype-number', BAD, (h) => void ((first(h) as unknown as Record<string, unknown>).dtype = 5)],
    ['dtype-f16-with-f32-bytes', BAD, (h) => void (first(h).dtype = 'F16')],
  ];
  return c.map(([n, e, f]) => edit(`header-${n}`, e, f));
}

function metadataCases(): FuzzCase[] {
  const c: [string, Expect, (h: Header, d: Uint8Array) => Uint8Array | void][] = [
    ['missing-names', BAD, (h) => void delete (h.__metadata__ as Partial<Record<string, string>>).names],
    ['missing-yaml', BAD, (h) => void delete (h.__metadata__ as Partial<Record<string, string>>).yaml],
    ['nc-1e9', LIMIT, md('nc', '1e9')], ['nc-0', BAD, md('nc', '0')], ['nc-float', BAD, md('nc', '1.5')],
    ['nc-string', BAD, md('nc', '"80"')], ['nc-81', BAD, md('nc', '81')], ['nc-not-json', BAD, md('nc', 'eighty')],
    ['names-100k', LIMIT, md('names', () => JSON.stringify(Array(100_000).fill('a')))],
    ['names-numbers', BAD, md('names', JSON.stringify(Array.from({ length: 80 }, (_, i) => i)))],
    ['names-deep', LIMIT, md('names', () => deep(100_000))],
    ['stride-empty', BAD, md('stride', '[]')], ['stride-inf', BAD, md('stride', '[8, 16, 1e999]')],
    ['stride-100', BAD, md('stride', JSON.stringify(Array(100).fill(8)))], ['stride-string', BAD, md('stride', '"x"')],
    ['yaml-deep-100k', LIMIT, md('yaml', () => `{"backbone": ${deep(100_000)}}`)],
    ['yaml-deep-300', LIMIT, md('yaml', `{"backbone": ${deep(300)}}`)],
    ['yaml-array', BAD, md('yaml', '[]')], ['yaml-string', BAD, md('yaml', '"x"')],
    ['yaml-300k-values', LIMIT, md('yaml', () => JSON.stringify({ x: Array(300_000).fill(0) }))],
    ['meta-deep-100k', LIMIT, md('meta', () => `{"trainArgs": ${deep(100_000)}}`)],
    ['meta-array', BAD, md('meta', '[]')],
    ['bn-eps-negative', BAD, (h) => void (h.__metadata__.bn = h.__metadata__.bn.replace('[0.001,', '[-1,'))],
    ['bn-eps-zero', BAD, (h) => void (h.__metadata__.bn = h.__metadata__.bn.replace('[0.001,', '[0,'))],
    ['bn-eps-1e300', BAD, (h) => void (h.__metadata__.bn = h.__metadata__.bn.replace('[0.001,', '[1e300,'))],
    ['bn-momentum-2', BAD, (h) => void (h.__metadata__.bn = h.__metadata__.bn.replace('0.03]', '2]'))],
    ['bn-one-number', BAD, (h) => void (h.__metadata__.bn = h.__metadata__.bn.replace('[0.001,0.03]', '[0.001]'))],
    ['bn-string', BAD, (h) => void (h.__metadata__.bn = h.__metadata__.bn.replace('[0.001,0.03]', '"x"'))],
    ['bn-20k', LIMIT, md('bn', () => JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`b${i}`, [0.001, 0.03]]))))],
    ['bn-not-object', BAD, md('bn', '[]')],
    ['train-state', BAD, () => writeSafetensors(new Map([['model/x', { shape: [1], data: new Float32Array(1) }]]), { format: 'leyolo-train-state', loop: '{}' })],
  ];
  const out = c.map(([n, e, f]) => edit(`meta-${n}`, e, f));
  // Unknown and '__proto__' meta fields are dropped; the checkpoint is otherwise the same.
  out.push(edit('meta-proto-and-junk', OK, md('meta', '{"__proto__": {"polluted": true}, "epoch": "x", "junk": [1]}'), 'same'));
  return out;
}

/** Writes fp16/f64 copies of the F32 data (lossless: Nano's weights were fp16 to begin with). */
function recoded(h: Header, data: Uint8Array, dtype: 'F16' | 'F64'): Uint8Array {
  const f32 = new Float32Array(data.slice().buffer);
  const half = new Map<number, number>();
  if (dtype === 'F16') halfToFloatTable().forEach((v, bits) => { if (!half.has(v) || bits < 0x8000) half.set(v, bits); });
  const size = dtype === 'F16' ? 2 : 8;
  const out = new Uint8Array(f32.length * size);
  const v = new DataView(out.buffer);
  for (let i = 0; i < f32.length; i++) {
    if (dtype === 'F16') v.setUint16(2 * i, Object.is(f32[i], -0) ? 0x8000 : half.get(f32[i])!, true);
    else v.setFloat64(8 * i, f32[i], true);
  }
  for (const [, e] of entries(h)) {
    e.dtype = dtype;
    e.data_offsets = [(e.data_offsets[0] / 4) * size, (e.data_offsets[1] / 4) * size];
  }
  return stFile(h, out);
}

function validCases(): FuzzCase[] {
  return [
    edit('valid-no-crc', OK, () => undefined, 'same'),
    edit('valid-f16', OK, (h, d) => recoded(h, d, 'F16'), 'same'),
    edit('valid-f64', OK, (h, d) => recoded(h, d, 'F64'), 'same'),
    edit('valid-reordered-data', OK, (h, d) => {
      // The same tensors with the data section in reverse order (keys come back in offset order).
      const es = entries(h);
      const out = new Uint8Array(d.length);
      let p = 0;
      for (const [, e] of [...es].reverse()) {
        const [a, z] = e.data_offsets;
        out.set(d.subarray(a, z), p);
        e.data_offsets = [p, p + z - a];
        p += z - a;
      }
      return stFile(h, out);
    }, 'same'),
    {
      family: 'safetensors', name: 'valid-file', expect: OK, files: [],
      run: async (ctx) => {
        const { writeFileSync } = await import('node:fs');
        const p = join(ctx.out, 'nano.safetensors');
        writeFileSync(p, nano(ctx.shared).st);
        assertSameCheckpoint(await loadCheckpointFile(p), nano(ctx.shared).ck);
      },
    },
  ];
}

/** Cases on the CRC-protected file itself. */
function crcCases(): FuzzCase[] {
  const onFile = (name: string, expect: Expect, m: (st: Uint8Array) => Uint8Array, re?: RegExp): FuzzCase => ({
    family: 'safetensors', name: `crc-${name}`, expect,
    run: async (ctx) => {
      const ref = nano(ctx.shared);
      const go = (): void => assertSameCheckpoint(readWeights(m(Uint8Array.from(ref.st))), ref.ck);
      await (re ? expectMessage(go, re) : go());
    },
  });
  const at = (st: Uint8Array, s: string): number => {
    const i = Buffer.from(st.buffer, st.byteOffset, st.byteLength).indexOf(s);
    if (i < 0) throw new Error(`fixture lacks ${s}`);
    return i;
  };
  return [
    onFile('intact', OK, (st) => st),
    onFile('data-bit-flipped', BAD, (st) => ((st[st.length - 100] ^= 4), st), /CRC/),
    onFile('name-char-changed', BAD, (st) => ((st[at(st, 'model.0.c.weight') + 6] = 0x31), st), /CRC/),
    onFile('value-not-hex', BAD, (st) => ((st[at(st, 'leyolo_crc32') + 15] = 0x7a), st)),
    onFile('nan-in-data', BAD, (st) => (st.fill(0xff, st.length - 8, st.length - 4), st)),
  ];
}

/** Non-finite or negative-variance data in an otherwise valid file (no CRC). */
function dataCases(): FuzzCase[] {
  const put = (key: string, i: number, value: number) => (h: Header, d: Uint8Array): void => {
    const e = h[key] as Entry;
    new DataView(d.buffer, d.byteOffset).setFloat32(e.data_offsets[0] + 4 * i, value, true);
  };
  return [
    edit('data-nan', BAD, put('model.0.c.weight', 3, NaN)),
    edit('data-inf', BAD, put('model.0.c.bias', 0, Infinity)),
    edit('data-negative-running-var', BAD, put('model.0.bn.running_var', 1, -1)),
    edit('data-smaller-conv', { kind: 'error', codes: ['MODEL_MISMATCH'] }, (h) => {
      const e = h['model.0.c.weight'] as Entry;
      e.shape = [8, 3, 3, 3];
      e.data_offsets = [e.data_offsets[0], e.data_offsets[0] + 864];
    }, 'model'),
  ];
}

/** Nano's safetensors without its CRC (the format of files written before the CRC existed). */
function withoutCrc(st: Uint8Array): Uint8Array {
  const p = parts(st);
  return stFile(p.header, p.data);
}

/** Random mutations: of the CRC'd file (success = identical), of a CRC-less copy (success = sane). */
function mutationCases(rng: Rng, n: number, st: Uint8Array): FuzzCase[] {
  const len = new DataView(st.buffer, st.byteOffset).getUint32(0, true);
  const plain = withoutCrc(st);
  const plainLen = new DataView(plain.buffer).getUint32(0, true);
  const out: FuzzCase[] = [];
  const add = (kind: string, i: number, m: Mutation, crc: boolean): void => void out.push({
    family: 'safetensors', name: `mut-${kind}-${i}`, expect: EITHER,
    run: async (ctx) => {
      const ref = nano(ctx.shared);
      if (crc) return assertSameCheckpoint(readWeights(m(ref.st)), ref.ck);
      const ck = readWeights(m(withoutCrc(ref.st)));
      assertSaneCheckpoint(ck);
      modelOfCheckpoint(ck);
    },
  });
  const header = new TextDecoder().decode(plain.subarray(8, 8 + plainLen));
  const digits = [...header].flatMap((ch, i) => (/[0-9]/.test(ch) ? [8 + i] : []));
  for (let i = 0; i < n; i++) {
    add('flip-header', i, flips(rng, 1 + rng.int(4), 0, 8 + len), true);
    add('flip-any', i, flips(rng, 1 + rng.int(8), 0, st.length), true);
    add('truncate', i, truncation(rng, st.length), true);
    add('zero-range', i, rng.random() < 0.5 ? zeroed(rng, 0, 8 + len) : zeroed(rng, 0, st.length), true);
    const lenVals = [0, 1, 8, len - 1, len + 1, len * 2, 0xffffffff, rng.int(2 ** 32)];
    const newLen = lenVals[rng.int(lenVals.length)];
    add('len-field', i, (b) => { const c = Uint8Array.from(b); new DataView(c.buffer).setUint32(0, newLen, true); return c; }, true);
    // Without a CRC: a digit of the header (a shape, an offset, eps, nc, ...) set to another digit.
    const pos = digits[rng.int(digits.length)];
    const d = 0x30 + rng.int(10);
    add('nocrc-digit', i, (b) => { const c = Uint8Array.from(b); c[pos] = d; return c; }, false);
    add('nocrc-flip-header', i, flips(rng, 1 + rng.int(3), 0, 8 + plainLen), false);
  }
  return out;
}

export const safetensorsGenerator: Generator = {
  family: 'safetensors',
  cases(rng, n, shared) {
    // Nano's safetensors is built once here (also memoised for the runs) to size the mutations.
    const st = nano(shared).st;
    return [...headerCases(), ...metadataCases(), ...validCases(), ...crcCases(), ...dataCases(), ...mutationCases(rng, n, st)];
  },
};
