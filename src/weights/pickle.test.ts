import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeyoloError } from '../errors.js';
import { PickleGlobal, PickleObject, unpickle, type PickleValue } from './pickle.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const ascii = (s: string): number[] => [...Buffer.from(s, 'utf8')];
/** SHORT_BINUNICODE of a short string. */
const sbu = (s: string): number[] => [0x8c, Buffer.byteLength(s), ...ascii(s)];

function expectCode(bytes: Uint8Array, code: string, mention?: RegExp): void {
  assert.throws(
    () => unpickle(bytes),
    (e: unknown) => e instanceof LeyoloError && e.code === code && (!mention || mention.test(e.message)),
  );
}

// `pickle.dumps(obj, protocol=p)` of
// {'a': [1, -2, 300, 70000, -70000, 2**40, -2**70], 'f': 1.5, 'u': 'grüße ✓', 't': (True, False, None),
//  'b': b'\x00\x01', 'n': {0: 'person'}, 'e': [], 's': {3}} from CPython 3.
const BENIGN: Record<number, string> = {
  2: '80027d71002858010000006171015d7102284b014afeffffff4d2c014a701101004a90eefeff8a060000000000018a090000000000000000c0655801000000667103473ff80000000000005801000000757104580b0000006772c3bcc39f6520e29c937105580100000074710688894e8771075801000000627108635f636f646563730a656e636f64650a710958020000000001710a58060000006c6174696e31710b86710c52710d58010000006e710e7d710f4b005806000000706572736f6e71107358010000006571115d71125801000000737113635f5f6275696c74696e5f5f0a7365740a71145d71154b0361857116527117752e',
  4: '80049587000000000000007d94288c0161945d94284b014afeffffff4d2c014a701101004a90eefeff8a060000000000018a090000000000000000c0658c016694473ff80000000000008c0175948c0b6772c3bcc39f6520e29c93948c01749488894e87948c01629443020001948c016e947d944b008c06706572736f6e94738c0165945d948c0173948f94284b0390752e',
};

for (const proto of [2, 4]) {
  test(`benign protocol ${proto} pickle decodes to the same values`, () => {
    const v = unpickle(hex(BENIGN[proto]));
    assert.ok(v instanceof Map);
    assert.deepEqual([...v.keys()], ['a', 'f', 'u', 't', 'b', 'n', 'e', 's']);
    assert.deepEqual(v.get('a'), [1, -2, 300, 70000, -70000, 2 ** 40, -(2n ** 70n)]);
    assert.equal(v.get('f'), 1.5);
    assert.equal(v.get('u'), 'grüße ✓');
    assert.deepEqual(v.get('t'), [true, false, null]);
    assert.deepEqual(v.get('b'), new Uint8Array([0, 1]));
    assert.deepEqual(v.get('n'), new Map([[0, 'person']]));
    assert.deepEqual(v.get('e'), []);
    assert.deepEqual(v.get('s'), new Set([3]));
  });
}

test('OrderedDict (protocol 4, STACK_GLOBAL + MEMOIZE) becomes a Map', () => {
  const od = '80049530000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c017894473ff4000000000000732e';
  assert.deepEqual(unpickle(hex(od)), new Map([['x', 1.25]]));
});

test('allowed classes become inert records with args and state', () => {
  // GLOBAL ultralytics.nn.modules.conv Conv; EMPTY_TUPLE; NEWOBJ; {'k': 3}; BUILD; STOP
  const bytes = new Uint8Array([
    0x80, 2, ...ascii('cultralytics.nn.modules.conv\nConv\n'), 0x29, 0x81, 0x7d, ...sbu('k'), 0x4b, 3, 0x73, 0x62, 0x2e,
  ]);
  const v = unpickle(bytes);
  assert.ok(v instanceof PickleObject);
  assert.equal(v.$class, 'ultralytics.nn.modules.conv.Conv');
  assert.deepEqual(v.args, []);
  assert.deepEqual(v.state, new Map([['k', 3]]));
});

