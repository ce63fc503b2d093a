import { LeyoloError } from '../errors.js';
import { assertWritableOutput, writeFileAtomic } from '../node/fs.js';
import { load } from '../node/model.js';
import type { TrackFrame } from '../node/track.js';
import { Progress } from './progress.js';
import { parse, num, int, intList, str, type Options } from './args.js';
import { MODEL_OPTIONS, modelOptions } from './common.js';

export const HELP = `Usage: leyolo track <video|folder of frames|glob> [options]
Track objects through a video (needs ffmpeg) or an ordered sequence of images, with ByteTrack or BoT-SORT
as Ultralytics 8.1.4 (track mode: detections at conf 0.1, ids from 1).

  --weights PATH     .pt, .safetensors or .onnx (default: $LEYOLO_WEIGHTS, cache, download)
  --model NAME       nano|small|medium|large when no --weights (default nano)
  --imgsz N          inference size, multiple of 32 (default 640)
  --device cpu       (Node runs on CPU)
  --threads N        intra-op threads (default: all cores)
  --tracker T        botsort (default), bytetrack, or a tracker yaml with the same keys
  --conf X           detection confidence threshold (default 0.1, the official track-mode value)
  --iou X            NMS IoU threshold (default 0.7)
  --max-det N        detections per frame (default 300)
  --classes 0,2      keep only these class ids
  --agnostic         class-agnostic NMS
  --save             write the annotated video (ids and trails; frames for image sequences) under runs/track/N/
  --save-txt         write MOT-challenge rows frame,id,x,y,w,h,score,-1,-1,-1 (frames from 1) to runs/track/N/<name>.txt
  --project DIR      parent of run folders (default runs/track)
  --name NAME        run folder name (default: the next number)
  --json FILE        write [{ frame, tracks: [{ box, id, score, classId, label }] }], every frame included
  --max-pixels N     refuse frames over N pixels (default 100000000)
`;

/** track's options (every one is described in {@link HELP}). */
export const OPTIONS = {
  ...MODEL_OPTIONS, tracker: { type: 'string' }, conf: { type: 'string' }, iou: { type: 'string' }, 'max-det': { type: 'string' }, classes: { type: 'string' },
  agnostic: { type: 'boolean' }, save: { type: 'boolean' }, 'save-txt': { type: 'boolean' }, project: { type: 'string' }, name: { type: 'string' },
  json: { type: 'string' }, 'max-pixels': { type: 'string' },
} satisfies Options;

/** `leyolo track`: a thin layer over the library's `model.track()`. */
export async function run(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse('track', argv, OPTIONS, 1);
  if (v.help) return void process.stdout.write(HELP);
  const source = positionals[0];
  if (!source) throw new LeyoloError('BAD_ARGUMENT', 'no source given', 'usage: leyolo track VIDEO|FOLDER|GLOB (see --help)');
  const mo = modelOptions(v);
  const opts = {
    conf: num('conf', v.conf, 0.1, 0, 1), iou: num('iou', v.iou, 0.7, 0, 1), maxDet: int('max-det', v['max-det'], 300),
    classes: intList('classes', v.classes), agnostic: v.agnostic === true, maxPixels: int('max-pixels', v['max-pixels'], 100_000_000, 1, 2 ** 32),
    tracker: str(v.tracker) ?? 'botsort', save: v.save === true, saveTxt: v['save-txt'] === true, project: str(v.project), name: str(v.name),
  };
  const jsonPath = str(v.json);
  if (jsonPath) assertWritableOutput(jsonPath);
  const model = await load({ weights: mo.weights, model: mo.model, imgsz: mo.imgsz, threads: mo.threads, maxPixels: opts.maxPixels });
  if (jsonPath) assertWritableOutput(jsonPath);
  const frames: { frame: number; tracks: TrackFrame['tracks'] }[] = [];
  const ids = new Set<number>();
  let bar: Progress | undefined;
  let dir: string | undefined;
  let skipped = 0;
  for await (const f of model.track(source, {
    ...opts,
    onStart: (s) => {
      dir = s.dir;
      bar = new Progress('track', s.total ?? 0, 'frame');
    },
    onProgress: () => bar?.tick(),
    onProblem: (p) => {
      skipped++;
      process.stderr.write(`error[${p.code}]: ${p.message} (skipped)\n`);
    },
  })) {
    frames.push({ frame: f.frame, tracks: f.tracks });
    for (const t of f.tracks) ids.add(t.id);
  }
  bar?.done();
  await model.dispose();
  const t = model.times;
  const k = Math.max(1, frames.length);
  process.stderr.write(`Speed: ${(t.preprocess / k).toFixed(1)}ms preprocess, ${(t.inference / k).toFixed(1)}ms inference, ${(t.postprocess / k).toFixed(1)}ms postprocess per frame at imgsz ${mo.imgsz}\n`);
  process.stderr.write(`${frames.length} frame(s), ${ids.size} track(s)${dir ? `; results saved to ${dir}` : ''}\n`);
  if (jsonPath) {
    writeFileAtomic(jsonPath, `${JSON.stringify(frames)}\n`);
    process.stderr.write(`JSON written to ${jsonPath}\n`);
  }
  if (skipped > 0) throw new LeyoloError('SOME_INPUTS_FAILED', `${skipped} frame(s) could not be read (listed above) and were skipped`, 'fix or remove the files listed above');
}
