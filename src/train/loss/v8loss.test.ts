import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeyoloError } from '../../errors.js';
import type { HeadLike } from './geometry.js';
import { v8Loss, v8LossDetailed } from './v8loss.js';
import type { LossTargets, V8LossOptions } from './v8loss.js';

// Tiny rectangular config: 64x96 input -> grids 8x12, 4x6, 2x3 (126 anchors), nc = 3, batch 3.
const OPTS: V8LossOptions = { nc: 3, strides: [8, 16, 32], imgsz: [64, 96] };
const B = 3, C = 64 + OPTS.nc;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function makeHeads(seed: number): HeadLike[] {
  const r = rng(seed);
  return OPTS.strides.map((st) => {
    const h = OPTS.imgsz[0] / st, w = OPTS.imgsz[1] / st;
    const data = new Float64Array(B * C * h * w);
    for (let i = 0; i < data.length; i++) data[i] = (r() - 0.5) * 3;
    return { shape: [B, C, h, w], data };
  });
}

// Image 0: two overlapping boxes (exercises multi-gt resolution), image 1: one box, image 2: none.
const TARGETS: LossTargets = {
  batchIdx: new Int32Array([1, 0, 0]),
  cls: new Float32Array([2, 0, 1]),
  boxes: new Float32Array([0.55, 0.5, 0.6, 0.7, 0.4, 0.45, 0.5, 0.6, 0.5, 0.5, 0.45, 0.55]),
};

test('analytic head gradient equals float64 finite differences (assignment and CIoU alpha frozen)', () => {
  const heads = makeHeads(11);
  const base = v8LossDetailed(heads, TARGETS, OPTS, true);
  const nfg = base.assignment.fg.reduce((s, v) => s + v, 0);
  assert.ok(nfg > 5 && base.items.box > 0 && base.items.dfl > 0, 'the config must have foreground anchors');
  const freeze = { assignment: base.assignment, alpha: base.alpha };
  const lossAt = () => v8LossDetailed(heads, TARGETS, OPTS, false, freeze).loss;
  // elements to check: every channel of every fg anchor plus a random sample of the rest
  const r = rng(5);
  const picks: [number, number][] = [];
  heads.forEach((hd, l) => {
    const [, , h, w] = hd.shape, hw = h * w;
    for (let i = 0; i < hd.data.length; i++) {
      const b = Math.floor(i / (C * hw)), p = i % hw;
      const off = [0, 96, 120][l];
      if (base.assignment.fg[b * 126 + off + p] || r() < 0.03) picks.push([l, i]);
    }
  });
  let worst = 0;
  for (const [l, i] of picks) {
    const d = heads[l].data, x0 = d[i], h = 1e-5;
    d[i] = x0 + h;
    const up = lossAt();
    d[i] = x0 - h;
    const dn = lossAt();
    d[i] = x0;
    const fd = (up - dn) / (2 * h), an = base.grads![l][i];
    // loss ~ O(10): rounding error ~1e-16 * 10 / 1e-5 = 1e-10, central-difference truncation ~h^2 |f'''| ~ 1e-10
    const err = Math.abs(fd - an) / (1e-6 + Math.abs(fd));
    worst = Math.max(worst, err);
    assert.ok(Math.abs(fd - an) < 1e-7 + 1e-5 * Math.abs(fd), `level ${l} elem ${i}: analytic ${an} vs fd ${fd}`);
  }
  assert.ok(picks.length > 1000, `checked ${picks.length} elements`);
});

test('float32 entry point agrees with the float64 core and returns dense official-layout targets', () => {
  const h64 = makeHeads(3);
  const h32 = h64.map((h) => ({ shape: h.shape, data: Float32Array.from(h.data) }));
  const h64r = h32.map((h) => ({ shape: h.shape, data: Float64Array.from(h.data) }));
  const a = v8Loss(h32, TARGETS, OPTS), b = v8LossDetailed(h64r, TARGETS, OPTS);
  // same float32 inputs, same float64 arithmetic: identical up to float64 rounding
  assert.ok(Math.abs(a.loss - b.loss) < 1e-12 * b.loss);
  const g = a.grads![0].data, g64 = b.grads![0];
  for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - g64[i]) <= 1e-7 * Math.abs(g64[i]) + 1e-30);
  const n = 126;
  assert.equal(a.assigned.targetScores.length, B * n * OPTS.nc);
  assert.equal(a.assigned.targetBboxes.length, B * n * 4);
  // image 2 has no gts: background everywhere, zero boxes
  for (let i = 2 * n; i < 3 * n; i++) assert.equal(a.assigned.fgMask[i], 0);
  assert.ok(a.assigned.targetBboxes.subarray(2 * n * 4).every((v) => v === 0));
  // every fg anchor centre lies inside its assigned gt (px), its score sits at the gt class
  for (let i = 0; i < 2 * n; i++) {
    if (!a.assigned.fgMask[i]) continue;
    const an = i % n, [x1, y1, x2, y2] = a.assigned.targetBboxes.subarray(4 * i, 4 * i + 4);
    const [st, off, w] = an < 96 ? [8, 0, 12] : an < 120 ? [16, 96, 6] : [32, 120, 3];
    const ax = (((an - off) % w) + 0.5) * st, ay = (Math.floor((an - off) / w) + 0.5) * st;
    assert.ok(ax > x1 && ax < x2 && ay > y1 && ay < y2);
    const row = a.assigned.targetScores.subarray(i * 3, i * 3 + 3);
    assert.equal(row.filter((v) => v !== 0).length, 1);
  }
});

