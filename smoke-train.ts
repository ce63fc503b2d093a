import { readFileSync } from 'node:fs';
import { loadCheckpointFile } from './src/weights/node.js';
import { resolveModel } from './src/model/resolve.js';
import { TrainStep } from './src/train/step.js';
import type { LossTargets } from './src/train/loss/index.js';
const D = '/work/shared/fixtures/loss/';
const f32 = (n: string) => { const b = readFileSync(D + n); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };
const ck = await loadCheckpointFile('/work/shared/weights/LeYOLONano.pt');
const m = resolveModel({ scale: 'nano', nc: ck.nc });
const t = f32('targets.bin'); const n = t.length / 6;
const targets: LossTargets = { batchIdx: new Float32Array(n), cls: new Float32Array(n), boxes: new Float32Array(4 * n) };
for (let i = 0; i < n; i++) { targets.batchIdx[i] = t[6*i]; targets.cls[i] = t[6*i+1]; targets.boxes.set(t.subarray(6*i+2, 6*i+6), 4*i); }
const images = f32('input.bin');
for (const mode of ['train', 'eval'] as const) {
  const sd = new Map([...ck.stateDict].map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
  const step = new TrainStep(m, { bn: ck.bn, bnMode: mode, threads: 2 });
  const t0 = performance.now();
  const r = await step.run(sd, { images, shape: [2, 3, 320, 320], targets });
  console.log(mode, 'loss', r.loss, r.items, 'ms', performance.now() - t0, r.timings);
  const { heads } = await step.forward(new Map([...ck.stateDict].map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])), images, [2,3,320,320], false);
  heads.forEach((h, i) => { const ref = f32(`${mode}_head_p${i+3}.bin`); let md = 0, mr = 0; for (let j = 0; j < ref.length; j++) { md = Math.max(md, Math.abs(h.data[j]-ref[j])); mr = Math.max(mr, Math.abs(ref[j])); } console.log(' head', i, 'maxdiff', md, 'maxref', mr); });
  for (const p of ['model.0.c.weight', 'model.22.layers.2.weight', 'model.35.cv2.0.3.weight', 'model.35.cv3.0.3.weight', 'model.35.cv3.2.3.bias']) {
    const ref = f32(`${mode}_grad_${p.replace(/\./g, '_')}.bin`); const g = r.grads.get(p)!;
    let d = 0, s = 0; for (let j = 0; j < ref.length; j++) { d += (g[j]-ref[j])**2; s += ref[j]**2; }
    console.log(' grad', p, 'rel', Math.sqrt(d/s), 'norm', Math.sqrt(s));
  }
  console.log(' ngrads', r.grads.size);
}
