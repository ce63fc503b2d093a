/**
 * Dev: detect ms of graph variants dumped by dev/wasm-variants.ts (DUMP=dev/tmp/abl), each loaded as an
 * .onnx by the demo in its own headless Chromium (wasm, the page's default threads), interleaved chunks.
 *
 *   DUMP=dev/tmp/abl node --import tsx dev/wasm-variants.ts 320 1 silu-tanh,no-dw
 *   node --import tsx dev/wasm-browser-ablate.ts silu-tanh,no-dw
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSite, launchChromium, SHARED_DIR, startStaticServer } from '../tests/browser-harness.js';
interface Hook { leyoloDemo: { runFrames(n: number): Promise<number[]> } }
const variants = (process.argv[2] ?? 'silu-tanh,no-dw').split(',');
const dist = await buildSite(mkdtempSync(join(tmpdir(), 'abl-')));
const srv = await startStaticServer({ '/': dist + '/', '/shared/': SHARED_DIR + '/', '/abl/': resolve('dev/tmp/abl') + '/' });
const pages = [];
for (const v of variants) {
  const b = await launchChromium();
  await b.page.goto(srv.url(`/?${new URLSearchParams({ model: `/abl/${v}.onnx`, image: '/shared/fixtures/images/bus.jpg', backend: 'wasm', imgsz: '320' })}`));
  await b.page.waitForSelector('#status:is([data-state=done], [data-state=error])', { timeout: 120_000 });
  console.log(v, await b.page.textContent('#status'));
  pages.push(b);
}
const ms: number[][] = variants.map(() => []);
for (let r = 0; r < 6; r++) for (let i = 0; i < pages.length; i++) {
  const t = await pages[i].page.evaluate((k) => (window as unknown as Hook).leyoloDemo.runFrames(k), 20);
  if (r > 0) ms[i].push(...t);
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
variants.forEach((v, i) => console.log(`${v}: median ${med(ms[i]).toFixed(1)} ms over ${ms[i].length} frames`));
for (const p of pages) await p.close();
await srv.close();
rmSync(dist, { recursive: true, force: true });
