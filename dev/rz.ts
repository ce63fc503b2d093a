// Dev: resize micro-benchmark (bus 810x1080 -> 240x320 and 480x640).
import { decodeImage } from '../src/image/decode.js';
import { resizeLinearU8, axisTable } from '../src/image/resize.js';
const img = await decodeImage('../shared/fixtures/images/bus.jpg');
const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
for (const [w, h] of [[240, 320], [480, 640]]) {
  const r: number[] = [], a: number[] = [];
  for (let i = 0; i < 50; i++) {
    let t = performance.now(); resizeLinearU8(img.data, img.width, img.height, 3, w, h); r.push(performance.now() - t);
    t = performance.now(); axisTable(img.width, w, true); axisTable(img.height, h, false); a.push(performance.now() - t);
  }
  console.log(w, h, 'resize', med(r).toFixed(2), 'tables', med(a).toFixed(3));
}
