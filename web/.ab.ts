import { buildSite, startStaticServer, launchChromium, SHARED_DIR, WEB_DIST } from '../tests/browser-harness.js';
await buildSite();
const srv = await startStaticServer({ '/': WEB_DIST + '/', '/shared/': SHARED_DIR + '/' });
const b = await launchChromium();
b.page.on('pageerror', (e) => console.log('pageerror:', e));
const th = process.argv[2] ?? '';
await b.page.goto(srv.url(`/?model=/shared/reference/onnx/leyolonano_320.onnx&backend=wasm&imgsz=320&threads=${th}`));
await b.page.waitForSelector('#status[data-state=ready], #status[data-state=error]', { timeout: 180000 });
const r = await b.page.evaluate(async (th) => {
  const d = (window as any).leyoloDemo;
  const a = d.detector.webEngine;
  const wasmPaths = new URL('./ort/', location.href).href;
  const ours = (await d.load({ weights: '/shared/weights/LeYOLONano.pt', imgsz: 320, backend: 'wasm', wasmPaths, numThreads: th ? Number(th) : undefined })).webEngine;
  const x = new Float32Array(3 * 320 * 320).fill(0.5);
  const ta: number[] = [], tb: number[] = [];
  for (let i = 0; i < 10; i++) { await a.run(x, [1, 3, 320, 320]); await ours.run(x, [1, 3, 320, 320]); }
  for (let i = 0; i < 60; i++) {
    let t = performance.now(); await a.run(x, [1, 3, 320, 320]); ta.push(performance.now() - t);
    t = performance.now(); await ours.run(x, [1, 3, 320, 320]); tb.push(performance.now() - t);
  }
  ta.sort((p, q) => p - q); tb.sort((p, q) => p - q);
  return { official: [ta[30], ta[6]], ours: [tb[30], tb[6]] };
}, th);
console.log('threads', th || 'default', JSON.stringify(r));
await b.close(); await srv.close();
