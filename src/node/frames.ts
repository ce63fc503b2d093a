/**
 * Frame sources for track mode: a video file (decoded by ffmpeg with `-fps_mode passthrough`, whose
 * frames are byte-identical to `cv2.VideoCapture`'s on the fixture video), or an ordered sequence of
 * image files (a folder or a quoted glob, sorted by path). A frame that cannot be decoded is reported
 * and skipped; the sequence goes on.
 */
import { LeyoloError, type ErrorCode } from '../errors.js';
import type { RgbImage } from '../image/types.js';
import { nodeDecoder } from './load.js';
import { expandSources } from './sources.js';
import { probeVideo, requireFfmpeg, videoFrames } from './video.js';

/** One frame of a source: its 0-based index, a name (`video#index` or the image path) and pixels. */
export interface Frame {
  index: number;
  name: string;
  image: RgbImage;
}

/** A sequence of frames, and what is known before reading it. */
export interface FrameSource {
  /** The video file, or the first image's folder. */
  path: string;
  kind: 'video' | 'images';
  /** Number of frames when known up front (image sequences; videos: from duration x fps, approximate). */
  total?: number;
  /** Frames per second of a video (image sequences: 30, as Ultralytics assumes). */
  fps: number;
  frames: AsyncGenerator<Frame>;
}

/** A frame that was skipped, and why. */
export interface FrameFailure {
  file: string;
  code: ErrorCode;
  message: string;
}

async function* imageFrames(files: readonly string[], maxPixels: number | undefined, fail: (f: FrameFailure) => void): AsyncGenerator<Frame> {
  const decode = nodeDecoder(maxPixels);
  for (let i = 0; i < files.length; i++) {
    try {
      yield { index: i, name: files[i], image: await decode(files[i]) };
    } catch (e) {
      const err = e instanceof LeyoloError ? e : new LeyoloError('BAD_IMAGE', `${files[i]}: ${(e as Error).message}`);
      if (err.code === 'INTERNAL') throw err;
      fail({ file: files[i], code: err.code, message: err.message.split('\n')[0] });
    }
  }
}

async function* numbered(path: string, frames: AsyncGenerator<RgbImage>): AsyncGenerator<Frame> {
  let i = 0;
  for await (const image of frames) {
    yield { index: i, name: `${path}#${i}`, image };
    i++;
  }
}

/**
 * The frames of `source`: a video file, a folder of images or a quoted glob (one sequence: several
 * videos are several tracks runs). Problems with individual image files go to `fail`.
 *
 * @example
 * const src = openFrames('clip.mp4');
 * for await (const f of src.frames) console.log(f.index, f.image.width);
 */
export function openFrames(source: string, opts: { maxPixels?: number; fail?: (f: FrameFailure) => void } = {}): FrameSource {
  const fail = opts.fail ?? (() => undefined);
  const src = expandSources([source]);
  for (const p of src.problems) fail({ file: p.file, code: p.code, message: `${p.file}: ${p.reason}` });
  if (src.videos.length > 1 || (src.videos.length === 1 && src.images.length > 0)) {
    throw new LeyoloError('BAD_ARGUMENT', `${source} holds several videos or videos and images; track one sequence at a time`, 'pass one video file, or a folder (or quoted glob) of frames');
  }
  if (src.videos.length === 1) {
    requireFfmpeg();
    const path = src.videos[0];
    const { fps, frames } = probeVideo(path, opts.maxPixels);
    return { path, kind: 'video', fps, total: frames, frames: numbered(path, videoFrames(path, opts.maxPixels)) };
  }
  return { path: source, kind: 'images', fps: 30, total: src.images.length, frames: imageFrames(src.images, opts.maxPixels, fail) };
}
