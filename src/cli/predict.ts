import { basename, extname, join, resolve } from 'node:path';
import { LeyoloError } from '../errors.js';
import { load, nodeDecoder, type NodeDetector } from '../node/load.js';
import { expandSources } from '../node/sources.js';
import { assertWritableOutput, nextRunDir, writeFileAtomic } from '../node/fs.js';
import { annotate } from '../node/annotate.js';
import { videoFrames, videoWriter, probeVideo, requireFfmpeg } from '../node/video.js';
import type { Detection, DetectOptions } from '../detector.js';
import type { RgbImage } from '../image/types.js';
import { InputFailures } from './failures.js';
import { Progress } from './progress.js';
import { parse, num, int, intList, str } from './args.js';
import { MODEL_OPTIONS, modelOptions } from './common.js';

const HELP = `Usage: leyolo predict <sources...> [options]
Detect objects in image files, directories, globs (quoted) or videos (needs ffmpeg).

  --weights PATH     .pt, .safetensors or .onnx (default: $LEYOLO_WEIGHTS, cache, download)
  --model NAME       nano|small|medium|large when no --weights (default nano)
  --imgsz N          inference size, multiple of 32 (default 640)
  --conf X           confidence threshold (default 0.25)
  --iou X            NMS IoU threshold (default 0.7)
  --max-det N        detections per image (default 300)
  --classes 0,2      keep only these class ids
  --agnostic         class-agnostic NMS
  --device cpu       (Node runs on CPU)
  --save             write annotated images under runs/predict/N/
  --save-txt         write Ultralytics txt labels (class cx cy w h conf, normalised)
  --project DIR      parent of run folders (default runs/predict)
  --json FILE        write [{ image, width, height, detections: [{ box, score, classId, label }] }]
  --max-pixels N     refuse images over N pixels, from their header (default 100000000)
  --quiet            no per-image lines

An input that cannot be read or decoded is reported (error[CODE]: file: reason) and skipped; the others
are processed and their outputs written. The exit status is then 1 (error[SOME_INPUTS_FAILED]).
`;

/** One image's result as written by --json. */
interface ImageResult {
  image: string;
  width: number;
  height: number;
  detections: Detection[];
}

/** `leyolo predict`: detect, print a summary per image, and save what was asked for. */
export async function run(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse('predict', argv, {
    ...MODEL_OPTIONS, conf: { type: 'string' }, iou: { type: 'string' }, 'max-det': { type: 'string' }, classes: { type: 'string' },
    agnostic: { type: 'boolean' }, save: { type: 'boolean' }, 'save-txt': { type: 'boolean' }, 'save-conf': { type: 'boolean' },
    project: { type: 'string' }, json: { type: 'string' }, quiet: { type: 'boolean' }, 'max-pixels': { type: 'string' },
  });
  if (v.help) return void process.stdout.write(HELP);
  if (positionals.length === 0) {
    throw new LeyoloError('BAD_ARGUMENT', 'no sources given', 'usage: leyolo predict IMAGE|DIR|GLOB|VIDEO [...] (see --help)');
  }
  const mo = modelOptions(v);
  const opts: DetectOptions = {
    conf: num('conf', v.conf, 0.25, 0, 1), iou: num('iou', v.iou, 0.7, 0, 1), maxDet: int('max-det', v['max-det'], 300),
    classes: intList('classes', v.classes), agnostic: v.agnostic === true,
  };
  const maxPixels = int('max-pixels', v['max-pixels'], 100_000_000, 1, 2 ** 32);
  const src = expandSources(positionals);
  const failed = new InputFailures('input');
  for (const p of src.problems) failed.add(p.file, p.reason, p.code);
  const jsonPath = str(v.json);
  const inputs = [...src.images, ...src.videos];
  if (jsonPath) assertWritableOutput(jsonPath, inputs);
  if (src.videos.length > 0) requireFfmpeg();
  const model = await load({ weights: mo.weights, model: mo.model, imgsz: mo.imgsz, threads: mo.threads, maxPixels });
  // The weights are now a known input too: refuse a --json that names them before doing the work.
  if (jsonPath) assertWritableOutput(jsonPath, inputs);
  const saveDir = v.save || v['save-txt'] ? nextRunDir(str(v.project) ?? join('runs', 'predict')) : undefined;
  const sink = makeSink(saveDir, { save: v.save === true, txt: v['save-txt'] === true, conf: v['save-conf'] === true, quiet: v.quiet === true || src.images.length > 20 });
  const out = await predictImages(model, src.images, opts, sink, failed, maxPixels);
  for (const video of src.videos) {
    try {
      await predictVideo(model, video, opts, saveDir, sink, maxPixels, out);
    } catch (e) {
      failed.add(video, e);
    }
  }
  await model.dispose();
  const n = out.reduce((a, r) => a + r.detections.length, 0);
  const t = model.times;
  const k = Math.max(1, out.length);
  process.stderr.write(`Speed: ${(t.preprocess / k).toFixed(1)}ms preprocess, ${(t.inference / k).toFixed(1)}ms inference, ${(t.postprocess / k).toFixed(1)}ms postprocess per image at imgsz ${mo.imgsz}\n`);
  process.stderr.write(`${out.length} image(s), ${n} detection(s)${saveDir ? `; results saved to ${saveDir}` : ''}\n`);
  if (jsonPath) {
    writeFileAtomic(jsonPath, `${JSON.stringify(out, null, 1)}\n`, inputs);
    process.stderr.write(`JSON written to ${jsonPath}\n`);
  }
  failed.finish(inputs.length + src.problems.length);
}

