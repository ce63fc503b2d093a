// leyolo in a real browser: builds the demo (web/dist, Vite), serves it and ../shared from a local
// static server, drives Debian's headless Chromium through playwright-core, and checks that
// 1. the page's detections on COCO images equal Node's `load().detect()` (wasm backend),
// 2. a 500-frame detect/draw loop keeps the JS heap flat (no per-frame leak),
// 3. backend=webgpu works (WebGPU with an adapter, else the automatic wasm fallback),
// 4. the WebGPU execution provider itself runs (SwiftShader's software Vulkan) with the same result,
// 5. the webcam path (HTMLVideoElement input) runs live on Chromium's fake camera.
// Skips (with a message) only when /usr/bin/chromium is missing: CI installs it (apt-get install chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';
import { load } from '../src/node/model.js';
import type { Detection } from '../src/detector.js';
import { buildSite, CHROMIUM, launchChromium, SHARED_DIR, startStaticServer, type BrowserSession, type StaticServer } from './browser-harness.js';

const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install it with apt-get install -y chromium`;
const WEIGHTS = join(SHARED_DIR, 'weights', 'LeYOLONano.pt');
const IMAGES = ['datasets/coco8/images/val/000000000036.jpg', 'datasets/coco8/images/val/000000000042.jpg', 'datasets/coco8/images/train/000000000009.jpg'];
const CONF = 0.25;

let dist = '';
let server: StaticServer | undefined;
let browser: BrowserSession | undefined;

before(async () => {
  if (SKIP) return;
  dist = await buildSite(mkdtempSync(join(tmpdir(), 'leyolo-web-dist-')));
  server = await startStaticServer({ '/': dist + '/', '/shared/': SHARED_DIR + '/' });
  // Chromium's fake camera feeds getUserMedia without a device or a permission prompt.
  browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

/** Open the demo with query parameters and wait until the first run is done (or failed). */
async function openDemo(params: Record<string, string>): Promise<void> {
  const page = (browser as BrowserSession).page;
  await page.goto((server as StaticServer).url(`/?${new URLSearchParams(params)}`), { timeout: 60_000 });
  // With an image the run ends in 'done'; 'ready' is only the end state without one (it also
  // shows briefly between model load and the first detection, so never wait for it then).
  const end = params.image ? 'done' : 'ready';
  await page.waitForSelector(`#status:is([data-state=${end}], [data-state=error])`, { timeout: 120_000 });
  const state = await page.getAttribute('#status', 'data-state');
  assert.notEqual(state, 'error', `demo failed: ${await page.textContent('#status')}`);
}

function iou(a: Detection['box'], b: Detection['box']): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/**
 * Same detections as Node: every Node detection has a browser one of the same class whose box
 * corners are within 1 px and whose score is within 1e-3, and vice versa (counts equal). The two
 * runtimes (onnxruntime-node's MLAS vs the wasm SIMD kernels) differ by float rounding only, ~1e-5
 * in score and ~1e-4 px, so these are the tolerances with room, not a loosening. A detection
 * within 1e-3 of the confidence threshold may legitimately exist on one side only; none is skipped
 * unless that happens.
 */
function assertSameDetections(node: Detection[], web: Detection[], what: string): void {
  const nearConf = (d: Detection) => Math.abs(d.score - CONF) < 1e-3;
  const used = new Set<number>();
  for (const n of node) {
    let best = -1;
    for (let i = 0; i < web.length; i++) {
      if (!used.has(i) && web[i].classId === n.classId && (best < 0 || iou(web[i].box, n.box) > iou(web[best].box, n.box))) best = i;
    }
    if (best < 0 && nearConf(n)) continue;
    assert.ok(best >= 0, `${what}: browser lacks ${n.label} ${n.score.toFixed(4)} at [${n.box.map((v) => v.toFixed(1))}]`);
    used.add(best);
    const w = web[best];
    assert.equal(w.label, n.label);
    n.box.forEach((v, k) => assert.ok(Math.abs(v - w.box[k]) <= 1, `${what}: ${n.label} box[${k}] ${w.box[k]} vs Node ${v}`));
    assert.ok(Math.abs(w.score - n.score) <= 1e-3, `${what}: ${n.label} score ${w.score} vs Node ${n.score}`);
  }
  const extra = web.filter((d, i) => !used.has(i) && !nearConf(d));
  assert.deepEqual(extra, [], `${what}: browser-only detections`);
}

