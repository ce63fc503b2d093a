/**
 * `npm run bench:web`: LeYOLO in headless Chromium (the demo page, wasm backend; WebGPU too when the
 * browser gets an adapter), ms/frame and FPS for nano@320 and nano@640, side by side with Node's
 * `load().detect()` on the same machine and image. Web and Node run in alternating chunks of 10
 * frames so background load hits both alike; medians over >= 100 frames after warm-up.
 * Prints a table and writes bench/results/web.json.
 *
 * CPU ms/frame (all browser processes, from /proc; Node: process.cpuUsage) is reported too: on a
 * shared, loaded machine wall time inflates but CPU time per frame barely does.
 *
 * Options: --frames N (default 120) --sizes 320,640 --backends wasm,webgpu --threads 1,2 (default: the page's)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize, type Timing } from '../src/bench/stats.js';
import { decodeImage } from '../src/node/decode.js';
import { load } from '../src/node/model.js';
import { browserCpuMs, buildSite, CHROMIUM, launchChromium, REPO_ROOT, SHARED_DIR, startStaticServer, type BrowserSession, type StaticServer } from '../tests/browser-harness.js';

interface Row {
  model: string;
  imgsz: number;
  backend: string;
  threads: string;
  /** detect() only: read pixels, letterbox, inference, NMS. */
  detect: Timing;
  /** Mean per-stage ms inside detect() (the Detector's own counters). */
  stages: { preprocess: number; inference: number; postprocess: number };
  /** Frames per second of the demo's whole loop step (detect + draw + DOM update). */
  loopFps: number;
  /** CPU ms per frame of all browser processes (robust to background load; threads add up). */
  cpuMsPerFrame: number;
  node: Timing;
  nodeCpuMsPerFrame: number;
}

const CHUNK = 10;
const IMAGE = 'datasets/coco8/images/train/000000000009.jpg';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

interface DemoHook {
  leyoloDemo: { runFrames(n: number): Promise<number[]>; detector: { times: Row['stages']; backend: string } | null };
}

async function openDemo(b: BrowserSession, srv: StaticServer, p: Record<string, string>): Promise<string> {
  await b.page.goto(srv.url(`/?${new URLSearchParams(p)}`));
  await b.page.waitForSelector('#status:is([data-state=done], [data-state=error])', { timeout: 120_000 });
  if ((await b.page.getAttribute('#status', 'data-state')) === 'error') throw new Error(`demo: ${await b.page.textContent('#status')}`);
  return b.page.evaluate(() => (window as unknown as DemoHook).leyoloDemo.detector?.backend ?? '?');
}

/** Web chunk: per-frame detect ms, wall ms of the whole chunk, stage counters before/after. */
async function webChunk(b: BrowserSession, n: number): Promise<{ ms: number[]; wall: number; stages: Row['stages'] }> {
  return b.page.evaluate(async (k) => {
    const d = (window as unknown as DemoHook).leyoloDemo;
    const s0 = { ...d.detector!.times };
    const t0 = performance.now();
    const ms = await d.runFrames(k);
    const wall = performance.now() - t0;
    const t = d.detector!.times;
    return { ms, wall, stages: { preprocess: t.preprocess - s0.preprocess, inference: t.inference - s0.inference, postprocess: t.postprocess - s0.postprocess } };
  }, n);
}

async function benchOne(b: BrowserSession, srv: StaticServer, imgsz: number, backend: string, frames: number, threads: string): Promise<Row> {
  const params: Record<string, string> = { model: '/shared/weights/LeYOLONano.pt', image: `/shared/${IMAGE}`, backend, imgsz: String(imgsz) };
  if (threads) params.threads = threads;
  const used = await openDemo(b, srv, params);
  const node = await load({ weights: join(SHARED_DIR, 'weights', 'LeYOLONano.pt'), imgsz });
  const rgb = await decodeImage(join(SHARED_DIR, IMAGE));
  try {
    await webChunk(b, 20); // warm-up: first runs build ort kernels and caches
    for (let i = 0; i < 5; i++) await node.detect(rgb);
    const web: number[] = [];
    const nodeMs: number[] = [];
    let wall = 0;
    let cpu = 0;
    let nodeCpu = 0;
    const stages = { preprocess: 0, inference: 0, postprocess: 0 };
    while (web.length < frames) {
      const cpu0 = browserCpuMs(b);
      const c = await webChunk(b, CHUNK);
      cpu += browserCpuMs(b) - cpu0;
      web.push(...c.ms);
      wall += c.wall;
      for (const k of Object.keys(stages) as (keyof typeof stages)[]) stages[k] += c.stages[k] / frames;
      const u0 = process.cpuUsage();
      for (let i = 0; i < CHUNK; i++) {
        const t0 = performance.now();
        await node.detect(rgb);
        nodeMs.push(performance.now() - t0);
      }
      const u = process.cpuUsage(u0);
      nodeCpu += (u.user + u.system) / 1000;
    }
    return {
      model: 'nano', imgsz, backend: used, threads: threads || 'default', detect: summarize(web), stages,
      loopFps: (web.length * 1000) / wall, cpuMsPerFrame: cpu / web.length, node: summarize(nodeMs), nodeCpuMsPerFrame: nodeCpu / nodeMs.length,
    };
  } finally {
    await node.dispose();
  }
}

function table(rows: Row[]): string {
  const head = '| model | imgsz | backend | threads | detect ms (median) | p10-p90 | FPS (1000/median) | loop FPS | infer ms | CPU ms/frame | Node ms (median) | Node FPS | Node CPU ms/frame |';
  const sep = '|---|---|---|---|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map((r) => `| ${r.model} | ${r.imgsz} | ${r.backend} | ${r.threads} | ${r.detect.median.toFixed(1)} | ${r.detect.p10.toFixed(1)}-${r.detect.p90.toFixed(1)} | `
    + `${(1000 / r.detect.median).toFixed(1)} | ${r.loopFps.toFixed(1)} | ${r.stages.inference.toFixed(1)} | ${r.cpuMsPerFrame.toFixed(1)} | `
    + `${r.node.median.toFixed(1)} | ${(1000 / r.node.median).toFixed(1)} | ${r.nodeCpuMsPerFrame.toFixed(1)} |`);
  return [head, sep, ...lines].join('\n');
}

async function main(): Promise<void> {
  const frames = Math.max(100, Number(arg('frames', '120')));
  const sizes = arg('sizes', '320,640').split(',').map(Number);
  const backends = arg('backends', 'wasm').split(',');
  const threadList = arg('threads', '').split(',');
  const load0 = loadavg()[0];
  const dist = await buildSite(mkdtempSync(join(tmpdir(), 'leyolo-bench-web-')));
  const srv = await startStaticServer({ '/': dist + '/', '/shared/': SHARED_DIR + '/' });
  const b = await launchChromium();
  const rows: Row[] = [];
  const version = await b.page.evaluate(() => navigator.userAgent);
  try {
    for (const backend of backends) {
      for (const s of sizes) for (const threads of threadList) rows.push(await benchOne(b, srv, s, backend, frames, threads));
    }
  } finally {
    await b.close();
    await srv.close();
    rmSync(dist, { recursive: true, force: true });
  }
  console.log(table(rows));
  const out = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const env = { chromium: CHROMIUM, userAgent: version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavgStart: load0, loadavgEnd: loadavg()[0], frames, image: IMAGE, date: new Date().toISOString() };
  writeFileSync(join(out, 'web.json'), JSON.stringify({ env, rows }, null, 2) + '\n');
  console.log(`wrote bench/results/web.json (load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
}

await main();
