// Tracker settings: the built-in defaults equal the fixture yamls key for key (skipped without
// ../shared), a user yaml overrides them, unknown keys and bad values are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { LeyoloError } from '../errors.js';
import { BOTSORT_DEFAULTS, BYTETRACK_DEFAULTS, parseTrackerYaml, resolveTrackerConfig } from './config.js';

const dir = fileURLToPath(new URL('../../../shared/fixtures/track/', import.meta.url));
const skip = existsSync(dir + 'bytetrack.yaml') ? false : 'needs ../shared/fixtures/track';

const isBad = (code: string) => (e: unknown): boolean => e instanceof LeyoloError && e.code === code;

test('defaults equal bytetrack.yaml and botsort.yaml', { skip }, () => {
  for (const [file, defaults] of [['bytetrack.yaml', BYTETRACK_DEFAULTS], ['botsort.yaml', BOTSORT_DEFAULTS]] as const) {
    const yaml = parse(readFileSync(dir + file, 'utf8')) as Record<string, unknown>;
    assert.ok(Object.keys(yaml).length >= 6, `${file} read`);
    for (const [k, v] of Object.entries(yaml)) assert.deepEqual((defaults as Record<string, unknown>)[k], v, `${file}: ${k}`);
    // and the file through the parser is the defaults themselves
    assert.deepEqual(parseTrackerYaml(readFileSync(dir + file, 'utf8'), file), defaults);
  }
});

test('gmc_method none: the fixture yaml and its spellings', { skip }, () => {
  const none = parseTrackerYaml(readFileSync(dir + 'botsort_gmc_none.yaml', 'utf8'));
  assert.deepEqual(none, { ...BOTSORT_DEFAULTS, gmc_method: 'none' });
  assert.equal(parseTrackerYaml('gmc_method: None').gmc_method, 'none');
  assert.equal(parseTrackerYaml('gmc_method: null').gmc_method, 'none');
});

test('a user yaml overrides the defaults of its tracker_type', () => {
  const c = parseTrackerYaml('tracker_type: bytetrack\ntrack_buffer: 60\nmatch_thresh: 0.9\n', 'mine.yaml');
  assert.deepEqual(c, { ...BYTETRACK_DEFAULTS, track_buffer: 60, match_thresh: 0.9 });
  assert.equal(parseTrackerYaml('').tracker_type, 'botsort', 'empty yaml: BoT-SORT defaults');
  assert.equal(resolveTrackerConfig({ new_track_thresh: 0.7 }).new_track_thresh, 0.7);
});

test('unknown keys, bad values and bad yaml are refused', () => {
  assert.throws(() => parseTrackerYaml('tracker_type: bytetrack\nmot20: true\n', 'x.yaml'), (e: unknown) => isBad('BAD_ARGUMENT')(e) && /mot20/.test((e as Error).message));
  assert.throws(() => parseTrackerYaml('tracker_type: deepsort'), isBad('BAD_ARGUMENT'));
  assert.throws(() => parseTrackerYaml('track_high_thresh: 1.5'), isBad('BAD_ARGUMENT'));
  assert.throws(() => parseTrackerYaml('gmc_method: orb'), (e: unknown) => isBad('BAD_ARGUMENT')(e) && /not supported/.test((e as Error).message));
  assert.throws(() => parseTrackerYaml('track_buffer: [1, 2'), isBad('BAD_ARGUMENT'));
  assert.throws(() => parseTrackerYaml('- 1\n- 2\n'), isBad('BAD_ARGUMENT'));
  assert.throws(() => parseTrackerYaml('track_buffer: !!js/function "f"'), isBad('BAD_ARGUMENT'));
  assert.throws(() => parseTrackerYaml('a: 1\na: 2\n'), isBad('BAD_ARGUMENT'));
});
