/**
 * A stand-in npm registry on localhost for the install test: it serves packuments built from this
 * repository's package-lock.json (every version the lock pins, with its dependencies, engines, os
 * and cpu) and tarballs from the local npm cache (`~/.npm/_cacache`, filled by `npm ci`). A consumer
 * pointed at it installs `leyolo` the way a user's `npm install` would, with the real registry out
 * of reach: anything not already on this machine fails the install instead of being downloaded.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  license?: string;
}

/** Package name of a lockfile path: the part after its last `node_modules/`. */
function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** The cached tarball of an sha512 integrity string, if npm has it. */
function cachedTarball(integrity: string, cache: string): Uint8Array | undefined {
  const sri = integrity.split(/\s+/).find((s) => s.startsWith('sha512-'));
  if (!sri) return undefined;
  const hex = Buffer.from(sri.slice(7), 'base64').toString('hex');
  const p = join(cache, 'content-v2', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  return existsSync(p) ? readFileSync(p) : undefined;
}

/**
 * Starts the registry on a free port; resolves with its URL and a close function.
 *
 * @example
 * const reg = await startLockRegistry('package-lock.json');
 * spawnSync('npm', ['install', tgz, '--registry', reg.url]);
 * await reg.close();
 */
export async function startLockRegistry(lockFile: string, cache = join(homedir(), '.npm', '_cacache')): Promise<{ url: string; close: () => Promise<void>; served: string[] }> {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { packages: Record<string, LockEntry> };
  const versions = new Map<string, Map<string, LockEntry>>();
  for (const [path, e] of Object.entries(lock.packages)) {
    if (!path || !e.version || !e.integrity) continue;
    const name = e.name ?? nameOf(path);
    if (!versions.has(name)) versions.set(name, new Map());
    versions.get(name)!.set(e.version, e);
  }
  const served: string[] = [];
  let base = '';
  const packument = (name: string) => {
    const vs = versions.get(name)!;
    const out: Record<string, unknown> = {};
    for (const [v, e] of vs) {
      const { integrity, ...meta } = e;
      out[v] = { ...meta, name, version: v, dist: { integrity, tarball: `${base}/${encodeURIComponent(name)}/-/${v}.tgz` } };
    }
    const latest = [...vs.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop()!;
    return { name, 'dist-tags': { latest }, versions: out };
  };
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]).slice(1);
    const tar = /^(.+)\/-\/(.+)\.tgz$/.exec(url);
    if (tar) {
      const e = versions.get(tar[1])?.get(tar[2]);
      const bytes = e?.integrity ? cachedTarball(e.integrity, cache) : undefined;
      if (!bytes) return void res.writeHead(404).end();
      served.push(`${tar[1]}@${tar[2]}`);
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
    }
    if (!versions.has(url)) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument(url)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return { url: `${base}/`, served, close: () => new Promise((r) => server.close(() => r())) };
}
