/**
 * Tracker settings: the keys Ultralytics 8.1.4 `trackers/{track,byte_tracker,bot_sort}.py` read from
 * `bytetrack.yaml` / `botsort.yaml`, as typed defaults (the upstream 8.1.x values; the LeYOLO fork
 * ships no tracker yamls) that a user yaml with the same keys overrides. Unknown keys are refused
 * (BAD_ARGUMENT) instead of silently ignored. Browser-safe: the yaml text is parsed as data here;
 * reading the file is `src/node/tracker-yaml.ts`.
 */
import { z } from 'zod';
import { parseDocument } from 'yaml';
import { LeyoloError } from '../errors.js';

const unit = z.number().min(0).max(1);

/**
 * `gmc_method`: 'sparseOptFlow' or 'none' (the official also reads `None` / null as none). The
 * official orb / sift / ecc methods are not implemented.
 */
const GmcMethodSchema = z
  .union([z.literal('sparseOptFlow'), z.literal('none'), z.literal('None'), z.null()], {
    errorMap: () => ({ message: "expected 'sparseOptFlow' or 'none' (orb, sift and ecc are not supported)" }),
  })
  .transform((m): 'sparseOptFlow' | 'none' => (m === 'sparseOptFlow' ? 'sparseOptFlow' : 'none'));

/** Every key a tracker yaml may hold (strict: anything else is an error). */
export const TrackerConfigSchema = z
  .object({
    /** 'bytetrack' or 'botsort'. */
    tracker_type: z.enum(['bytetrack', 'botsort']),
    /** First association takes detections with score > this; the second those in (low, high). */
    track_high_thresh: unit,
    track_low_thresh: unit,
    /** An unmatched detection starts a track only with score >= this. */
    new_track_thresh: unit,
    /** Updates a lost track is kept: max_time_lost = int(30 / 30 * track_buffer) (frame_rate is always 30). */
    track_buffer: z.number().min(0).max(1e6),
    /** Cost limit of the first association (fused cost = 1 - IoU * score). */
    match_thresh: unit,
    /** BoT-SORT global motion compensation. */
    gmc_method: GmcMethodSchema,
    /** BoT-SORT ReID settings: read but unused, ReID is not supported by 8.1.4 (with_reid is ignored there too). */
    proximity_thresh: unit,
    appearance_thresh: unit,
    with_reid: z.boolean(),
  })
  .strict();

/** Resolved tracker settings. */
export type TrackerConfig = z.output<typeof TrackerConfigSchema>;
/** What a user may pass: any subset of the keys (the rest come from the defaults). */
export type TrackerConfigInput = Partial<z.input<typeof TrackerConfigSchema>>;

const COMMON = { track_high_thresh: 0.5, track_low_thresh: 0.1, new_track_thresh: 0.6, track_buffer: 30, match_thresh: 0.8 } as const;
const BOTSORT_EXTRA = { gmc_method: 'sparseOptFlow', proximity_thresh: 0.5, appearance_thresh: 0.25, with_reid: false } as const;

/** `bytetrack.yaml` (the BoT-SORT keys are irrelevant to ByteTrack; they carry BoT-SORT's defaults). */
export const BYTETRACK_DEFAULTS: Readonly<TrackerConfig> = Object.freeze({ tracker_type: 'bytetrack', ...COMMON, ...BOTSORT_EXTRA });
/** `botsort.yaml`, Ultralytics' default tracker. */
export const BOTSORT_DEFAULTS: Readonly<TrackerConfig> = Object.freeze({ tracker_type: 'botsort', ...COMMON, ...BOTSORT_EXTRA });

/**
 * Settings from a partial object: `tracker_type` picks the defaults (botsort when absent), the given
 * keys override them. Unknown keys and bad values are BAD_ARGUMENT naming the key; `where` names the
 * source in the message (a file name, 'tracker').
 *
 * @example
 * resolveTrackerConfig({ tracker_type: 'bytetrack', track_buffer: 60 }).track_buffer; // 60
 */
export function resolveTrackerConfig(input: unknown, where = 'tracker'): TrackerConfig {
  if (input === null || input === undefined) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new LeyoloError('BAD_ARGUMENT', `${where}: tracker settings must be a mapping of keys to values`, "write 'key: value' lines, e.g. 'tracker_type: bytetrack'");
  }
  const rec = input as Record<string, unknown>;
  const base = rec.tracker_type === 'bytetrack' ? BYTETRACK_DEFAULTS : BOTSORT_DEFAULTS;
  const r = TrackerConfigSchema.safeParse({ ...base, ...rec });
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
  const hint = issue.code === 'unrecognized_keys'
    ? `the known keys are ${Object.keys(TrackerConfigSchema.shape).join(', ')}`
    : 'see bytetrack.yaml / botsort.yaml for the allowed values';
  throw new LeyoloError('BAD_ARGUMENT', `${where}: ${issue.code === 'unrecognized_keys' ? 'unknown key' : 'key'} '${key}': ${issue.message}`, hint, { cause: r.error });
}

/** Largest tracker yaml accepted: real ones are under 1 KB. */
export const MAX_TRACKER_YAML_BYTES = 64 * 1024;

/**
 * Settings from the text of a tracker yaml (parsed as plain data: no tags, aliases capped), over the
 * defaults of its `tracker_type`. Invalid YAML, unknown keys and bad values are BAD_ARGUMENT.
 *
 * @example
 * parseTrackerYaml('tracker_type: bytetrack\ntrack_buffer: 60\n', 'my.yaml').track_buffer; // 60
 */
export function parseTrackerYaml(text: string, where = 'tracker yaml'): TrackerConfig {
  if (text.length > MAX_TRACKER_YAML_BYTES) {
    throw new LeyoloError('LIMIT_EXCEEDED', `${where}: ${text.length} characters, over the limit of ${MAX_TRACKER_YAML_BYTES}`, 'a tracker yaml is a few lines of key: value');
  }
  const doc = parseDocument(text, { uniqueKeys: true, logLevel: 'silent', prettyErrors: false });
  const err = doc.errors[0];
  if (err) throw new LeyoloError('BAD_ARGUMENT', `${where}: invalid YAML: ${err.message}`, 'fix the yaml syntax (key: value lines)', { cause: err });
  const tag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (tag) throw new LeyoloError('BAD_ARGUMENT', `${where}: ${tag.message} (only plain data is read)`, 'remove the YAML tag', { cause: tag });
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new LeyoloError('BAD_ARGUMENT', `${where}: invalid YAML: ${e instanceof Error ? e.message : String(e)}`, 'fix the yaml syntax (key: value lines)', { cause: e });
  }
  return resolveTrackerConfig(data, where);
}