// Hostile pickles: each names a dangerous callable and then REDUCEs it. The VM has no way to
// call anything (REDUCE only builds records), and the global is refused at the GLOBAL opcode.
const HOSTILE: [string, Uint8Array, RegExp][] = [
  ['GLOBAL os.system + REDUCE', new Uint8Array([0x80, 2, ...ascii('cos\nsystem\n'), ...sbu('echo pwned'), 0x85, 0x52, 0x2e]), /os\.system/],
  ['GLOBAL posix.system', new Uint8Array([0x80, 2, ...ascii('cposix\nsystem\n'), ...sbu('id'), 0x85, 0x52, 0x2e]), /posix\.system/],
  ['GLOBAL builtins.eval', new Uint8Array([0x80, 2, ...ascii('cbuiltins\neval\n'), ...sbu('1+1'), 0x85, 0x52, 0x2e]), /builtins\.eval/],
  ['STACK_GLOBAL subprocess.Popen', new Uint8Array([0x80, 4, ...sbu('subprocess'), ...sbu('Popen'), 0x93, ...sbu('ls'), 0x85, 0x52, 0x2e]), /subprocess\.Popen/],
  ['INST os.system', new Uint8Array([0x80, 2, 0x28, ...sbu('ls'), ...ascii('ios\nsystem\n'), 0x2e]), /os\.system/],
  ['dill code constructor', new Uint8Array([0x80, 2, ...ascii('cdill._dill\n_create_function\n'), 0x29, 0x52, 0x2e]), /_create_function/],
  ['lookalike ultralytics module', new Uint8Array([0x80, 2, ...ascii('cultralytics.x\nsystem;rm\n'), 0x2e]), /ultralytics/],
  ['copyreg extension code', new Uint8Array([0x80, 2, 0x82, 1, 0x29, 0x52, 0x2e]), /extension/],
];
for (const [name, bytes, mention] of HOSTILE) {
  test(`hostile pickle refused: ${name}`, () => expectCode(bytes, 'UNSAFE_PICKLE', mention));
}

test('the global is refused before the pickle is even complete (no REDUCE needed)', () => {
  // Truncated right after the GLOBAL: if the global were not checked first we would get BAD_CHECKPOINT.
  expectCode(new Uint8Array([0x80, 2, ...ascii('cos\nsystem\n')]), 'UNSAFE_PICKLE', /os\.system/);
});

test('REDUCE of an allowed class only records the call', () => {
  const v = unpickle(new Uint8Array([0x80, 2, ...ascii('ctorch\ndevice\n'), ...sbu('cuda:0'), 0x85, 0x52, 0x2e]));
  assert.ok(v instanceof PickleObject);
  assert.equal(v.$class, 'torch.device');
  assert.deepEqual(v.args, ['cuda:0']);
});

test("dill's _load_type('set') REDUCE'd on a list is a Set", () => {
  const bytes = new Uint8Array([0x80, 2, ...ascii('cdill._dill\n_load_type\n'), ...sbu('set'), 0x85, 0x52, 0x5d, 0x85, 0x52, 0x2e]);
  assert.deepEqual(unpickle(bytes), new Set());
});

test('malformed pickles -> BAD_CHECKPOINT', () => {
  const good = hex(BENIGN[2]);
  for (const cut of [1, 10, 100, good.length - 1]) expectCode(good.subarray(0, cut), 'BAD_CHECKPOINT');
  expectCode(new Uint8Array([0x80, 2, 0xff, 0x2e]), 'BAD_CHECKPOINT', /unknown opcode 0xff at byte 2/);
  expectCode(new Uint8Array([0x80, 2, 0x2e]), 'BAD_CHECKPOINT'); // STOP on an empty stack
  expectCode(new Uint8Array([0x80, 2, 0x68, 7, 0x2e]), 'BAD_CHECKPOINT', /memo/); // BINGET of an unset memo slot
  expectCode(new Uint8Array([0x80, 2, 0x4b, 1, 0x52, 0x2e]), 'BAD_CHECKPOINT'); // REDUCE with one item
  expectCode(new Uint8Array([0x80, 2, 0x58, 0xff, 0xff, 0, 0, 0x61]), 'BAD_CHECKPOINT', /truncated/);
  expectCode(new Uint8Array([0x80, 2, 0x4b, 1, 0x4b, 2, 0x29, 0x52, 0x2e]), 'BAD_CHECKPOINT', /not a class/);
});

