import { launchChromium } from '../tests/browser-harness.js';
const b = await launchChromium();
b.page.on('pageerror', (e) => console.log('pageerror:', e)); b.page.on('requestfinished', (r) => console.log('req', r.url().slice(0, 120))); b.page.on('requestfailed', (r) => console.log('FAILED', r.url().slice(0, 120), r.failure()?.errorText)); b.page.on('worker', (w) => console.log('worker', w.url()));
b.page.on('console', (m) => console.log('console:', m.text().slice(0, 200)));
await b.page.goto('http://localhost:5199/?model=/@fs/work/shared/reference/onnx/leyolonano_320.onnx&image=/@fs/work/shared/fixtures/images/bus.jpg&backend=wasm');
await new Promise((r) => setTimeout(r, 20000));
console.log(await b.page.textContent('#status'), await b.page.evaluate(() => crossOriginIsolated));
await b.close();
