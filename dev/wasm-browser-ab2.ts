/**
 * Dev: before/after of the browser library in ONE headless Chromium: the demo built from another
 * checkout (e.g. `git archive HEAD` unpacked with a node_modules symlink) and from this tree, in one
 * tab navigated back and forth (two live pages bias each other: the idle one's wasm threads spin),
 * alternating chunks of frames (order rotating each round) so background load hits both alike.
 *
 *   node --import tsx dev/wasm-browser-ab2.ts <other checkout root> [frames=100] [imgsz=320] [threads]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { buildSite, launchChromium, SHARED_DIR, startStaticServer } from '../tests/browser-harness.js';

const [other, framesArg, imgszArg, threads] = process.argv.slice(2);
const frames = Number(framesArg ?? 100);
const imgsz = imgszArg ?? '320';
const oldDist = mkdtempSync(join(tmpdir(), 'leyolo-ab-old-'));
await build({ configFile: join(other, 'web', 'vite.config.ts'), logLevel: 'warn', build: { outDir: oldDist, emptyOutDir: true } });
const newDist = await buildSite(mkdtempSync(join(tmpdir(), 'leyolo-ab-new-')));
const srv = await startStaticServer({ '/old/': oldDist + '/', '/new/': newDist + '/', '/shared/': SHARED_DIR + '/' });
const b = await launchChromium();
type Hook = { leyoloDemo: { runFrames(n: number): Promise<number[]>; detector: { times: Record<string, number> } } };
try {
  const q = new URLSearchParams({ model: '/shared/weights/LeYOLONano.pt', image: '/shared/datasets/coco8/images/train/000000000009.jpg', backend: 'wasm', imgsz });
  if (threads) q.set('threads', threads);
  const labels = ['old', 'new'];
  const ms: number[][] = [[], []];
  const stages = [{} as Record<string, number>, {} as Record<string, number>];
  const chunk = 20;
  for (let round = 0; ms[1].length < frames; round++) {
    for (const i of round % 2 ? [1, 0] : [0, 1]) {
      await b.page.goto(srv.url(`/${labels[i]}/?${q}`));
      await b.page.waitForSelector('#status:is([data-state=done], [data-state=error])', { timeout: 120_000 });
      const r = await b.page.evaluate(async (n) => {
        const d = (window as unknown as Hook).leyoloDemo;
        await d.runFrames(10); // warm-up: kernels, caches, JIT
        const s0 = { ...d.detector.times };
        const m = await d.runFrames(n);
        const t = d.detector.times;
        return { m, s: Object.fromEntries(Object.keys(t).map((k) => [k, t[k] - s0[k]])) };
      }, chunk);
      ms[i].push(...r.m);
      for (const [k, v] of Object.entries(r.s)) stages[i][k] = (stages[i][k] ?? 0) + v;
    }
  }
  const med = (x: number[]) => [...x].sort((a, c) => a - c)[Math.floor(x.length / 2)];
  for (const i of [0, 1]) {
    const st = Object.entries(stages[i]).map(([k, v]) => `${k} ${(v / ms[i].length).toFixed(1)}`).join(' ');
    console.log(`${labels[i]}: detect median ${med(ms[i]).toFixed(1)} ms (${(1000 / med(ms[i])).toFixed(1)} FPS), p10 ${[...ms[i]].sort((a, c) => a - c)[Math.floor(ms[i].length / 10)].toFixed(1)}, min ${Math.min(...ms[i]).toFixed(1)}; ${st}`);
  }
  console.log(`ratio new/old ${(med(ms[1]) / med(ms[0])).toFixed(3)}`);
} finally {
  await b.close();
  await srv.close();
  rmSync(oldDist, { recursive: true, force: true });
  rmSync(newDist, { recursive: true, force: true });
}
