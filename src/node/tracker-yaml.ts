/**
 * Tracker settings from a yaml file (Node side of `src/track/config.ts`): the `tracker` option of
 * track mode. Like Ultralytics `check_yaml`, the bare names `bytetrack.yaml` and `botsort.yaml` mean
 * the built-in settings unless such a file exists in the working folder.
 */
import { existsSync } from 'node:fs';
import { BOTSORT_DEFAULTS, BYTETRACK_DEFAULTS, MAX_TRACKER_YAML_BYTES, parseTrackerYaml } from '../track/config.js';
import type { TrackerConfig } from '../track/config.js';
import { readTextFile } from './fs.js';

const BUILTIN: Record<string, Readonly<TrackerConfig>> = { 'bytetrack.yaml': BYTETRACK_DEFAULTS, 'botsort.yaml': BOTSORT_DEFAULTS };

/**
 * Read a tracker yaml (at most {@link MAX_TRACKER_YAML_BYTES}, parsed as data): its keys override the
 * defaults of its `tracker_type`; unknown keys and bad values are BAD_ARGUMENT, a missing file
 * FILE_NOT_FOUND. `bytetrack.yaml` / `botsort.yaml` are built in when no such file exists.
 *
 * @example
 * const cfg = readTrackerYaml('bytetrack.yaml'); // the built-in ByteTrack settings
 * const mine = readTrackerYaml('configs/my-tracker.yaml');
 */
export function readTrackerYaml(path: string): TrackerConfig {
  const builtin = BUILTIN[path];
  if (builtin && !existsSync(path)) return { ...builtin };
  const text = readTextFile(path, {
    what: 'tracker yaml',
    maxBytes: MAX_TRACKER_YAML_BYTES,
    notFoundHint: 'pass the path of a tracker yaml, or bytetrack.yaml / botsort.yaml for the built-in settings',
  });
  return parseTrackerYaml(text, path);
}
