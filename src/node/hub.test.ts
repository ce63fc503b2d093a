/**
 * resolveWeights' download path against a local HTTP server (LEYOLO_WEIGHTS_URL): HTTP errors are
 * told apart from network failures, and a good download lands in the cache.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeyoloError } from '../errors.js';
import { cliText } from '../hints.js';
import { resolveWeights } from './hub.js';

const BODY = Buffer.from('not really a checkpoint, but bytes to cache');
let server: Server;
let base = '';

before(async () => {
  // Routes by file name: Small is served, Medium is a server error, everything else is missing.
  server = createServer((req, res) => {
    if (req.url === '/w/LeYOLOSmall.pt') return void res.end(BODY);
    if (req.url === '/w/LeYOLOMedium.pt') {
      res.statusCode = 503;
      return void res.end('busy');
    }
    if (req.url === '/w/LeYOLONano.pt') return void res.end(BODY); // wrong bytes for Nano's known sha256
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  base = `http://127.0.0.1:${addr.port}/w/`; // the trailing slash is dropped
  process.env.LEYOLO_WEIGHTS = '';
  process.env.LEYOLO_CACHE = mkdtempSync(join(tmpdir(), 'leyolo-hub-'));
});

after(() => new Promise<void>((ok) => server.close(() => ok())));

async function code(scale: 'nano' | 'small' | 'medium' | 'large'): Promise<LeyoloError> {
  const e = await resolveWeights({ scale }).then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof LeyoloError, `expected a LeyoloError, got ${String(e)}`);
  return e;
}

test('a 404 is WEIGHTS_NOT_FOUND (no such release file), not OFFLINE', async () => {
  process.env.LEYOLO_WEIGHTS_URL = base;
  const e = await code('large');
  assert.equal(e.code, 'WEIGHTS_NOT_FOUND');
  assert.match(e.message, /no such release file: .*\/w\/LeYOLOLarge\.pt \(HTTP 404\)/);
  // Library hint names the option; the CLI shows the flag.
  assert.match(e.hint, /`weights: 'LeYOLONano\.pt'`/);
  assert.match(cliText(e.hint), /--weights LeYOLONano\.pt/);
});

test('another HTTP status is DOWNLOAD_FAILED naming the status', async () => {
  process.env.LEYOLO_WEIGHTS_URL = base;
  const e = await code('medium');
  assert.equal(e.code, 'DOWNLOAD_FAILED');
  assert.match(e.message, /HTTP 503/);
});

test('no server at all is OFFLINE', async () => {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  process.env.LEYOLO_WEIGHTS_URL = `http://127.0.0.1:${port}`;
  const e = await code('small');
  assert.equal(e.code, 'OFFLINE');
});

test('a good download is cached; a checksum mismatch is BAD_CHECKPOINT and caches nothing', async () => {
  process.env.LEYOLO_WEIGHTS_URL = base;
  const p = await resolveWeights({ scale: 'small' });
  assert.equal(p, join(process.env.LEYOLO_CACHE!, 'LeYOLOSmall.pt'));
  assert.deepEqual(readFileSync(p), BODY);
  const e = await code('nano');
  assert.equal(e.code, 'BAD_CHECKPOINT');
  await assert.rejects(resolveWeights({ scale: 'nano' }), /checksum mismatch/);
});

test('a missing explicit path names the weights option', async () => {
  const e = await resolveWeights({ weights: '/nonexistent/x.pt' }).then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof LeyoloError);
  assert.equal(e.code, 'WEIGHTS_NOT_FOUND');
  assert.match(e.message, /from `weights`/);
  assert.equal(cliText(e.message), 'weights file not found: /nonexistent/x.pt (from --weights)');
  assert.match(cliText(e.hint), /^pass --weights path\/to\.pt: /);
});
