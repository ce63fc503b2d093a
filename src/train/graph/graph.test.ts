/**
 * Finite-difference checks of the generated backward graph on a tiny model that contains every op
 * kind LeYOLO uses: dense 3x3 stride-2 convs (from the image and inside the net), 1x1 convs with and
 * without bias, depthwise 3x3/5x5 convs (stride 1 and 2; NCHWc and plain paths), training- and
 * eval-mode BatchNorm, SiLU, residual Add, SPPF (chained 5x5 max-pools + concat), nearest
 * upsample, concat and the Detect head. The loss is L = sum_i <R_i, head_i> with fixed random R,
 * so d L / d head_i = R_i is fed to the backward graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveModel } from '../../model/resolve.js';
import type { LayerRow } from '../../model/table.js';
import type { StateDict, Tensor } from '../../tensor.js';
import { TrainStep } from '../step.js';
import type { BnMode } from './forward.js';

const block = (out: number, k: number, expand: number | null, stride: number, pw: boolean): LayerRow =>
  ({ kind: 'MobileNetV3_BLOCK', from: -1, out, k, expand, se: false, stride, pw });

/** Strides 2..32 at a 64x64 input: Detect levels 8x8 (s8), 4x4 (s16), 2x2 (s32); SPPF at 4x4. */
const ROWS: LayerRow[] = [
  { kind: 'mn_conv', from: -1, out: 16, k: 3, s: 2 }, // 0  dense 3x3 s2 from the image
  block(16, 3, null, 2, false), // 1  dw 3x3 s2 (16 ch: NCHWc), no expand
  block(16, 5, 24, 1, true), // 2  expand 24 (plain dw path), dw 5x5, residual
  { kind: 'mn_conv', from: -1, out: 32, k: 3, s: 2 }, // 3  dense 3x3 s2  (s8)
  block(32, 5, 32, 2, true), // 4  dw 5x5 s2 (s16)
  { kind: 'SPPF', from: -1, out: 32, k: 5 }, // 5
  block(32, 3, 32, 2, true), // 6  dw 3x3 s2 (s32)
  { kind: 'Upsample', from: -1, scale: 2 }, // 7  (s16)
  { kind: 'Concat', from: [-1, 5] }, // 8  64 ch
  block(32, 3, 32, 1, true), // 9
  { kind: 'Detect', from: [3, 9, 6] },
];

function tinyModel() {
  return resolveModel({ scale: 'nano', nc: 3, layers: ROWS });
}

/** Deterministic pseudo-random numbers (LCG), uniform in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function randomParams(seed: number): StateDict {
  const r = rng(seed);
  const sd: StateDict = new Map();
  for (const l of tinyModel().layers) {
    for (const p of l.params) {
      const n = p.shape.reduce((a, b) => a * b, 1);
      const fan = p.shape.length === 4 ? p.shape[1] * p.shape[2] * p.shape[3] : 1;
      let f: () => number = () => r() / Math.sqrt(fan);
      if (p.name.endsWith('running_var')) f = () => 0.5 + 0.5 * Math.abs(r());
      else if (p.name.endsWith('running_mean')) f = () => 0.1 * r();
      else if (p.shape.length === 1 && p.name.endsWith('.weight')) f = () => 1 + 0.3 * r();
      sd.set(p.name, { shape: p.shape, data: Float32Array.from({ length: n }, f) });
    }
  }
  return sd;
}

const SHAPE: [number, number, number, number] = [2, 3, 64, 64];

async function check(bnMode: BnMode, nchwc: boolean): Promise<void> {
  const m = tinyModel();
  const step = new TrainStep(m, { bn: 1e-3, bnMode, threads: 1, nchwc });
  const params = randomParams(1);
  const r = rng(2);
  const images = Float32Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => 0.5 + 0.5 * r());
  try {
    const { heads } = await step.forward(params, images, SHAPE, false);
    const R: Tensor[] = heads.map((h) => ({ shape: h.shape, data: Float32Array.from(h.data, () => r()) }));
    const lossOf = (hs: Tensor[]): number => hs.reduce((s, h, i) => s + h.data.reduce((a, v, j) => a + v * R[i].data[j], 0), 0);
    const res = await step.run(params, { images, shape: SHAPE, targets: { batchIdx: new Int32Array(0), cls: new Float32Array(0), boxes: new Float32Array(0) } },
      (hs) => ({ loss: lossOf(hs), items: { box: 0, cls: 0, dfl: 0 }, grads: R }));
    const trainable = m.layers.flatMap((l) => l.params).filter((p) => p.kind === 'param' && !p.name.includes('.dfl.'));
    assert.equal(res.grads.size, trainable.length);
    let worst = 0;
    // A conv bias right before a training-mode BN cancels in the normalisation: its gradient is 0
    // exactly (PyTorch returns float round-off too), below the finite-difference noise, so check |g| only.
    const cancelled = new Set(bnMode === 'train' ? m.layers.flatMap((l) => l.convs).filter((u) => u.bias && u.bn).map((u) => u.bias ?? '') : []);
    for (const p of trainable) {
      const g = res.grads.get(p.name);
      assert.ok(g, `no gradient for ${p.name}`);
      if (cancelled.has(p.name)) {
        // float32 sums of ~1e3 terms of size ~1: round-off ~1e-4
        assert.ok(g.every((x) => Math.abs(x) < 1e-3), `${p.name} should have a zero gradient`);
        continue;
      }
      // Directional derivative along a random +-1 direction v, central differences with step h.
      const v = Float32Array.from(g, () => (r() < 0 ? -1 : 1));
      const w = params.get(p.name)?.data ?? new Float32Array(0);
      const orig = Float32Array.from(w);
      const at = async (t: number): Promise<number> => {
        for (let i = 0; i < w.length; i++) w[i] = orig[i] + t * v[i];
        return lossOf((await step.forward(params, images, SHAPE, false)).heads);
      };
      const central = async (h: number): Promise<number> => ((await at(h)) - (await at(-h))) / (2 * h);
      // Richardson extrapolation of central differences (error O(h^4)) with a small step: training-mode
      // BN over few samples makes L strongly curved along conv weights (central differences at h = 2e-3
      // were off by up to 50%, at h = 5e-4 by 4%; this gives <= 0.4%, measured).
      const H = 4e-4;
      const fd = (4 * (await central(H / 2)) - (await central(H))) / 3;
      w.set(orig);
      const an = g.reduce((a, x, i) => a + x * v[i], 0);
      // float32 forward: L carries ~1e-5 absolute rounding noise; divided by 2h = 4e-4 and with the
      // Richardson weights that is up to ~0.1 absolute on fd (measured 0.26 at worst), while gradients here
      // are O(1..1e3). So: 2e-2 relative with an absolute floor of 20 (fd noise <= 0.3 < 2e-2 * 20).
      const err = Math.abs(fd - an) / Math.max(Math.abs(an), 20);
      worst = Math.max(worst, err);
      assert.ok(err < 2e-2, `${p.name}: fd ${fd} vs analytic ${an}`);
    }
    assert.ok(worst < 2e-2);
  } finally {
    await step.dispose();
  }
}

test('backward graph matches finite differences: train-mode BN, NCHWc depthwise', () => check('train', true));
test('backward graph matches finite differences: eval-mode BN, plain ONNX convs', () => check('eval', false));
