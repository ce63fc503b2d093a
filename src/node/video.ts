import { spawn, spawnSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LeyoloError } from '../errors.js';
import type { RgbImage } from '../image/types.js';

/** Throws NO_FFMPEG unless an `ffmpeg` binary is on PATH. */
export function requireFfmpeg(): void {
  const r = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new LeyoloError('NO_FFMPEG', 'video input needs ffmpeg, and none was found on PATH', 'install ffmpeg (e.g. apt-get install ffmpeg) or extract frames to images first');
  }
}

/** Width, height and frame rate of the first video stream, parsed from `ffmpeg -i` output. */
export function probeVideo(path: string): { width: number; height: number; fps: number } {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-i', path], { encoding: 'utf8' });
  const m = /Stream #.*Video:.*?(\d{2,5})x(\d{2,5})/.exec(r.stderr ?? '');
  if (!m) throw new LeyoloError('BAD_IMAGE', `ffmpeg found no video stream in ${path}`, 'check that the file is a playable video');
  const fps = Number(/([\d.]+) fps/.exec(r.stderr ?? '')?.[1] ?? 30);
  return { width: Number(m[1]), height: Number(m[2]), fps };
}

/**
 * Decode a video into RGB frames with ffmpeg (rawvideo rgb24 on a pipe), one frame at a time.
 *
 * @example
 * for await (const frame of videoFrames('clip.mp4')) console.log(frame.width);
 */
export async function* videoFrames(path: string): AsyncGenerator<RgbImage> {
  requireFfmpeg();
  const { width, height } = probeVideo(path);
  const frameBytes = width * height * 3;
  const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf: Buffer = Buffer.alloc(0);
  for await (const chunk of p.stdout as AsyncIterable<Buffer>) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= frameBytes) {
      yield { width, height, data: new Uint8Array(buf.subarray(0, frameBytes)) };
      buf = Buffer.from(buf.subarray(frameBytes));
    }
  }
}

/**
 * An ffmpeg process that encodes RGB frames written to it into an H.264 mp4. It writes a temp file
 * and renames it on close, so an interrupted run never leaves a half-written video under `path`.
 */
export function videoWriter(path: string, width: number, height: number, fps: number): { write(frame: Uint8Array): Promise<void>; close(): Promise<void> } {
  const tmp = join(dirname(path), `.${basename(path, '.mp4')}.tmp-${process.pid}.mp4`);
  const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0', '-pix_fmt', 'yuv420p', tmp], { stdio: ['pipe', 'ignore', 'inherit'] });
  return {
    write: (frame) => new Promise((res, rej) => p.stdin.write(frame, (e) => (e ? rej(e) : res()))),
    close: () =>
      new Promise((res) => {
        p.on('close', () => {
          renameSync(tmp, path);
          res();
        });
        p.stdin.end();
      }),
  };
}
