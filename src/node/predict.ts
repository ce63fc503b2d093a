/**
 * Predict mode over many inputs (Ultralytics `model.predict(source)`): image files, folders, quoted
 * globs and videos. Each input that cannot be read or decoded is reported and skipped; the others
 * are processed, and with `save`/`saveTxt` their annotated images, videos and txt labels are written
 * into a run folder. Decoding of the next image overlaps inference of the current one.
 */
import { basename, extname, join } from 'node:path';
import type { Detection, DetectorLike } from '../detector.js';
import { LeyoloError, asLeyoloError, type ErrorCode } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { DetectOptionsSchema, parseOptions, type DetectOptionsInput } from '../options.js';
import { annotate } from './annotate.js';
import { nextRunDir, writeFileAtomic } from './fs.js';
import { nodeDecoder, type NodeImageInput } from './load.js';
import { expandSources, type SourceList } from './sources.js';
import { probeVideo, requireFfmpeg, videoFrames, videoWriter } from './video.js';

/** One image's (or video frame's, `image` = `path#frame`) detections. */
export interface PredictResult {
  image: string;
  width: number;
  height: number;
  detections: Detection[];
}

/** An input that was skipped, and why. */
export interface PredictFailure {
  file: string;
  code: ErrorCode;
  message: string;
}

/** Options of {@link predict}: detect options plus what to save and progress hooks. */
export interface PredictOptions extends DetectOptionsInput {
  /** Write annotated images (and mp4s for videos) into the run folder. */
  save?: boolean;
  /** Write Ultralytics txt labels (`class cx cy w h`, normalised) into `<run>/labels/`. */
  saveTxt?: boolean;
  /** Append the confidence to each txt row. */
  saveConf?: boolean;
  /** Parent of run folders (default runs/predict). */
  project?: string;
  /** Run folder name (default: the next free number). */
  name?: string;
  /** Refuse images over this many pixels, from their header (default 100 M). */
  maxPixels?: number;
  /** Each result as it comes (with its decoded image). */
  onResult?: (r: PredictResult, img: RgbImage) => void | Promise<void>;
  /** Each skipped input, as it is found. */
  onProblem?: (f: PredictFailure) => void;
  /** Images done of the images found (videos are not counted). */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link predict} returns. */
export interface PredictRun {
  results: PredictResult[];
  failures: PredictFailure[];
  /** The run folder when something was saved. */
  dir?: string;
}

/**
 * Detect objects in every image and video of `sources` (files, folders, quoted globs).
 *
 * @example
 * const { results, failures } = await predict(model, ['photos/', 'clip.mp4'], { conf: 0.3, save: true });
 * for (const f of failures) console.warn(`${f.file}: ${f.message}`);
 */
export async function predict(model: DetectorLike<NodeImageInput>, sources: string | readonly string[] | SourceList, opts: PredictOptions = {}): Promise<PredictRun> {
  const det = parseOptions(DetectOptionsSchema, pickDetect(opts), 'predict');
  // An already expanded SourceList (the CLI expands first, to check --json against the inputs).
  const src = typeof sources === 'string' ? expandSources([sources]) : isSourceList(sources) ? sources : expandSources(sources);
  const failures: PredictFailure[] = [];
  const fail = (file: string, e: unknown, code?: ErrorCode): void => {
    const err = asLeyoloError(e, file);
    // Bugs and a full disk are not input problems: they stop the run.
    if (err.code === 'INTERNAL' || err.code === 'DISK_FULL') throw err;
    const text = err.message.split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
    const f = { file, code: code ?? err.code, message: text.includes(file) ? text : `${file}: ${text}` };
    failures.push(f);
    opts.onProblem?.(f);
  };
  for (const p of src.problems) fail(p.file, new LeyoloError(p.code, `${p.file}: ${p.reason}`), p.code);
  if (src.videos.length > 0) requireFfmpeg();
  const dir = opts.save || opts.saveTxt ? nextRunDir(opts.project ?? join('runs', 'predict'), opts.name) : undefined;
  const ctx: Ctx = { model, det, opts, dir, fail, results: [] };
  await predictImages(ctx, src.images);
  for (const video of src.videos) {
    try {
      await predictVideo(ctx, video);
    } catch (e) {
      fail(video, e);
    }
  }
  return { results: ctx.results, failures, dir };
}

