// Dev experiment (not shipped, not imported): Why a short from-scratch run scores 0 in eval mode: train- vs eval-mode head scores and batch vs running BN stats of a run folder.
// Run: node --import tsx dev/bn-running-check.ts runs/train/N
import { readdirSync } from 'node:fs';
import { decodeImage } from '../src/image/decode.js';
import { letterbox, toTensor } from '../src/image/letterbox.js';
import { resolveModel } from '../src/model/resolve.js';
import { TrainStep } from '../src/train/step.js';
import { loadState } from '../src/train/state.js';
import { loadCheckpointFile } from '../src/weights/node.js';
const run = process.argv[2];
const ck = await loadCheckpointFile(`${run}/weights/last.safetensors`);
const st = loadState(`${run}/weights/last.state.safetensors`);
const m = resolveModel({ scale: 'nano', nc: 80 });
const dir = '/work/shared/datasets/coco8/images/train/';
const files = readdirSync(dir).sort();
const S = 320, B = files.length;
const images = new Float32Array(B * 3 * S * S);
for (let i = 0; i < B; i++) images.set(toTensor(letterbox(await decodeImage(dir + files[i]), { size: S, mode: 'square' }).image), i * 3 * S * S);
/** Per image, the highest class score (sigmoid of the largest class logit over all levels). */
function maxScores(heads: { shape: number[]; data: Float32Array }[]): string {
  const out: string[] = [];
  for (let b = 0; b < B; b++) {
    let mx = -Infinity;
    for (const h of heads) {
      const [, C, hh, ww] = h.shape;
      const hw = hh * ww;
      for (let c = 64; c < C; c++) for (let p = 0; p < hw; p++) mx = Math.max(mx, h.data[(b * C + c) * hw + p]);
    }
    out.push((1 / (1 + Math.exp(-mx))).toFixed(3));
  }
  return out.join(' ');
}

for (const [label, sd] of [['ema', ck.stateDict], ['raw', st.model]] as const) {
  for (const mode of ['train', 'eval'] as const) {
    const step = new TrainStep(m, { bn: ck.bn, bnMode: mode, threads: 2 });
    const { heads } = await step.forward(sd, images, [B, 3, S, S], false);
    await step.dispose();
    console.log(label, mode, maxScores(heads));
  }
}
{
  const step = new TrainStep(m, { bn: ck.bn, bnMode: 'train', threads: 2 });
  const { saved } = await step.forward(st.model, images, [B, 3, S, S], false);
  await step.dispose();
  for (const bn of ['model.0.bn', 'model.3.layers.0.bn', 'model.10.layers.2.bn', 'model.35.cv3.0.0.bn']) {
    const mean = saved[`mean:${bn}`]?.data as Float32Array, vr = saved[`var:${bn}`]?.data as Float32Array;
    if (!mean) { console.log('no', bn); continue; }
    const rm = st.model.get(`${bn}.running_mean`)!.data, rv = st.model.get(`${bn}.running_var`)!.data;
    console.log(bn, 'batch mean', Array.from(mean.slice(0, 4)).map((v) => v.toFixed(3)).join(','), 'running', Array.from(rm.slice(0, 4)).map((v) => v.toFixed(3)).join(','),
      '| batch var', Array.from(vr.slice(0, 4)).map((v) => v.toFixed(3)).join(','), 'running', Array.from(rv.slice(0, 4)).map((v) => v.toFixed(3)).join(','));
  }
}
{
  const step = new TrainStep(m, { bn: ck.bn, bnMode: 'train', threads: 2 });
  const sd = new Map([...st.model].map(([k, t]) => [k, { shape: t.shape, data: t.data.slice() }]));
  const { saved } = await step.forward(sd, images, [B, 3, S, S], false);
  await step.dispose();
  for (const [k, t] of sd) {
    if (!k.endsWith('.running_mean')) continue;
    const bn = k.slice(0, -'.running_mean'.length);
    const mean = saved[`mean:${bn}`]?.data as Float32Array, vr = saved[`var:${bn}`]?.data as Float32Array;
    if (!mean) continue;
    t.data.set(mean);
    sd.get(`${bn}.running_var`)!.data.set(vr);
  }
  const ev = new TrainStep(m, { bn: ck.bn, bnMode: 'eval', threads: 2 });
  const { heads } = await ev.forward(sd, images, [B, 3, S, S], false);
  await ev.dispose();
  console.log('eval with batch stats', maxScores(heads));
}
