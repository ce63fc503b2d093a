import { spawn, spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LeyoloError, asLeyoloError } from '../errors.js';
import { checkPixels } from '../image/limits.js';
import type { RgbImage } from '../image/types.js';
import { assertWritableOutput, checkRegularFile } from './fs.js';

/** Throws NO_FFMPEG unless an `ffmpeg` binary is on PATH. */
export function requireFfmpeg(): void {
  const r = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new LeyoloError('NO_FFMPEG', 'video input needs ffmpeg, and none was found on PATH', 'install ffmpeg (e.g. apt-get install ffmpeg) or extract frames to images first');
  }
}

/**
 * Width, height and frame rate of the first video stream, parsed from `ffmpeg -i` output. Only a
 * regular file is handed to ffmpeg (a FIFO would block it), and the frame size is checked against
 * the pixel limit before any frame is decoded.
 */
export function probeVideo(path: string, maxPixels?: number): { width: number; height: number; fps: number; frames?: number } {
  checkRegularFile(path, 'video');
  const r = spawnSync('ffmpeg', ['-hide_banner', '-i', path], { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20 });
  // `768x576` in e.g. "h264 (avc1 / 0x31637661), yuv420p, 768x576 [SAR 1:1]": not the hex codec tag.
  const m = /Stream #.*Video:.*?[ ,]([1-9]\d{0,5})x([1-9]\d{0,5})\b/.exec(r.stderr ?? '');
  if (!m) throw new LeyoloError('BAD_IMAGE', `ffmpeg found no video stream in ${path}`, 'check that the file is a playable video');
  const width = Number(m[1]);
  const height = Number(m[2]);
  checkPixels(width, height, path, maxPixels);
  const rate = Number(/([\d.]+) fps/.exec(r.stderr ?? '')?.[1] ?? 30);
  const fps = Number.isFinite(rate) && rate > 0 && rate <= 1000 ? rate : 30;
  // Frame count from the container's duration (for progress bars only: it is approximate).
  const d = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(r.stderr ?? '');
  const frames = d ? Math.round((Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3])) * fps) : undefined;
  return { width, height, fps, frames };
}

/**
 * Decode a video into RGB frames with ffmpeg (rawvideo rgb24 on a pipe), one frame at a time.
 * A decoding error of ffmpeg (corrupt or truncated file) is thrown as BAD_IMAGE after the frames
 * that did decode.
 *
 * @example
 * for await (const frame of videoFrames('clip.mp4')) console.log(frame.width);
 */
export async function* videoFrames(path: string, maxPixels?: number): AsyncGenerator<RgbImage> {
  requireFfmpeg();
  const { width, height } = probeVideo(path, maxPixels);
  const frameBytes = width * height * 3;
  const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', path, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<number | null>((res) => p.on('close', (code) => res(code)));
  let buf: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of p.stdout as AsyncIterable<Buffer>) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= frameBytes) {
        yield { width, height, data: new Uint8Array(buf.subarray(0, frameBytes)) };
        buf = Buffer.from(buf.subarray(frameBytes));
      }
    }
  } finally {
    // The consumer may stop early (an error downstream): never leave ffmpeg running.
    if (p.exitCode === null) p.kill('SIGKILL');
  }
  const code = await exited;
  if (code !== 0) throw new LeyoloError('BAD_IMAGE', `ffmpeg could not decode all of ${path}: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`, 'the video is corrupt or truncated; the frames before the error were processed');
}

/**
 * An ffmpeg process that encodes RGB frames written to it into an H.264 mp4. It writes a temp file
 * and renames it on close, so an interrupted run never leaves a half-written video under `path`.
 */
export function videoWriter(path: string, width: number, height: number, fps: number): { write(frame: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> } {
  assertWritableOutput(path);
  const tmp = join(dirname(path), `.${basename(path, '.mp4')}.tmp-${process.pid}.mp4`);
  const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0', '-pix_fmt', 'yuv420p', tmp], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
  // A write after ffmpeg died raises EPIPE on the stream: reported by write()/close(), never uncaught.
  p.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((res) => p.on('close', (code) => res(code)));
  const fail = (e: unknown) => {
    rmSync(tmp, { force: true });
    return asLeyoloError(e, `cannot write video ${path}${stderr ? ` (ffmpeg: ${stderr.trim().split('\n').pop()})` : ''}`);
  };
  return {
    write: (frame) => new Promise((res, rej) => p.stdin.write(frame, (e) => (e ? rej(fail(e)) : res()))),
    close: async () => {
      p.stdin.end();
      const code = await exited;
      if (code !== 0) throw fail(new LeyoloError('RUNTIME', `ffmpeg exited with ${code}`, 'check the disk space and the ffmpeg installation'));
      try {
        assertWritableOutput(path);
        renameSync(tmp, path);
      } catch (e) {
        throw fail(e);
      }
    },
    /** Stop ffmpeg and remove the temp file (nothing is written to `path`). */
    abort: async () => {
      p.stdin.destroy();
      p.kill('SIGKILL');
      await exited;
      rmSync(tmp, { force: true });
    },
  };
}
