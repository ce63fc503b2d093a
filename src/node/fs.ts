/**
 * The one place leyolo touches files it reads as data or writes as outputs, so every rule holds
 * everywhere:
 * - only regular files are read (a FIFO, a device or /dev/zero behind a link is refused before any
 *   byte is read: the file is opened non-blocking and checked with fstat on that same descriptor);
 * - sizes are checked against a limit before the buffer is allocated;
 * - every file read as an input is remembered (device + inode), and no output ever replaces one;
 * - outputs are written to a temp file then renamed, never over a link, a device, a FIFO or a folder.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { LeyoloError, asLeyoloError, type ErrorCode } from '../errors.js';

/** Default size limits (bytes) per kind of input; generous for real files, far below memory limits. */
export const MAX_BYTES = {
  weights: 1 << 30,
  image: 512 << 20,
  text: 64 << 20,
  json: 1 << 30,
} as const;

/** Options of {@link readRegularFileSync}. */
export interface ReadOptions {
  /** Refuse files larger than this (LIMIT_EXCEEDED). */
  maxBytes: number;
  /** What the file is, for messages: 'image', 'weights', 'label file', ... */
  what: string;
  /** Code for a missing file (default FILE_NOT_FOUND). */
  notFound?: ErrorCode;
  /** Hint for a missing file. */
  notFoundHint?: string;
  /** Remember it as an input that outputs must never replace (default true). */
  input?: boolean;
}

/** Inputs read by this process, as `dev:ino`: outputs refuse to replace them. */
const inputs = new Set<string>();
const key = (st: Stats): string => `${st.dev}:${st.ino}`;

/**
 * Remember `path` as an input of this command (outputs will refuse to replace it).
 *
 * @example
 * protectInput('data/coco8.yaml');
 */
export function protectInput(path: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st) inputs.add(key(st));
}

/**
 * Forget `path` as an input: a command that reads one of its own earlier outputs (train --resume
 * reading last.safetensors) may replace it.
 *
 * @example
 * releaseInput('runs/train/1/weights/last.safetensors');
 */
export function releaseInput(path: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st) inputs.delete(key(st));
}

function openRegular(path: string, o: ReadOptions): { fd: number; size: number } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO never waits for a writer; fstat below then refuses it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT' || errno === 'ENOTDIR') {
      throw new LeyoloError(o.notFound ?? 'FILE_NOT_FOUND', `${o.what} not found: ${path}`, o.notFoundHint ?? 'check the path', { cause: e });
    }
    throw asLeyoloError(e, `cannot open ${o.what} ${path}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
    throw new LeyoloError('BAD_PATH', `${o.what} ${path} is ${kind}, not a regular file`, `pass the path of a regular ${o.what}`);
  }
  if (st.size > o.maxBytes) {
    closeSync(fd);
    throw new LeyoloError('LIMIT_EXCEEDED', `${o.what} ${path} is ${st.size} bytes, over the ${o.maxBytes}-byte limit`, 'check that this is the right file');
  }
  if (o.input !== false) inputs.add(key(st));
  return { fd, size: st.size };
}

/**
 * Read a whole regular file, refusing FIFOs, devices, folders and files over `maxBytes` before any
 * allocation. Errors are typed (FILE_NOT_FOUND, BAD_PATH, LIMIT_EXCEEDED, ...).
 *
 * @example
 * const bytes = readRegularFileSync('bus.jpg', { maxBytes: MAX_BYTES.image, what: 'image' });
 */
export function readRegularFileSync(path: string, o: ReadOptions): Uint8Array {
  const { fd, size } = openRegular(path, o);
  try {
    const out = new Uint8Array(size);
    let got = 0;
    // A file that shrinks while we read ends early; one that grows is read up to its size at open.
    while (got < size) {
      const n = readSync(fd, out, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === size ? out : out.subarray(0, got);
  } catch (e) {
    throw asLeyoloError(e, `cannot read ${o.what} ${path}`);
  } finally {
    closeSync(fd);
  }
}

/** {@link readRegularFileSync} as an async function (same checks). @example await readRegularFile(p, { maxBytes: MAX_BYTES.weights, what: 'weights' }); */
export async function readRegularFile(path: string, o: ReadOptions): Promise<Uint8Array> {
  return readRegularFileSync(path, o);
}

/**
 * A regular text file decoded as UTF-8 (default limit {@link MAX_BYTES}.text).
 *
 * @example
 * const yaml = readTextFile('coco8.yaml', { what: 'dataset yaml' });
 */
export function readTextFile(path: string, o: Omit<ReadOptions, 'maxBytes'> & { maxBytes?: number }): string {
  const bytes = readRegularFileSync(path, { ...o, maxBytes: o.maxBytes ?? MAX_BYTES.text });
  try {
    return new TextDecoder().decode(bytes);
  } catch (e) {
    throw asLeyoloError(e, `cannot decode ${o.what} ${path} as text`);
  }
}

/** Why `abs` must not be replaced by an output, or undefined when it may be. */
function refusal(abs: string, protect: readonly string[]): string | undefined {
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (protect.some((p) => resolve(p) === abs)) return 'it is an input of this command';
  if (!st) return undefined;
  if (st.isSymbolicLink()) return 'it is a symbolic link (the link would be replaced, not its target)';
  if (!st.isFile()) return st.isDirectory() ? 'it is a folder' : 'it is not a regular file (a device, FIFO or socket)';
  if (inputs.has(key(st))) return 'it is an input of this command';
  for (const p of protect) {
    const pst = statSync(p, { throwIfNoEntry: false });
    if (pst && key(pst) === key(st)) return 'it is an input of this command';
  }
  return undefined;
}

/**
 * Write a file atomically: write `.name.tmp-<pid>` (created exclusively, never through a link) then
 * rename it over `path`, so a crash never leaves a half-written output or checkpoint. Refuses
 * (UNSAFE_OUTPUT) a target that is a symlink, a folder, a device or FIFO, any path listed in
 * `protect`, or any file this process read as an input. ENOSPC -> DISK_FULL.
 *
 * @example
 * writeFileAtomic('runs/train/1/weights/last.safetensors', bytes);
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, protect: readonly string[] = []): void {
  const abs = resolve(path);
  const why = refusal(abs, protect);
  if (why) throw new LeyoloError('UNSAFE_OUTPUT', `refusing to write ${path}: ${why}`, 'choose a different output path');
  const tmp = join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}`);
  try {
    mkdirSync(dirname(abs), { recursive: true });
    if (lstatSync(tmp, { throwIfNoEntry: false })) unlinkSync(tmp); // a stale temp file of a crashed run with our pid
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, abs);
  } catch (e) {
    try {
      if (lstatSync(tmp, { throwIfNoEntry: false })) unlinkSync(tmp);
    } catch {
      // Best effort: the original error is the one to report.
    }
    throw asLeyoloError(e, `cannot write ${path}`);
  }
}

