import { statSync } from 'node:fs';
import { resolve, sep, extname } from 'node:path';
import { LeyoloError } from '../errors.js';
import { walkFiles } from './fs.js';

/** Image extensions we read (Ultralytics IMG_FORMATS that sharp decodes). */
export const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.gif', '.heic', '.avif', '.jfif']);
/** Video extensions handed to ffmpeg. */
export const VIDEO_EXT = new Set(['.mp4', '.mov', '.avi', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv', '.flv', '.ts', '.gif_']);

export interface SourceList {
  images: string[];
  videos: string[];
  /** Sources that could not be used (missing, unsupported type, unreadable folder, link loop), with why. */
  problems: { file: string; code: 'FILE_NOT_FOUND' | 'BAD_IMAGE' | 'BAD_PATH'; reason: string }[];
}

/** `*`, `?` and `**` glob -> RegExp over '/'-separated paths. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Stat that never throws: undefined for missing paths, dangling links and link loops. */
function statOrUndefined(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Expand CLI sources (files, directories, globs) into sorted image and video paths. Folders are walked
 * without following link loops; files inside folders with other extensions are ignored. A source
 * that is missing, matches nothing or has an unsupported type is listed in `problems` (the command
 * reports it and carries on); only when nothing usable is left is it an error.
 *
 * @example
 * expandSources(['photos/', 'clips/*.mp4']); // { images: [...], videos: [...], problems: [] }
 */
export function expandSources(sources: readonly string[]): SourceList {
  const out: SourceList = { images: [], videos: [], problems: [] };
  const add = (p: string) => {
    const ext = extname(p).toLowerCase();
    if (IMAGE_EXT.has(ext)) out.images.push(p);
    else if (VIDEO_EXT.has(ext)) out.videos.push(p);
  };
  const walk = (dir: string): string[] => {
    const w = walkFiles(dir);
    for (const p of w.problems) out.problems.push({ file: p.file, code: 'BAD_PATH', reason: p.reason });
    return w.files;
  };
  for (const s of sources) {
    const st = statOrUndefined(s);
    if (st?.isDirectory()) {
      walk(s).forEach(add);
    } else if (st) {
      const ext = extname(s).toLowerCase();
      if (!IMAGE_EXT.has(ext) && !VIDEO_EXT.has(ext)) {
        out.problems.push({ file: s, code: 'BAD_IMAGE', reason: `unsupported file type '${ext || '(none)'}' (use images ${[...IMAGE_EXT].join(' ')} or videos .mp4 .mov .avi .mkv .webm)` });
      } else add(s);
    } else if (/[*?]/.test(s)) {
      const norm = s.split(sep).join('/');
      const root = norm.slice(0, norm.search(/[*?]/)).replace(/[^/]*$/, '') || '.';
      const re = globToRegExp(resolve(norm).split(sep).join('/'));
      const hits = statOrUndefined(root)?.isDirectory() ? walk(root).filter((f) => re.test(resolve(f).split(sep).join('/'))) : [];
      if (hits.length === 0) out.problems.push({ file: s, code: 'FILE_NOT_FOUND', reason: 'no files match this pattern (quote it so your shell does not expand it)' });
      hits.forEach(add);
    } else {
      out.problems.push({ file: s, code: 'FILE_NOT_FOUND', reason: 'not found (or a broken link)' });
    }
  }
  if (out.images.length + out.videos.length === 0) {
    const first = out.problems[0];
    throw new LeyoloError('FILE_NOT_FOUND', `no images or videos found in ${sources.join(', ')}${first ? ` (${first.file}: ${first.reason})` : ''}`, `pass image files, folders, quoted globs or videos; supported: ${[...IMAGE_EXT].join(' ')} and videos`);
  }
  return out;
}
