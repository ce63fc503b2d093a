import { startStaticServer, launchChromium, SHARED_DIR, WEB_DIST } from '../tests/browser-harness.js';
const srv = await startStaticServer({ '/': WEB_DIST + '/', '/shared/': SHARED_DIR + '/' });
const b = await launchChromium();
await b.page.goto(srv.url(`/?model=/shared/weights/LeYOLONano.pt&image=/shared/datasets/coco8/images/train/000000000009.jpg&backend=wasm&imgsz=160`));
await b.page.waitForSelector('#status[data-state=done], #status[data-state=error]', { timeout: 180000 });
const cdp = await b.context.newCDPSession(b.page);
const heap = async () => { await cdp.send('HeapProfiler.collectGarbage'); await cdp.send('HeapProfiler.collectGarbage'); return (await cdp.send('Runtime.getHeapUsage')).usedSize; };
for (const n of [20, 250, 250, 250, 250, 250, 250]) {
  await b.page.evaluate((k) => (window as any).leyoloDemo.runFrames(k), n);
  console.log(n, await heap());
}
await b.close(); await srv.close();
