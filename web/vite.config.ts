/**
 * Vite config of the leyolo demo page (`npm run web` serves it, `npm run web:build` writes web/dist).
 * onnxruntime-web's wasm runtime (.wasm + its .mjs loader) is copied next to the page under `ort/`
 * and found at runtime through `ort.env.wasm.wasmPaths`, so the built site works from any static
 * server and wasm threads can start their workers from a stable URL.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const ortDist = resolve(here, '..', 'node_modules', 'onnxruntime-web', 'dist');
/** Plain SIMD build (wasm EP) and the asyncify build (WebGPU EP); src/web/engine.ts loads one. */
const ORT_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'];

/** Cross-origin isolation (SharedArrayBuffer) lets onnxruntime-web use wasm threads. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function ortRuntime(): Plugin {
  return {
    name: 'leyolo-ort-runtime',
    configureServer(server) {
      server.middlewares.use('/ort/', (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').split('?')[0];
        if (!ORT_FILES.includes(name)) return next();
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        // The .mjs also starts the wasm thread workers: a worker script needs COEP itself.
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        res.end(readFileSync(join(ortDist, name)));
      });
    },
    writeBundle(options) {
      const out = join(options.dir ?? join(here, 'dist'), 'ort');
      mkdirSync(out, { recursive: true });
      for (const f of ORT_FILES) copyFileSync(join(ortDist, f), join(out, f));
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [ortRuntime()],
  resolve: {
    // The non-bundled build of onnxruntime-web loads its runtime from env.wasm.wasmPaths.
    conditions: [...defaultClientConditions, 'onnxruntime-web-use-extern-wasm'],
  },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { headers: ISOLATION_HEADERS, fs: { allow: [resolve(here, '..')] } },
  preview: { headers: ISOLATION_HEADERS },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
});
