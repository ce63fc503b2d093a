import { readFileSync } from 'node:fs';
import { LeyoloError } from '../errors.js';

/**
 * Read and parse a JSON file with typed errors (missing file, bad JSON) that name the file and `flag`.
 *
 * @example
 * const gt = readJson<CocoGt>('instances_val2017.json', '--gt');
 */
export function readJson<T>(path: string, flag: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LeyoloError('FILE_NOT_FOUND', `${flag}: cannot read ${path}`, `pass ${flag} PATH to an existing JSON file`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new LeyoloError('BAD_JSON', `${flag}: ${path} is not valid JSON (${(e as Error).message})`, 'check the file; it must be a COCO-format JSON file');
  }
}
