import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { startStaticServer, WEB_DIST } from '../tests/browser-harness.js';
const srv = await startStaticServer({ '/': WEB_DIST + '/' });
const variants: Record<string, string[]> = {
  a: ['--no-sandbox', '--disable-gpu', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'],
  b: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader'],
  c: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--use-angle=swiftshader'],
  d: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=native', '--use-angle=vulkan'],
};
for (const [k, args] of Object.entries(variants)) {
  const ctx = await chromium.launchPersistentContext(mkdtempSync('/tmp/lyw/prof-'), { executablePath: '/usr/bin/chromium', headless: true, args });
  const page = ctx.pages()[0] ?? await ctx.newPage();
  await page.goto(srv.url('/ort/'));
  const r = await page.evaluate(async () => {
    const gpu = (navigator as any).gpu;
    if (!gpu) return 'no navigator.gpu';
    try { const a = await gpu.requestAdapter(); if (!a) return 'null adapter'; const i = a.info ?? {}; return JSON.stringify({ vendor: i.vendor, arch: i.architecture, desc: i.description, fallback: a.isFallbackAdapter }); } catch (e) { return 'err ' + e; }
  });
  console.log(k, r);
  await ctx.close();
}
await srv.close();