function isSourceList(x: readonly string[] | SourceList): x is SourceList {
  return !Array.isArray(x);
}

function pickDetect(o: PredictOptions): DetectOptionsInput {
  return { conf: o.conf, iou: o.iou, maxDet: o.maxDet, classes: o.classes, agnostic: o.agnostic };
}

interface Ctx {
  model: DetectorLike<NodeImageInput>;
  det: DetectOptionsInput;
  opts: PredictOptions;
  dir: string | undefined;
  fail: (file: string, e: unknown) => void;
  results: PredictResult[];
}

/** A decode that never rejects: the prefetched image's failure is handled when its turn comes. */
type Decoded = { img: RgbImage } | { error: unknown };

async function predictImages(c: Ctx, images: readonly string[]): Promise<void> {
  const decode = nodeDecoder(c.opts.maxPixels);
  const settle = (p: string): Promise<Decoded> => decode(p).then((img) => ({ img }), (error: unknown) => ({ error }));
  let next = images.length > 0 ? settle(images[0]) : undefined;
  for (let i = 0; i < images.length; i++) {
    const d = await next!;
    next = i + 1 < images.length ? settle(images[i + 1]) : undefined;
    if ('error' in d) c.fail(images[i], d.error);
    else {
      const [dets] = await c.model.detectImages([d.img], c.det);
      await emit(c, { image: images[i], width: d.img.width, height: d.img.height, detections: dets }, d.img, images[i]);
    }
    c.opts.onProgress?.(i + 1, images.length);
  }
}

/**
 * Record a result, save what was asked for, and hand it to the caller. `frame` is set for video
 * frames: their annotated frames go to the video writer, their txt labels are `<stem>_<frame>.txt`
 * (Ultralytics' naming).
 */
async function emit(c: Ctx, r: PredictResult, img: RgbImage, source: string, frame?: number): Promise<void> {
  c.results.push(r);
  if (c.dir) {
    const stem = basename(source, extname(source));
    if (c.opts.save && frame === undefined) {
      const png = extname(source).toLowerCase() === '.png';
      writeFileAtomic(join(c.dir, `${stem}.${png ? 'png' : 'jpg'}`), await annotate(img, r.detections, png ? 'png' : 'jpeg'));
    }
    if (c.opts.saveTxt) writeFileAtomic(join(c.dir, 'labels', `${frame === undefined ? stem : `${stem}_${frame}`}.txt`), yoloTxt(img, r.detections, c.opts.saveConf === true));
  }
  await c.opts.onResult?.(r, img);
}

/**
 * One video, frame by frame; results are kept as they come, so the frames before a decoding error
 * are kept (and their annotated video is still written).
 */
async function predictVideo(c: Ctx, path: string): Promise<void> {
  const { width, height, fps } = probeVideo(path, c.opts.maxPixels);
  const writer = c.dir && c.opts.save ? videoWriter(join(c.dir, `${basename(path, extname(path))}.mp4`), width, height, fps) : undefined;
  let f = 0;
  try {
    for await (const frame of videoFrames(path, c.opts.maxPixels)) {
      const [dets] = await c.model.detectImages([frame], c.det);
      await emit(c, { image: `${path}#${f}`, width, height, detections: dets }, frame, path, f);
      f++;
      if (writer) await writer.write(await annotate(frame, dets, 'raw'));
    }
  } finally {
    if (f > 0) await writer?.close();
    else await writer?.abort();
  }
}

/**
 * Ultralytics txt rows: `class cx cy w h [conf]`, normalised to the image size.
 *
 * @example
 * yoloTxt({ width: 100, height: 100 }, [{ box: [0, 0, 50, 50], score: 0.9, classId: 0, label: 'person' }], true); // '0 0.250000 0.250000 0.500000 0.500000 0.900000\n'
 */
export function yoloTxt(img: { width: number; height: number }, dets: readonly Detection[], withConf: boolean): string {
  return dets
    .map((d) => {
      const [x1, y1, x2, y2] = d.box;
      const row = [d.classId, (x1 + x2) / 2 / img.width, (y1 + y2) / 2 / img.height, (x2 - x1) / img.width, (y2 - y1) / img.height];
      const s = row.map((x, i) => (i === 0 ? String(x) : x.toFixed(6))).join(' ');
      return withConf ? `${s} ${d.score.toFixed(6)}` : s;
    })
    .map((l) => `${l}\n`)
    .join('');
}