/** A decode that never rejects: the prefetched next image's failure is handled when its turn comes. */
type Decoded = { img: RgbImage } | { error: unknown };

/** Images one by one, decoding the next while the current one runs through the network. */
async function predictImages(model: NodeDetector, images: readonly string[], opts: DetectOptions, sink: Sink, failed: InputFailures, maxPixels: number): Promise<ImageResult[]> {
  const decode = nodeDecoder(maxPixels);
  const settle = (p: string): Promise<Decoded> => decode(p).then((img) => ({ img }), (error: unknown) => ({ error }));
  const bar = new Progress('predict', images.length, 'img', images.length > 1);
  const out: ImageResult[] = [];
  let next = images.length > 0 ? settle(images[0]) : undefined;
  for (let i = 0; i < images.length; i++) {
    const d = await next!;
    next = i + 1 < images.length ? settle(images[i + 1]) : undefined;
    bar.tick();
    if ('error' in d) {
      failed.add(images[i], d.error);
      continue;
    }
    const [dets] = await model.detectImages([d.img], opts);
    out.push({ image: images[i], width: d.img.width, height: d.img.height, detections: dets });
    await sink(images[i], d.img, dets);
  }
  bar.done();
  return out;
}

type Sink = (name: string, img: RgbImage, dets: Detection[]) => Promise<void>;

function makeSink(dir: string | undefined, o: { save: boolean; txt: boolean; conf: boolean; quiet: boolean }): Sink {
  return async (name, img, dets) => {
    if (!o.quiet) process.stdout.write(`${name}: ${img.width}x${img.height} ${summary(dets)}\n`);
    if (!dir) return;
    const stem = basename(name, extname(name));
    if (o.save) {
      const ext = extname(name).toLowerCase() === '.png' ? 'png' : 'jpeg';
      writeFileAtomic(join(dir, `${stem}.${ext === 'png' ? 'png' : 'jpg'}`), await annotate(img, dets, ext));
    }
    if (o.txt) writeFileAtomic(join(dir, 'labels', `${stem}.txt`), yoloTxt(img, dets, o.conf));
  };
}

/** `2 persons, 1 bus` as Ultralytics prints it. */
function summary(dets: readonly Detection[]): string {
  if (dets.length === 0) return '(no detections)';
  const counts = new Map<string, number>();
  for (const d of dets) counts.set(d.label, (counts.get(d.label) ?? 0) + 1);
  return [...counts].map(([l, c]) => `${c} ${l}${c > 1 ? 's' : ''}`).join(', ');
}

/** Ultralytics txt rows: `class cx cy w h [conf]`, normalised to the image size. */
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

/**
 * One video, frame by frame; results are appended to `out` as they come, so the frames before a
 * decoding error are kept (and their annotated video is still written).
 */
async function predictVideo(model: NodeDetector, path: string, opts: DetectOptions, dir: string | undefined, sink: Sink, maxPixels: number, out: ImageResult[]): Promise<void> {
  const { width, height, fps } = probeVideo(path, maxPixels);
  const writer = dir ? videoWriter(join(dir, `${basename(path, extname(path))}.mp4`), width, height, fps) : undefined;
  let f = 0;
  try {
    for await (const frame of videoFrames(path, maxPixels)) {
      const [dets] = await model.detectImages([frame], opts);
      const name = `${path}#${f++}`;
      out.push({ image: name, width, height, detections: dets });
      if (writer) await writer.write(await annotate(frame, dets, 'raw'));
      else await sink(name, frame, dets);
    }
  } finally {
    if (f > 0) await writer?.close();
    else await writer?.abort();
  }
}
