import { startStaticServer, launchChromium, SHARED_DIR, WEB_DIST } from '../tests/browser-harness.js';
const srv = await startStaticServer({ '/': WEB_DIST + '/', '/shared/': SHARED_DIR + '/' });
const b = await launchChromium(['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader']);
b.page.on('pageerror', (e) => console.log('pageerror:', e));
const model = process.argv[2] ?? '/shared/weights/LeYOLONano.pt';
await b.page.goto(srv.url(`/?model=${model}&backend=wasm&imgsz=320`));
await b.page.waitForSelector('#status[data-state=ready], #status[data-state=error]', { timeout: 300000 });
const r = await b.page.evaluate(async (model) => {
  const d = (window as any).leyoloDemo;
  const wasmPaths = new URL('./ort/', location.href).href;
  const w = d.detector.webEngine;
  const g = (await d.load({ weights: model, imgsz: 320, backend: 'webgpu', wasmPaths })).webEngine;
  const x = new Float32Array(3 * 256 * 320);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 1000;
  const a = await w.run(x, [1, 3, 256, 320]);
  const A = { shape: a.decoded.shape, data: a.decoded.data.slice() };
  const c = await g.run(x, [1, 3, 256, 320]);
  const N = A.shape[2];
  const rows: number[] = [];
  for (let r = 0; r < A.shape[1]; r += 1) { let m = 0; for (let j = 0; j < N; j++) m = Math.max(m, Math.abs(A.data[r * N + j] - c.decoded.data[r * N + j])); rows.push(m); }
  return { backend: g.backend, shape: c.decoded.shape, rows: rows.slice(0, 8).map((v) => v.toExponential(2)), maxCls: Math.max(...rows.slice(4)).toExponential(2), a0: Array.from(A.data.slice(0, 3)), c0: Array.from(c.decoded.data.slice(0, 3)), a4: Array.from(A.data.slice(4 * N, 4 * N + 3)), c4: Array.from(c.decoded.data.slice(4 * N, 4 * N + 3)) };
}, model);
console.log(JSON.stringify(r));
await b.close(); await srv.close();