test('browser (wasm) detections equal Node detect() on COCO images', { skip: SKIP, timeout: 180_000 }, async () => {
  const page = (browser as BrowserSession).page;
  await openDemo({ model: '/shared/weights/LeYOLONano.pt', image: `/shared/${IMAGES[0]}`, backend: 'wasm', imgsz: '640', conf: String(CONF) });
  assert.match((await page.textContent('#backend-used')) ?? '', /onnxruntime-web\/wasm \(nano, imgsz 640\)/);
  const node = await load({ weights: WEIGHTS, imgsz: 640 });
  try {
    for (const [i, rel] of IMAGES.entries()) {
      const web = i === 0
        ? (JSON.parse((await page.textContent('#detections')) ?? '') as Detection[])
        : await page.evaluate((url) => (window as unknown as DemoWindow).leyoloDemo.show(url), `/shared/${rel}`);
      const ref = await node.detect(join(SHARED_DIR, rel), { conf: CONF });
      assert.ok(ref.length > 0, `${rel}: Node finds objects (the comparison is not vacuous)`);
      for (const d of web) assert.deepEqual(Object.keys(d).sort(), ['box', 'classId', 'label', 'score']);
      assertSameDetections(ref, web, rel);
    }
  } finally {
    await node.dispose();
  }
});

test('backend=webgpu runs: WebGPU when Chromium has an adapter, else the wasm fallback; same detections', { skip: SKIP, timeout: 120_000 }, async () => {
  const page = (browser as BrowserSession).page;
  await openDemo({ model: '/shared/weights/LeYOLONano.pt', image: `/shared/${IMAGES[1]}`, backend: 'webgpu', imgsz: '640', conf: String(CONF) });
  const used = await page.evaluate(() => (window as unknown as DemoWindow).leyoloDemo.detector?.backend ?? '');
  const hasAdapter = await page.evaluate(async () => {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return !!gpu && (await gpu.requestAdapter()) != null;
  });
  assert.equal(used, hasAdapter ? 'onnxruntime-web/webgpu' : 'onnxruntime-web/wasm');
  console.log(`# backend=webgpu ran on ${used} (WebGPU adapter: ${hasAdapter})`);
  const node = await load({ weights: WEIGHTS, imgsz: 640 });
  try {
    const web = JSON.parse((await page.textContent('#detections')) ?? '') as Detection[];
    assertSameDetections(await node.detect(join(SHARED_DIR, IMAGES[1]), { conf: CONF }), web, `${IMAGES[1]} (${used})`);
  } finally {
    await node.dispose();
  }
});

// WebGPU without a GPU: Chromium's bundled SwiftShader (CPU Vulkan) gives Dawn an adapter when
// unsafe WebGPU is enabled. Slow (~10 s/frame at 320 on 2 cores, most of the time in shader
// compilation on the first run) but it runs the real WebGPU execution provider end to end.
const WEBGPU_SKIP = SKIP || (process.env.LEYOLO_SKIP_WEBGPU === '1' && 'LEYOLO_SKIP_WEBGPU=1');

