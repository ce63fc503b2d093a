/**
 * Node-side harness shared by tests/browser.test.ts and bench/web.ts: builds the demo site with
 * Vite, serves it (plus ../shared, read-only) from a tiny node:http server on 127.0.0.1, and drives
 * Debian's Chromium headless through playwright-core with a fresh profile.
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const SHARED_DIR = resolve(REPO_ROOT, '..', 'shared');
export const WEB_DIST = join(REPO_ROOT, 'web', 'dist');
export const CHROMIUM = process.env.LEYOLO_CHROMIUM ?? '/usr/bin/chromium';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.svg': 'image/svg+xml',
};

/** Build web/dist with the repo's Vite config (about a second; the .wasm copy dominates). */
export async function buildSite(outDir = WEB_DIST): Promise<string> {
  const { build } = await import('vite');
  await build({ configFile: join(REPO_ROOT, 'web', 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

/** A running static server; `url(path)` gives an absolute URL on it. */
export interface StaticServer {
  origin: string;
  url(path: string): string;
  close(): Promise<void>;
}

/**
 * Serve `mounts` (URL prefix -> directory) on 127.0.0.1 at a random port. Sends the COOP/COEP
 * headers so the page is cross-origin isolated (wasm threads), refuses paths that escape a mount.
 */
export async function startStaticServer(mounts: Record<string, string>): Promise<StaticServer> {
  const entries = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const hit = entries.find(([prefix]) => path.startsWith(prefix));
    let file = hit ? resolve(hit[1], '.' + path.slice(hit[0].length - 1)) : '';
    if (file && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    const inside = hit && (file === resolve(hit[1]) || file.startsWith(resolve(hit[1]) + sep));
    if (!inside || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (p) => origin + (p.startsWith('/') ? p : '/' + p),
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/** A headless Chromium with a throwaway profile; `close()` also deletes the profile. */
export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** The profile directory (unique per session, so it identifies the browser process). */
  profile: string;
  close(): Promise<void>;
}

/** Flags the issue asks for: no sandbox (root in CI), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-quic', '--disable-sync',
];

export async function launchChromium(extraArgs: string[] = []): Promise<BrowserSession> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'leyolo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    profile,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** [pid, ppid, utime + stime in clock ticks] of every process (Linux /proc). */
function procTable(): [number, number, number][] {
  const rows: [number, number, number][] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid ... utime(14) stime(15), 1-based.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      rows.push([Number(name), Number(f[1]), Number(f[11]) + Number(f[12])]);
    } catch {
      // the process exited while we were reading
    }
  }
  return rows;
}

/**
 * CPU time (ms, user + system) used so far by the browser of `session` and all its child processes
 * (renderer, GPU, utility). Unlike wall time this barely moves when other jobs load the machine, so
 * bench:web reports it beside the wall-clock medians. Linux only; NaN elsewhere.
 */
export function browserCpuMs(session: BrowserSession): number {
  if (!existsSync('/proc/self/stat')) return NaN;
  const table = procTable();
  const roots = table.filter(([pid]) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(session.profile);
    } catch {
      return false;
    }
  }).map(([pid]) => pid);
  const tree = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of table) if (tree.has(ppid) && !tree.has(pid)) { tree.add(pid); grew = true; }
  }
  const ticks = table.filter(([pid]) => tree.has(pid)).reduce((a, [, , t]) => a + t, 0);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}