test('values are plain data: records never hold functions', () => {
  const v: PickleValue = unpickle(new Uint8Array([0x80, 2, ...ascii('ctorch\nHalfStorage\n'), 0x2e]));
  assert.ok(v instanceof PickleGlobal);
  assert.equal(v.$class, 'torch.HalfStorage');
  assert.equal(Object.values(v).some((x) => typeof x === 'function'), false);
});

/** `n` copies of `bytes`. */
const times = (bytes: number[], n: number): number[] => {
  const out = new Array<number>(bytes.length * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < bytes.length; j++) out[i * bytes.length + j] = bytes[j];
  return out;
};
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

test('work is bounded: BUILD of a big memoised dict onto many records -> LIMIT_EXCEEDED, fast', () => {
  // A 20k-entry dict (memo 0) merged into 5,000 fresh records: 100M map writes without the work cap.
  const dict = [0x7d, 0x72, ...u32(0), 0x28, ...Array.from({ length: 20_000 }, (_, i) => [0x4a, ...u32(i), 0x4e]).flat(), 0x75, 0x30];
  const record = [...ascii('cultralytics.x\nT\n'), 0x29, 0x81, 0x6a, ...u32(0), 0x62, 0x30];
  const t0 = performance.now();
  expectCode(new Uint8Array([0x80, 2, ...dict, ...times(record, 5_000), 0x4e, 0x2e]), 'LIMIT_EXCEEDED', /operations/);
  assert.ok(performance.now() - t0 < 5_000, 'refused quickly');
});

test('memory is bounded: a million EMPTY_DICTs -> LIMIT_EXCEEDED', () => {
  expectCode(new Uint8Array([0x80, 2, ...times([0x7d], 1_000_000), 0x2e]), 'LIMIT_EXCEEDED');
});

test('APPENDS of 200k items onto a record is fine (no spread of a huge argument list)', () => {
  const v = unpickle(new Uint8Array([0x80, 2, ...ascii('cultralytics.x\nT\n'), 0x29, 0x81, 0x28, ...times([0x4b, 1], 200_000), 0x65, 0x2e]));
  assert.ok(v instanceof PickleObject);
  assert.equal(v.listItems?.length, 200_000);
});

test('a call of the result of a call of a record is refused (no unbounded record chains)', () => {
  const chain = [...ascii('cdill._dill\n_load_type\n'), ...sbu('x'), 0x85, 0x52, 0x29, 0x52, 0x29, 0x52];
  expectCode(new Uint8Array([0x80, 2, ...chain, 0x2e]), 'BAD_CHECKPOINT', /call/);
  // One level (what dill writes) still works.
  const one = unpickle(new Uint8Array([0x80, 2, ...chain.slice(0, -2), 0x2e]));
  assert.ok(one instanceof PickleObject && one.callee instanceof PickleObject);
});

test('unpickle throws only LeyoloErrors, whatever the bytes', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
  for (let i = 0; i < 2_000; i++) {
    const bytes = new Uint8Array([0x80, 2, ...Array.from({ length: 1 + (i % 40) }, rnd)]);
    try {
      unpickle(bytes);
    } catch (e) {
      assert.ok(e instanceof LeyoloError && e.code !== 'INTERNAL', `${(e as Error).name}: ${(e as Error).message} for ${Buffer.from(bytes).toString('hex')}`);
    }
  }
});