test('WebGPU execution provider on SwiftShader: same detections as Node', { skip: WEBGPU_SKIP, timeout: 240_000 }, async () => {
  const gpu = await launchChromium(['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader']);
  const node = await load({ weights: WEIGHTS, imgsz: 320 });
  try {
    const params = new URLSearchParams({ model: '/shared/weights/LeYOLONano.pt', image: `/shared/${IMAGES[2]}`, backend: 'webgpu', imgsz: '320', conf: String(CONF) });
    await gpu.page.goto((server as StaticServer).url(`/?${params}`), { timeout: 60_000 });
    await gpu.page.waitForSelector('#status:is([data-state=done], [data-state=error])', { timeout: 200_000 });
    assert.equal(await gpu.page.getAttribute('#status', 'data-state'), 'done', (await gpu.page.textContent('#status')) ?? '');
    const used = await gpu.page.evaluate(() => (window as unknown as DemoWindow).leyoloDemo.detector?.backend ?? '');
    assert.equal(used, 'onnxruntime-web/webgpu', 'SwiftShader offers an adapter, so no fallback');
    const web = JSON.parse((await gpu.page.textContent('#detections')) ?? '') as Detection[];
    const ref = await node.detect(join(SHARED_DIR, IMAGES[2]), { conf: CONF });
    assert.ok(ref.length > 0);
    // WebGPU kernels round differently from MLAS (measured: raw boxes within 3e-4 px, class
    // probabilities within 1e-6 of wasm), far inside the 1 px / 1e-3 tolerances.
    assertSameDetections(ref, web, `${IMAGES[2]} (webgpu/swiftshader)`);
  } finally {
    await node.dispose();
    await gpu.close();
  }
});

interface DemoWindow {
  leyoloDemo: { runFrames(n: number): Promise<number[]>; show(url: string): Promise<Detection[]>; detector: { backend: string } | null };
}

async function heapAfterGc(cdp: CDPSession): Promise<number> {
  // Two passes: the first can leave objects whose finalizers free more on the second.
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

test('a 500-frame detect+draw loop keeps the JS heap flat (±10%)', { skip: SKIP, timeout: 300_000 }, async () => {
  const { page, context } = browser as BrowserSession;
  await openDemo({ model: '/shared/weights/LeYOLONano.pt', image: `/shared/${IMAGES[2]}`, backend: 'wasm', imgsz: '320' });
  const cdp = await context.newCDPSession(page);
  const run = (n: number) => page.evaluate((k) => (window as unknown as DemoWindow).leyoloDemo.runFrames(k), n);
  // Warm-up: lazily created buffers, ort's arenas, and V8's JIT/feedback data, which grows for the
  // first ~250 frames by a saturating 0.1 MB (measured: +83k, +24k, +13k, +4k bytes per 250 frames).
  await run(60);
  const before = await heapAfterGc(cdp);
  const ms = await run(500);
  const afterHeap = await heapAfterGc(cdp);
  await cdp.detach();
  assert.equal(ms.length, 500);
  // A leak of even one 320x320 input tensor per frame (1.2 MB) would grow the heap by 600 MB.
  const growth = (afterHeap - before) / before;
  assert.ok(Math.abs(growth) <= 0.1, `heap ${before} -> ${afterHeap} bytes (${(growth * 100).toFixed(1)}%)`);
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(`# 500 frames nano@320 wasm: median ${sorted[250].toFixed(1)} ms/frame; heap ${(before / 1e6).toFixed(2)} -> ${(afterHeap / 1e6).toFixed(2)} MB`);
});

test('webcam: live detection on a video element (Chromium fake camera)', { skip: SKIP, timeout: 120_000 }, async () => {
  const page = (browser as BrowserSession).page;
  await openDemo({ model: '/shared/weights/LeYOLONano.pt', backend: 'wasm', imgsz: '320' });
  await page.click('#webcam');
  await page.waitForFunction(() => Number(document.getElementById('fps')?.textContent) > 0, null, { timeout: 30_000 });
  assert.equal(await page.textContent('#status'), 'live');
  // The canvas takes the video's natural size: Chromium's fake camera honours the requested 640x480.
  const size = await page.evaluate(() => { const c = document.getElementById('view') as HTMLCanvasElement; return [c.width, c.height]; });
  assert.deepEqual(size, [640, 480]);
  const json = JSON.parse((await page.textContent('#detections')) ?? 'null') as unknown;
  assert.ok(Array.isArray(json), '#detections holds the last frame\'s result array');
  await page.click('#webcam');
  assert.equal(await page.getAttribute('#status', 'data-state'), 'ready');
});