/**
 * Check up front that `path` may be written as an output (same rules as {@link writeFileAtomic}),
 * so a command fails before doing its work rather than after.
 *
 * @example
 * assertWritableOutput(jsonPath, [weights, ...images]);
 */
export function assertWritableOutput(path: string, protect: readonly string[] = []): void {
  const why = refusal(resolve(path), protect);
  if (why) throw new LeyoloError('UNSAFE_OUTPUT', `refusing to write ${path}: ${why}`, 'choose a different output path');
}

/**
 * Next free numbered run directory as Ultralytics does: `runs/predict/1`, `runs/predict/2`, ...
 * (Ultralytics names them predict, predict2, ...; we use plain numbers as the issue specifies).
 *
 * @example
 * const dir = nextRunDir('runs/predict'); // 'runs/predict/3'
 */
export function nextRunDir(parent: string, name?: string): string {
  try {
    mkdirSync(parent, { recursive: true });
    if (name) {
      const fixed = join(parent, name);
      mkdirSync(fixed, { recursive: true });
      return fixed;
    }
    const used = new Set(readdirSync(parent));
    let n = 1;
    while (used.has(String(n))) n++;
    const dir = join(parent, String(n));
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch (e) {
    throw asLeyoloError(e, `cannot create the run folder under ${parent}`);
  }
}

/** Options of {@link walkFiles}. */
export interface WalkOptions {
  /** Refuse trees with more files than this (LIMIT_EXCEEDED); default 5,000,000. */
  maxFiles?: number;
  /** Folders nested deeper than this are reported and skipped; default 64. */
  maxDepth?: number;
}

/**
 * All files under `root`, sorted, following symlinked folders as Python's glob does but walking each
 * real folder once (a link loop cannot recurse). Folders that cannot be read, nesting deeper than
 * `maxDepth` and loops are returned as problems, not thrown. Entries that are not folders are listed
 * as they are (dangling links included: reading them later reports the problem per file).
 *
 * @example
 * const { files, problems } = walkFiles('datasets/coco8/images');
 */
export function walkFiles(root: string, o: WalkOptions = {}): { files: string[]; problems: { file: string; reason: string }[] } {
  const maxFiles = o.maxFiles ?? 5_000_000;
  const maxDepth = o.maxDepth ?? 64;
  const files: string[] = [];
  const problems: { file: string; reason: string }[] = [];
  const seen = new Set<string>();
  // Iterative depth-first walk: a stack of [folder, depth]; children pushed in reverse to keep order.
  const stack: [string, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [dir, depth] = stack.pop()!;
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st) continue;
    if (seen.has(key(st))) {
      if (dir !== root) problems.push({ file: dir, reason: 'folder already visited (symbolic link loop or duplicate link)' });
      continue;
    }
    seen.add(key(st));
    if (depth > maxDepth) {
      problems.push({ file: dir, reason: `nested deeper than ${maxDepth} folders` });
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      problems.push({ file: dir, reason: `cannot read folder: ${(e as Error).message}` });
      continue;
    }
    const sub: string[] = [];
    for (const name of names) {
      const p = join(dir, name);
      let isDir = false;
      try {
        isDir = statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
      } catch (e) {
        problems.push({ file: p, reason: `cannot stat: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        continue;
      }
      if (isDir) sub.push(p);
      else files.push(p);
      if (files.length > maxFiles) throw new LeyoloError('LIMIT_EXCEEDED', `more than ${maxFiles} files under ${root}`, 'pass a smaller folder or a txt list of images');
    }
    for (let i = sub.length - 1; i >= 0; i--) stack.push([sub[i], depth + 1]);
  }
  files.sort();
  return { files, problems };
}

/**
 * Check that `path` is a regular file (not a FIFO, device or folder) without reading it, and remember
 * it as an input; returns its size. For inputs handed to other programs (videos to ffmpeg).
 *
 * @example
 * checkRegularFile('clip.mp4', 'video');
 */
export function checkRegularFile(path: string, what: string): number {
  const { fd, size } = openRegular(path, { maxBytes: Number.MAX_SAFE_INTEGER, what });
  closeSync(fd);
  return size;
}
