/**
 * Track mode (Ultralytics `model.track(source)`): detect every frame of a video, folder or glob at
 * track-mode settings (conf 0.1, as the official `Model.track` sets it), hand the detections to
 * ByteTrack or BoT-SORT (src/track), and yield each frame's tracks. With `save` / `saveTxt` the run
 * folder gets an annotated video (ids and short trails) or annotated frames, and MOT-challenge txt.
 */
import { basename, extname, join } from 'node:path';
import type { DetectorLike } from '../detector.js';
import { asLeyoloError } from '../errors.js';
import { DetectOptionsSchema, parseOptions, type DetectOptionsInput } from '../options.js';
import { createTracker, rowsToTracked, type TrackedDetection, type Tracker, type TrackerConfig, type TrackerConfigInput } from '../track/index.js';
import { annotate } from './annotate.js';
import { openFrames, type FrameFailure } from './frames.js';
import { nextRunDir, writeFileAtomic } from './fs.js';
import type { NodeImageInput } from './load.js';
import { readTrackerYaml } from './tracker-yaml.js';
import { videoWriter } from './video.js';

/** One frame's result. */
export interface TrackFrame {
  /** 0-based frame index in the source. */
  frame: number;
  /** `video#index`, or the image file of an image sequence. */
  image: string;
  width: number;
  height: number;
  /** Tracked objects: boxes clipped to the frame, ids from 1. */
  tracks: Omit<TrackedDetection, 'detIndex'>[];
}

/** Options of {@link track}: detect options (track-mode defaults), the tracker, what to save. */
export interface TrackOptions extends DetectOptionsInput {
  /** 'botsort' (default, as Ultralytics), 'bytetrack', a tracker yaml path, or settings. */
  tracker?: 'botsort' | 'bytetrack' | string | TrackerConfigInput;
  /** Write an annotated video (or annotated frames) with ids and trails into the run folder. */
  save?: boolean;
  /** Write MOT-challenge rows `frame,id,x,y,w,h,score,-1,-1,-1` (frames from 1) into `<run>/<name>.txt`. */
  saveTxt?: boolean;
  /** Parent of run folders (default runs/track). */
  project?: string;
  name?: string;
  /** Frames of trail drawn behind each track (default 30; 0 = none). */
  trail?: number;
  maxPixels?: number;
  /** A frame of an image sequence that could not be read (it is skipped: the tracker is not updated). */
  onProblem?: (f: FrameFailure) => void;
  /** Frames done of the (approximate) total. */
  onProgress?: (done: number, total: number | undefined) => void;
  /** Before the first frame: the source and the run folder (when saving). */
  onStart?: (s: { source: string; kind: 'video' | 'images'; total?: number; fps: number; dir?: string }) => void;
}

/** The settings a `tracker` option names. */
export function trackerConfig(t: TrackOptions['tracker'] = 'botsort'): TrackerConfig | TrackerConfigInput {
  if (typeof t !== 'string') return t;
  if (t === 'botsort' || t === 'bytetrack') return readTrackerYaml(`${t}.yaml`);
  return readTrackerYaml(t);
}

/** Recent box centres per id (for trails); ids unseen for `keep` frames are dropped. */
class TrailBook {
  readonly trails = new Map<number, [number, number][]>();
  private readonly seen = new Map<number, number>();
  constructor(private readonly keep: number) {}
  add(frame: number, tracks: readonly { id: number; box: readonly number[] }[]): void {
    for (const t of tracks) {
      const pts = this.trails.get(t.id) ?? [];
      pts.push([(t.box[0] + t.box[2]) / 2, (t.box[1] + t.box[3]) / 2]);
      if (pts.length > this.keep) pts.shift();
      this.trails.set(t.id, pts);
      this.seen.set(t.id, frame);
    }
    for (const [id, f] of this.seen) if (frame - f > this.keep) (this.trails.delete(id), this.seen.delete(id));
  }
}

/** MOT-challenge rows of one frame (1-based frame, top-left x/y, width, height). */
function motRows(frame: number, tracks: TrackFrame['tracks']): string {
  return tracks.map((t) => `${frame + 1},${t.id},${t.box[0].toFixed(2)},${t.box[1].toFixed(2)},${(t.box[2] - t.box[0]).toFixed(2)},${(t.box[3] - t.box[1]).toFixed(2)},${t.score.toFixed(4)},-1,-1,-1\n`).join('');
}

/**
 * Track objects through a video file, a folder of frames or a quoted glob; yields every frame (frames
 * without tracks too). A fresh tracker per call, so ids start at 1.
 *
 * @example
 * for await (const f of track(model, 'clip.mp4', { tracker: 'bytetrack' })) console.log(f.frame, f.tracks.map((t) => t.id));
 */
export async function* track(model: DetectorLike<NodeImageInput>, source: string, opts: TrackOptions = {}): AsyncGenerator<TrackFrame> {
  const det = parseOptions(DetectOptionsSchema, { conf: opts.conf ?? 0.1, iou: opts.iou, maxDet: opts.maxDet, classes: opts.classes, agnostic: opts.agnostic }, 'track');
  const tracker: Tracker = createTracker(trackerConfig(opts.tracker));
  const src = openFrames(source, { maxPixels: opts.maxPixels, fail: opts.onProblem });
  const dir = opts.save || opts.saveTxt ? nextRunDir(opts.project ?? join('runs', 'track'), opts.name) : undefined;
  const stem = basename(src.path, extname(src.path)) || 'frames';
  const trails = new TrailBook(opts.trail ?? 30);
  opts.onStart?.({ source: src.path, kind: src.kind, total: src.total, fps: src.fps, dir });
  let writer: ReturnType<typeof videoWriter> | undefined;
  let failed = false;
  let mot = '';
  let done = 0;
  try {
    for await (const f of src.frames) {
      const { width, height } = f.image;
      const [dets] = await model.detectImages([f.image], det);
      const rows = tracker.update(dets, f.image);
      const tracks = rowsToTracked(rows, width, height, model.meta.names).map(({ detIndex: _d, ...t }) => t);
      trails.add(f.index, tracks);
      if (dir && opts.saveTxt) mot += motRows(f.index, tracks);
      if (dir && opts.save) {
        if (src.kind === 'video') {
          writer ??= videoWriter(join(dir, `${stem}.mp4`), width, height, src.fps);
          await writer.write(await annotate(f.image, tracks, 'raw', trails.trails));
        } else writeFileAtomic(join(dir, `${basename(f.name, extname(f.name))}.jpg`), await annotate(f.image, tracks, 'jpeg', trails.trails));
      }
      opts.onProgress?.(++done, src.total);
      yield { frame: f.index, image: f.name, width, height, tracks };
    }
  } catch (e) {
    failed = true;
    throw asLeyoloError(e, 'track');
  } finally {
    // Also when the consumer stops early: the video and the rows of every frame tracked so far.
    if (failed) await writer?.abort();
    else await writer?.close();
    if (dir && opts.saveTxt) writeFileAtomic(join(dir, `${stem}.txt`), mot);
  }
}
