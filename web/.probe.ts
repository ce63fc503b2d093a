import { startStaticServer, launchChromium, SHARED_DIR, WEB_DIST } from '../tests/browser-harness.js';
const srv = await startStaticServer({ '/': WEB_DIST + '/', '/shared/': SHARED_DIR + '/' });
const b = await launchChromium();
b.page.on('pageerror', (e) => console.log('pageerror:', e));
const sz = process.argv[2] ?? '320'; const model = process.argv[3] ?? '/shared/weights/LeYOLONano.pt'; const th = process.argv[4] ?? '';
await b.page.goto(srv.url(`/?model=${model}&threads=${th}&image=/shared/datasets/coco8/images/train/000000000009.jpg&backend=wasm&imgsz=${sz}`));
await b.page.waitForSelector('#status[data-state=done], #status[data-state=error]', { timeout: 180000 });
const r = await b.page.evaluate(async () => {
  const d = (window as any).leyoloDemo;
  await d.runFrames(10);
  const t = d.detector.times; const t0 = { ...t };
  const ms = await d.runFrames(40);
  ms.sort((a: number, b: number) => a - b);
  return { median: ms[20], p10: ms[4], pre: (t.preprocess - t0.preprocess) / 40, inf: (t.inference - t0.inference) / 40, post: (t.postprocess - t0.postprocess) / 40, coi: crossOriginIsolated, hc: navigator.hardwareConcurrency };
});
console.log(sz, model, th, JSON.stringify(r));
await b.close(); await srv.close();