test('without targets only the BCE term remains, normalised by 1', () => {
  const heads = makeHeads(7);
  const empty: LossTargets = { batchIdx: new Int32Array(0), cls: new Float32Array(0), boxes: new Float32Array(0) };
  const r = v8LossDetailed(heads, empty, OPTS);
  assert.equal(r.items.box, 0);
  assert.equal(r.items.dfl, 0);
  let sp = 0;
  heads.forEach((hd) => {
    const hw = hd.shape[2] * hd.shape[3];
    for (let b = 0; b < B; b++) {
      for (let i = (b * C + 64) * hw; i < (b * C + C) * hw; i++) sp += Math.log(1 + Math.exp(hd.data[i]));
    }
  });
  assert.ok(Math.abs(r.items.cls - 0.5 * sp) < 1e-9 * sp);
  assert.ok(Math.abs(r.loss - 0.5 * sp * B) < 1e-9 * sp * B);
  const g0 = r.grads![0], x = heads[0].data[64 * 96];
  assert.equal(g0[0], 0); // distribution channels get no gradient without foreground
  assert.ok(Math.abs(g0[64 * 96] - (0.5 * B) / (1 + Math.exp(-x))) < 1e-12);
});

test('user errors are LeyoloErrors with a hint', () => {
  const heads = makeHeads(1);
  const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof LeyoloError && e.code === 'BAD_ARGUMENT' && e.hint !== '');
  bad(() => v8LossDetailed(heads, TARGETS, { ...OPTS, imgsz: [64, 64] }));
  bad(() => v8LossDetailed(heads, TARGETS, { ...OPTS, nc: 4 }));
  bad(() => v8LossDetailed(heads, { ...TARGETS, batchIdx: new Int32Array([3, 0, 0]) }, OPTS));
  bad(() => v8LossDetailed(heads, { ...TARGETS, cls: new Float32Array([2, 0, 3]) }, OPTS));
  bad(() => v8LossDetailed(heads.slice(0, 2), TARGETS, OPTS));
});

test('an external softplus sum gives the same loss, and the sparse gradient plus clsScale sigmoid(x) is the full gradient', () => {
  const heads = makeHeads(23);
  const full = v8LossDetailed(heads, TARGETS, OPTS, true);
  let sp = 0;
  const isCls = (i: number, hw: number): boolean => Math.floor(i / hw) % C >= 64;
  for (const hd of heads) {
    const hw = hd.shape[2] * hd.shape[3];
    hd.data.forEach((x, i) => { if (isCls(i, hw)) sp += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); });
  }
  const ext = v8LossDetailed(heads, TARGETS, { ...OPTS, clsSoftplusSum: sp }, true);
  // same float64 terms summed in another order: agreement to round-off
  assert.ok(Math.abs(ext.loss - full.loss) <= 1e-12 * full.loss, `${ext.loss} vs ${full.loss}`);
  assert.equal(ext.clsScale, full.clsScale);
  heads.forEach((hd, l) => {
    const hw = hd.shape[2] * hd.shape[3];
    const gf = full.grads?.[l], ge = ext.grads?.[l];
    assert.ok(gf && ge);
    for (let i = 0; i < gf.length; i++) {
      const dense = isCls(i, hw) ? ext.clsScale / (1 + Math.exp(-hd.data[i])) : 0;
      // float64 throughout; the table-driven exp of the full path is accurate to a few ulps
      assert.ok(Math.abs(ge[i] + dense - gf[i]) <= 1e-12, `level ${l} element ${i}: ${ge[i] + dense} vs ${gf[i]}`);
    }
  });
});
