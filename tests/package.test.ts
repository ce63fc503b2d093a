/**
 * The package as a user installs it: `npm pack`, then `ONNXRUNTIME_NODE_INSTALL=skip npm install` of the tarball into a fresh
 * project with the public registry out of reach (a localhost registry serves only what this machine
 * already has, see npm-registry.ts), then:
 * - a Node ESM consumer and a CommonJS consumer (`require()` of ESM, Node >= 20.19) run detect();
 * - a strict TypeScript check of a Node consumer (module nodenext) and of a browser consumer
 *   (moduleResolution bundler, which must get the browser types without any extra setting);
 * - the tarball holds LICENSE, and every source map it ships points at a source it ships.
 * Slow (the pack builds dist): full suite only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startLockRegistry } from './npm-registry.js';

const root = resolve(import.meta.dirname, '..');
const shared = resolve(root, '..', 'shared');
const skip = existsSync(join(shared, 'weights', 'LeYOLONano.pt')) ? false : 'needs ../shared';

/** Runs a command to completion; asynchronous so the registry in this process keeps answering. */
async function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string }> {
  const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: 300_000 });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => p.on('close', r));
  assert.equal(code, 0, `${cmd} ${args.join(' ')} failed:\n${stdout}\n${stderr}`);
  return { stdout };
}

function files(dir: string, out: string[] = []): string[] {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

const CONSUMER = {
  'esm.mjs': `import { load } from 'leyolo';
const model = await load({ weights: process.argv[2], imgsz: 320 });
const dets = await model.detect(process.argv[3]);
await model.dispose();
console.log(JSON.stringify(dets.map((d) => d.label)));
`,
  'cjs.cjs': `const { load, LeyoloError } = require('leyolo');
load({ weights: process.argv[2], imgsz: 320 }).then(async (model) => {
  const dets = await model.detect(process.argv[3]);
  await model.dispose();
  console.log(JSON.stringify({ n: dets.length, typed: typeof LeyoloError === 'function' }));
});
`,
  'node-consumer.ts': `import { load, LeyoloError, type Detection } from 'leyolo';
const model = await load({ weights: 'LeYOLONano.pt', imgsz: 320, maxPixels: 50_000_000 });
const dets: Detection[] = await model.detect('bus.jpg', { conf: 0.3 });
const box: [number, number, number, number] = dets[0].box;
if (dets[0] instanceof LeyoloError) throw dets[0];
console.log(box);
await model.dispose();
`,
  'web-consumer.ts': `import { load, type Detection } from 'leyolo';
// 'backend' only exists in the browser's LoadOptions: this fails if the Node types are picked.
const model = await load({ weights: '/models/nano.onnx', backend: 'wasm' });
const dets: Detection[] = await model.detect(document.createElement('img'));
console.log(dets.length, model.backend);
`,
  'tsconfig.node.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'] }, files: ['node-consumer.ts'] }),
  'tsconfig.web.json': JSON.stringify({ compilerOptions: { module: 'esnext', moduleResolution: 'bundler', target: 'es2022', lib: ['es2022', 'dom'], strict: true, noEmit: true, types: [] }, files: ['web-consumer.ts'] }),
};

test('the packed package installs without the public registry and works for Node and browser consumers', { skip, timeout: 900_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'leyolo-pack-'));
  const packed = await run('npm', ['pack', '--pack-destination', tmp, '--json'], root);
  const tgz = join(tmp, (JSON.parse(packed.stdout) as { filename: string }[])[0].filename);
  const app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  for (const [f, text] of Object.entries(CONSUMER)) writeFileSync(join(app, f), text);
  const reg = await startLockRegistry(join(root, 'package-lock.json'));
  try {
    // The registry override plus a dead proxy: nothing outside this machine can be reached.
    // ONNXRUNTIME_NODE_INSTALL=skip is the README's install line: without it onnxruntime-node's
    // postinstall downloads CUDA libraries from nuget.org on linux/x64 and the install fails offline.
    const env = { ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_registry: reg.url, npm_config_proxy: 'http://127.0.0.1:9', npm_config_https_proxy: 'http://127.0.0.1:9', npm_config_noproxy: '127.0.0.1', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    await run('npm', ['install', tgz], app, env);
    const pkg = join(app, 'node_modules', 'leyolo');
    assert.ok(existsSync(join(pkg, 'LICENSE')), 'LICENSE shipped');
    for (const map of files(join(pkg, 'dist')).filter((f) => f.endsWith('.map'))) {
      for (const src of (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources) {
        assert.ok(existsSync(resolve(dirname(map), src)), `${map} points at ${src}, which is shipped`);
      }
    }
    const weights = join(shared, 'weights', 'LeYOLONano.pt');
    const bus = join(shared, 'fixtures', 'images', 'bus.jpg');
    const esm = JSON.parse((await run(process.execPath, ['esm.mjs', weights, bus], app)).stdout.trim()) as string[];
    assert.ok(esm.includes('bus') && esm.includes('person'), `ESM consumer detections: ${esm.join(', ')}`);
    const cjs = JSON.parse((await run(process.execPath, ['cjs.cjs', weights, bus], app)).stdout.trim()) as { n: number; typed: boolean };
    assert.deepEqual(cjs, { n: esm.length, typed: true });
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.node.json'], app);
    // Browser users add onnxruntime-web (an optional peer dependency), as the README says.
    await run('npm', ['install', `onnxruntime-web@${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> }).peerDependencies['onnxruntime-web']}`], app, env);
    await run(process.execPath, [tsc, '-p', 'tsconfig.web.json'], app);
  } finally {
    await reg.close();
  }
});
