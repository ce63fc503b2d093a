/**
 * Sandboxes for fuzz cases: materialise a case's files (bytes, symlinks, FIFOs, folders) in a fresh
 * folder, and fingerprint everything in it so the runner can tell whether a case changed any file
 * outside its own output folder.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import type { FuzzFile } from './types.js';

/** Creates `files` under a new folder in `root`; returns the folder. */
export function makeSandbox(root: string, label: string, files: readonly FuzzFile[]): string {
  const dir = mkdtempSync(join(root, `${label.replace(/[^\w.-]/g, '_').slice(0, 60)}-`));
  for (const f of files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    if ('bytes' in f) writeFileSync(p, f.bytes);
    else if ('symlink' in f) symlinkSync(f.symlink, p);
    else if ('fifo' in f) {
      const r = spawnSync('mkfifo', [p]);
      if (r.status !== 0) throw new Error(`mkfifo ${p} failed`);
    } else mkdirSync(p, { recursive: true });
  }
  return dir;
}

/**
 * Path -> fingerprint of every entry under `dir` except those under `skip`: the type, and the
 * content hash of regular files or the target of links. FIFOs and devices are never opened.
 */
export function fingerprint(dir: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      const p = join(d, name);
      if (p === skip || p.startsWith(`${skip}/`)) continue;
      const st = lstatSync(p, { throwIfNoEntry: false });
      const rel = relative(dir, p);
      if (!st) continue;
      if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, 'dir');
        stack.push(p);
      } else if (st.isFile()) out.set(rel, `file:${st.size}:${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
      else out.set(rel, st.isFIFO() ? 'fifo' : 'special');
    }
  }
  return out;
}

/** Entries whose fingerprint differs between two snapshots (added, removed or changed). */
export function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of before) if (after.get(k) !== v) out.push(k);
  for (const k of after.keys()) if (!before.has(k)) out.push(k);
  return out.sort();
}

/** Removes a sandbox (links are removed, never followed). */
export function removeSandbox(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
