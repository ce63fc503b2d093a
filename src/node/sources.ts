import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep, extname } from 'node:path';
import { LeyoloError } from '../errors.js';

/** Image extensions we read (Ultralytics IMG_FORMATS that sharp decodes). */
export const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.gif', '.heic', '.avif', '.jfif']);
/** Video extensions handed to ffmpeg. */
export const VIDEO_EXT = new Set(['.mp4', '.mov', '.avi', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv', '.flv', '.ts', '.gif_']);

export interface SourceList {
  images: string[];
  videos: string[];
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

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
}

/**
 * Expand CLI sources (files, directories, globs) into sorted image and video paths.
 * A source that matches nothing is a typed error naming it.
 *
 * @example
 * expandSources(['photos/', 'clips/*.mp4']); // { images: [...], videos: [...] }
 */
export function expandSources(sources: readonly string[]): SourceList {
  const images: string[] = [];
  const videos: string[] = [];
  const add = (p: string) => {
    const ext = extname(p).toLowerCase();
    if (IMAGE_EXT.has(ext)) images.push(p);
    else if (VIDEO_EXT.has(ext)) videos.push(p);
  };
  for (const s of sources) {
    if (existsSync(s) && statSync(s).isDirectory()) {
      const files: string[] = [];
      walk(s, files);
      files.forEach(add);
      continue;
    }
    if (existsSync(s)) {
      const ext = extname(s).toLowerCase();
      if (!IMAGE_EXT.has(ext) && !VIDEO_EXT.has(ext)) {
        throw new LeyoloError('BAD_IMAGE', `unsupported file type '${ext || '(none)'}': ${s}`, `use images (${[...IMAGE_EXT].join(' ')}) or videos (.mp4 .mov .avi .mkv .webm)`);
      }
      add(s);
      continue;
    }
    if (/[*?]/.test(s)) {
      const norm = s.split(sep).join('/');
      const root = norm.slice(0, norm.search(/[*?]/)).replace(/[^/]*$/, '') || '.';
      const re = globToRegExp(resolve(norm).split(sep).join('/'));
      const files: string[] = [];
      if (existsSync(root)) walk(root, files);
      const hits = files.filter((f) => re.test(resolve(f).split(sep).join('/')));
      if (hits.length === 0) throw new LeyoloError('FILE_NOT_FOUND', `no files match ${s}`, 'check the pattern (quote it so your shell does not expand it)');
      hits.forEach(add);
      continue;
    }
    throw new LeyoloError('FILE_NOT_FOUND', `source not found: ${s}`, 'pass image files, directories, globs or video files');
  }
  if (images.length + videos.length === 0) {
    throw new LeyoloError('FILE_NOT_FOUND', `no images or videos found in ${sources.join(', ')}`, `supported: ${[...IMAGE_EXT].join(' ')} and videos`);
  }
  return { images, videos };
}
