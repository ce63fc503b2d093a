// Dev: build the demo, serve it with the shared weights and an image, and save a screenshot.
import { buildSite, startStaticServer, launchChromium, SHARED_DIR } from '../tests/browser-harness.js';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
const dist = await buildSite(mkdtempSync(join(tmpdir(), 'leyolo-site-')));
const srv = await startStaticServer({ '/': dist, '/shared/': SHARED_DIR });
const b = await launchChromium();
await b.page.setViewportSize({ width: 1200, height: 900 });
await b.page.goto(srv.url(`/?model=/shared/weights/LeYOLONano.pt&image=/shared/fixtures/images/bus.jpg&backend=wasm&imgsz=640`));
await b.page.waitForFunction(() => (document.getElementById('detections')?.textContent ?? '').includes('"label"'), null, { timeout: 120_000 });
await b.page.screenshot({ path: process.argv[2] ?? '/tmp/demo.png' });
console.log((await b.page.textContent('#detections'))?.slice(0, 200));
await b.close();
await srv.close();
