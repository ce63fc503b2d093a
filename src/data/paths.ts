import { sep, extname } from 'node:path';

/**
 * Image suffixes accepted in image folders and lists (Ultralytics 8.1.4 IMG_FORMATS, compared lower-case).
 *
 * @example
 * IMG_FORMATS.has('jpg'); // true
 */
export const IMG_FORMATS: ReadonlySet<string> = new Set(['bmp', 'dng', 'jpeg', 'jpg', 'mpo', 'png', 'tif', 'tiff', 'webp', 'pfm']);

/**
 * True if the path has an image suffix from IMG_FORMATS.
 *
 * @example
 * isImagePath('a/b.JPG'); // true
 */
export function isImagePath(p: string): boolean {
  return IMG_FORMATS.has(extname(p).slice(1).toLowerCase());
}

/**
 * Label path of an image path, Ultralytics `img2label_paths` semantics: the LAST `/images/` becomes
 * `/labels/`, and everything after the last `.` of the whole path becomes `txt`.
 *
 * @example
 * img2labelPath('/d/images/train/1.jpg'); // '/d/labels/train/1.txt'
 */
export function img2labelPath(img: string, separator: string = sep): string {
  const a = `${separator}images${separator}`;
  const b = `${separator}labels${separator}`;
  const i = img.lastIndexOf(a);
  const swapped = i < 0 ? img : img.slice(0, i) + b + img.slice(i + a.length);
  const dot = swapped.lastIndexOf('.');
  return (dot < 0 ? swapped : swapped.slice(0, dot)) + '.txt';
}
