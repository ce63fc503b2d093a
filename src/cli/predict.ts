import { LeyoloError } from '../errors.js';
import type { Detection } from '../detector.js';
import { assertWritableOutput, writeFileAtomic } from '../node/fs.js';
import { load } from '../node/model.js';
import { expandSources } from '../node/sources.js';
import { Progress } from './progress.js';
import { parse, num, int, intList, str, type Options } from './args.js';
import { MODEL_OPTIONS, modelOptions } from './common.js';

export const HELP = `Usage: leyolo predict <sources...> [options]
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
  --threads N        intra-op threads (default: all cores)
  --save             write annotated images (videos: annotated mp4) under runs/predict/N/
  --save-txt         write Ultralytics txt labels under runs/predict/N/labels/ (class cx cy w h, normalised)
  --save-conf        with --save-txt: add each box's confidence as a sixth column
  --project DIR      parent of run folders (default runs/predict)
  --json FILE        write [{ image, width, height, detections: [{ box, score, classId, label }] }]
  --max-pixels N     refuse images over N pixels, from their header (default 100000000)
  --quiet            no per-image lines

An input that cannot be read or decoded is reported (error[CODE]: file: reason) and skipped; the others
are processed and their outputs written. The exit status is then 1 (error[SOME_INPUTS_FAILED]).
`;

/** predict's options (every one is described in {@link HELP}). */
export const OPTIONS = {
  ...MODEL_OPTIONS, conf: { type: 'string' }, iou: { type: 'string' }, 'max-det': { type: 'string' }, classes: { type: 'string' },
  agnostic: { type: 'boolean' }, save: { type: 'boolean' }, 'save-txt': { type: 'boolean' }, 'save-conf': { type: 'boolean' },
  project: { type: 'string' }, json: { type: 'string' }, quiet: { type: 'boolean' }, 'max-pixels': { type: 'string' },
} satisfies Options;

/** `leyolo predict`: a thin layer over the library's `model.predict()`: flags in, lines and files out. */
export async function run(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse('predict', argv, OPTIONS);
  if (v.help) return void process.stdout.write(HELP);
  if (positionals.length === 0) {
    throw new LeyoloError('BAD_ARGUMENT', 'no sources given', 'usage: leyolo predict IMAGE|DIR|GLOB|VIDEO [...] (see --help)');
  }
  const mo = modelOptions(v);
  const maxPixels = int('max-pixels', v['max-pixels'], 100_000_000, 1, 2 ** 32);
  const jsonPath = str(v.json);
  // Refuse a --json that names an input (or a link, device, folder) before any work: the sources
  // now, the weights once loaded (reading them registers them as inputs).
  const src = expandSources(positionals);
  if (jsonPath) assertWritableOutput(jsonPath, [...src.images, ...src.videos]);
  const model = await load({ weights: mo.weights, model: mo.model, imgsz: mo.imgsz, threads: mo.threads, maxPixels });
  if (jsonPath) assertWritableOutput(jsonPath, [...src.images, ...src.videos]);
  const quiet = v.quiet === true || src.images.length > 20;
  const bar = new Progress('predict', src.images.length, 'img', src.images.length > 1);
  const run = await model.predict(src, {
    conf: num('conf', v.conf, 0.25, 0, 1), iou: num('iou', v.iou, 0.7, 0, 1), maxDet: int('max-det', v['max-det'], 300),
    classes: intList('classes', v.classes), agnostic: v.agnostic === true, maxPixels,
    save: v.save === true, saveTxt: v['save-txt'] === true, saveConf: v['save-conf'] === true, project: str(v.project),
    onResult: (r) => void (quiet || process.stdout.write(`${r.image}: ${r.width}x${r.height} ${summary(r.detections)}\n`)),
    onProblem: (f) => process.stderr.write(`error[${f.code}]: ${f.message} (skipped)\n`),
    onProgress: () => bar.tick(),
  });
  bar.done();
  await model.dispose();
  const n = run.results.reduce((a, r) => a + r.detections.length, 0);
  const t = model.times;
  const k = Math.max(1, run.results.length);
  process.stderr.write(`Speed: ${(t.preprocess / k).toFixed(1)}ms preprocess, ${(t.inference / k).toFixed(1)}ms inference, ${(t.postprocess / k).toFixed(1)}ms postprocess per image at imgsz ${mo.imgsz}\n`);
  process.stderr.write(`${run.results.length} image(s), ${n} detection(s)${run.dir ? `; results saved to ${run.dir}` : ''}\n`);
  if (jsonPath) {
    writeFileAtomic(jsonPath, `${JSON.stringify(run.results, null, 1)}\n`);
    process.stderr.write(`JSON written to ${jsonPath}\n`);
  }
  if (run.failures.length > 0) {
    const total = src.images.length + src.videos.length + src.problems.length;
    throw new LeyoloError('SOME_INPUTS_FAILED', `${run.failures.length} of ${total} inputs failed (listed above); the results of the others were written`, 'fix or remove the inputs listed above');
  }
}

/** `2 persons, 1 bus` as Ultralytics prints it. */
function summary(dets: readonly Detection[]): string {
  if (dets.length === 0) return '(no detections)';
  const counts = new Map<string, number>();
  for (const d of dets) counts.set(d.label, (counts.get(d.label) ?? 0) + 1);
  return [...counts].map(([l, c]) => `${c} ${l}${c > 1 ? 's' : ''}`).join(', ');
}
