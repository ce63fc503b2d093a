/**
 * Dev: A/B timing of model variants in headless Chromium's wasm backend, all in ONE page (same
 * threads, same background load), detect() calls interleaved round-robin. Variants are ONNX files
 * built here from LeYOLONano.pt (graph rewrites from dev/wasm-variants.ts via DUMP) plus session
 * options. Prints median/min detect ms and the mean per-stage ms of each.
 *
 *   node --import tsx dev/wasm-browser-ab.ts <dir with NAME.onnx> name1,name2[:opt] [frames=60] [imgsz=320]
 *   opts: nospin (session.intra_op.allow_spinning=0)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite, launchChromium, SHARED_DIR, startStaticServer } from '../tests/browser-harness.js';

const [dir, list, framesArg, imgszArg] = process.argv.slice(2);
const frames = Number(framesArg ?? 60);
const imgsz = Number(imgszArg ?? 320);
const specs = list.split(',').map((s) => { const [file, opt] = s.split(':'); return { name: s, file, opt: opt ?? '' }; });
const dist = await buildSite(mkdtempSync(join(tmpdir(), 'leyolo-ab-')));
const srv = await startStaticServer({ '/': dist + '/', '/shared/': SHARED_DIR + '/', '/ab/': dir + '/' });
const b = await launchChromium();
try {
  await b.page.goto(srv.url(`/?model=/ab/${specs[0].file}.onnx&backend=wasm&imgsz=${imgsz}`));
  await b.page.waitForSelector('#status:is([data-state=ready], [data-state=error])', { timeout: 120_000 });
  const res = await b.page.evaluate(async ({ specs, frames, imgsz }) => {
    type Det = { detect(x: unknown): Promise<unknown[]>; times: Record<string, number>; dispose(): Promise<void> };
    const demo = (window as unknown as { leyoloDemo: { load(o: unknown): Promise<Det> } }).leyoloDemo;
    const blob = await (await fetch('/shared/datasets/coco8/images/train/000000000009.jpg')).blob();
    const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image' });
    const opts: Record<string, unknown> = { nospin: { extra: { session: { intra_op: { allow_spinning: '0' } } } } };
    const dets: Det[] = [];
    for (const s of specs) {
      dets.push(await demo.load({ weights: `/ab/${s.file}.onnx`, imgsz, backend: 'wasm', wasmPaths: new URL('./ort/', location.href).href, sessionOptions: opts[s.opt] }));
    }
    const ms: number[][] = specs.map(() => []);
    const counts: number[] = [];
    for (let r = -5; r < frames; r++) {
      for (let j = 0; j < dets.length; j++) {
        const v = (j + r + 5) % dets.length;
        const t0 = performance.now();
        const out = await dets[v].detect(bitmap);
        if (r >= 0) ms[v].push(performance.now() - t0);
        if (r === 0) counts[v] = out.length;
        if (r === -1) for (const k of Object.keys(dets[v].times)) dets[v].times[k] = 0;
      }
    }
    return specs.map((s, i) => ({ name: s.name, ms: ms[i], times: dets[i].times, n: counts[i] }));
  }, { specs, frames, imgsz });
  const med = (x: number[]) => [...x].sort((a, c) => a - c)[Math.floor(x.length / 2)];
  const base = med(res[0].ms);
  for (const r of res) {
    const t = Object.entries(r.times).map(([k, v]) => `${k} ${(v / frames).toFixed(1)}`).join(' ');
    console.log(`${r.name.padEnd(26)} median ${med(r.ms).toFixed(1)} ms  min ${Math.min(...r.ms).toFixed(1)}  ratio ${(med(r.ms) / base).toFixed(3)}  (${t}; ${r.n} dets)`);
  }
} finally {
  await b.close();
  await srv.close();
  rmSync(dist, { recursive: true, force: true });
}
