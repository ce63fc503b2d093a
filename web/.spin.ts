import { buildSite, startStaticServer, launchChromium, SHARED_DIR, WEB_DIST } from '../tests/browser-harness.js';
await buildSite();
const srv = await startStaticServer({ '/': WEB_DIST + '/', '/shared/': SHARED_DIR + '/' });
const b = await launchChromium();
b.page.on('pageerror', (e) => console.log('pageerror:', e));
const sz = Number(process.argv[2] ?? '320');
await b.page.goto(srv.url(`/?model=/shared/reference/onnx/leyolonano_320.onnx&backend=wasm&imgsz=320`));
await b.page.waitForSelector('#status[data-state=ready], #status[data-state=error]', { timeout: 180000 });
const r = await b.page.evaluate(async (sz) => {
  const d = (window as any).leyoloDemo;
  const wasmPaths = new URL('./ort/', location.href).href;
  const a = (await d.load({ weights: '/shared/weights/LeYOLONano.pt', imgsz: sz, backend: 'wasm', wasmPaths })).webEngine;
  const c = (await d.load({ weights: '/shared/weights/LeYOLONano.pt', imgsz: sz, backend: 'wasm', wasmPaths, sessionOptions: { extra: { session: { 'intra_op.allow_spinning': '0' } } } })).webEngine;
  const x = new Float32Array(3 * sz * sz).fill(0.5);
  const ta: number[] = [], tb: number[] = [];
  for (let i = 0; i < 10; i++) { await a.run(x, [1, 3, sz, sz]); await c.run(x, [1, 3, sz, sz]); }
  for (let i = 0; i < 60; i++) {
    let t = performance.now(); await a.run(x, [1, 3, sz, sz]); ta.push(performance.now() - t);
    t = performance.now(); await c.run(x, [1, 3, sz, sz]); tb.push(performance.now() - t);
  }
  ta.sort((p, q) => p - q); tb.sort((p, q) => p - q);
  return { spin: [ta[30], ta[6]], nospin: [tb[30], tb[6]] };
}, sz);
console.log(sz, JSON.stringify(r));
await b.close(); await srv.close();
