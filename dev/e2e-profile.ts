// Dev: per-stage times of detect() on bus.jpg (decode, letterbox, tensor, whole call).
import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/node/decode.js';
import { letterbox, toTensor } from '../src/image/letterbox.js';
import { load } from '../src/node/model.js';
const jpeg = new Uint8Array(readFileSync('../shared/fixtures/images/bus.jpg'));
const size = Number(process.argv[2] ?? 320);
const model = await load({ weights: '../shared/weights/LeYOLONano.pt', imgsz: size });
const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
const t = { dec: [] as number[], lb: [] as number[], tt: [] as number[], e2e: [] as number[] };
for (let i = 0; i < 30; i++) {
  let t0 = performance.now();
  const img = await decodeImage(jpeg);
  t.dec.push(performance.now() - t0);
  t0 = performance.now();
  const lb = letterbox(img, { size, mode: 'predict' });
  t.lb.push(performance.now() - t0);
  t0 = performance.now();
  toTensor(lb.image);
  t.tt.push(performance.now() - t0);
  t0 = performance.now();
  await model.detect(jpeg);
  t.e2e.push(performance.now() - t0);
}
const n = 60;
console.log(size, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, med(v).toFixed(2)])), Object.fromEntries(Object.entries(model.times).map(([k, v]) => [k, (v / n).toFixed(2)])));
await model.dispose();
