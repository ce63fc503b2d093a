import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveModel } from './resolve.js';
import { MODEL_TABLES } from './table.js';
import type { ResolvedModel } from './resolve.js';
import { walkModel } from './walk.js';
import type { WalkOps } from './walk.js';

/** Symbolic ops: every value is the expression that made it, every call is logged in order. */
function tracer(withHeads: boolean): { ops: WalkOps<string>; log: string[] } {
  const log: string[] = [];
  const emit = (s: string): string => (log.push(s), s);
  const ops: WalkOps<string> = {
    conv: (x, u) => emit(`${u.weight.replace(/(\.c|\.conv)?\.weight$/, '')}(${x})`),
    add: (x, y, l) => emit(`add${l.index}(${x}, ${y})`),
    maxPool: (x, k, l, i) => emit(`pool${l.index}.${i}k${k}(${x})`),
    upsample: (x, s, l) => emit(`up${l.index}x${s}(${x})`),
    concat: (xs, l) => emit(`cat${l.index}(${xs.length})`),
  };
  if (withHeads) ops.head = (box, cls, i) => emit(`p${i + 3}`);
  return { ops, log };
}

const walk = (m: ResolvedModel, withHeads = true) => {
  const t = tracer(withHeads);
  return { ...walkModel(m, 'img', t.ops), log: t.log };
};

test('a block reads expand -> depthwise -> projection (+ residual add), routed from the previous layer', () => {
  const w = walk(resolveModel({ scale: 'nano' }));
  const l3 = w.layers.find((l) => l.layer.index === 3);
  const l4 = w.layers.find((l) => l.layer.index === 4);
  // Layer 3 (stride 2, 16 -> 32 channels): no residual. Layer 4 (32 -> 32, stride 1): x + f(x).
  assert.equal(l3?.out, 'model.3.layers.2(model.3.layers.1(model.3.layers.0(model.2.layers.1(model.2.layers.0(model.1(model.0(img)))))))');
  assert.equal(l4?.out, `add4(${l3?.out}, model.4.layers.2(model.4.layers.1(model.4.layers.0(${l3?.out}))))`);
});

test('SPPF pools three times then concatenates four parts; concat and upsample follow the table', () => {
  const w = walk(resolveModel({ scale: 'nano' }));
  const sppf = w.log.filter((s) => /^(pool14|cat14)/.test(s)).map((s) => s.split('(')[0]);
  assert.deepEqual(sppf, ['pool14.0k5', 'pool14.1k5', 'pool14.2k5', 'cat14']);
  const cat16 = w.layers.find((l) => l.layer.index === 16);
  assert.deepEqual(cat16?.ins, [w.layers[15].out, w.layers[9].out]); // cat(-1, 9): top-down P4 path
  // The upsample factor comes from the row, not a constant.
  const rows = MODEL_TABLES.nano.layers.map((r) => (r.kind === 'Upsample' ? { ...r, scale: 4 } : r));
  assert.ok(walk(resolveModel({ scale: 'nano', layers: rows })).log.some((s) => s.startsWith('up15x4(')));
});

test('Detect: per level box then class branch (4 units each), heads only on request and after all branches', () => {
  const m = resolveModel({ scale: 'nano' });
  const w = walk(m);
  assert.deepEqual(w.levels.map((v) => v.head), ['p3', 'p4', 'p5']);
  assert.equal(w.log.indexOf('p3'), w.log.length - 3);
  assert.match(w.levels[0].box, /^model\.35\.cv2\.0\.3\(model\.35\.cv2\.0\.2\(model\.35\.cv2\.0\.1\(model\.35\.cv2\.0\.0\(/);
  assert.match(w.levels[2].cls, /^model\.35\.cv3\.2\.3\(/);
  assert.deepEqual(walk(m, false).levels.map((v) => v.head), [null, null, null]);
});

test('dead layers (Medium 38-41) are never emitted', () => {
  const w = walk(resolveModel({ scale: 'medium' }));
  assert.equal(w.layers.length, 39);
  assert.ok(!w.log.some((s) => /^(model|add|cat|up)(\.)?(38|39|40|41)\b/.test(s)));
});
