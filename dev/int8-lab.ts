/**
 * Dev lab for the static INT8 export: cached calibration ranges and sensitivities, variants of the
 * quantization plan, and their coco128 mAP50-95 / output error against float32.
 *
 *   node --import tsx dev/int8-lab.ts <imgsz> <variant[,variant...]> [nval=128] [ncalib=64]
 *   SPEED=1 [PROFILE=1] [REPS=15] node --import tsx dev/int8-lab.ts 640 fp32,mse+k16+ownsens
 *   KERNEL=1 node --import tsx dev/int8-lab.ts 640 mse+k16+ownsens   (fused kernels vs fake-quant)
 *
 * A variant is 'fp32' or <method>[+mod...], method minmax|percentile|mse|hybrid, mods: kN (keep the
 * N most sensitive tensors float32, default 8), ownsens (rank with this variant's ranges, as the
 * export does; else with hybrid ranges), conv (quantize convs only), nohead (Detect head float32),
 * so/so2 (SiLU outputs get silu(pre-activation range)), mmrest/mserest (non-pre-activation tensors
 * from minmax/mse ranges). The export's default is mse+k16+ownsens.
 *
 * Caches go to /tmp/int8-lab/ (ranges per imgsz/ncalib/method, sensitivity per imgsz/ncalib).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/data/dataset.js';
import { decodeImage } from '../src/node/decode.js';
import { exportOnnx } from '../src/export/index.js';
import { calibrate, letterboxedInputs, siluInputs, type CalibrationMethod } from '../src/export/calibrate.js';
import { decodeModel, graphOf } from '../src/export/proto.js';
import { loadOnnxBytes } from '../src/node/onnx.js';
import { quantizableTensors, quantizeQdq, type QuantizeOptions, type Range } from '../src/export/quantize.js';
import { outputError, sensitivity, sensitivityCandidates } from '../src/export/sensitivity.js';
import { createSession, runSession } from '../src/node/session.js';
import { validate } from '../src/val/validate.js';
import { loadCheckpointFile } from '../src/weights/node.js';

const shared = '../shared';
const cache = '/tmp/int8-lab';
mkdirSync(cache, { recursive: true });
const imgsz = Number(process.argv[2] ?? 640);
const variants = (process.argv[3] ?? 'fp32,default').split(',');
const nval = Number(process.argv[4] ?? 128);
const ncalib = Number(process.argv[5] ?? 64);

const ck = await loadCheckpointFile(join(shared, 'weights/LeYOLONano.pt'));
const fp32 = await exportOnnx(ck, { imgsz });
const cdir = join(shared, 'datasets/coco-mini-train/images');
const allCalib = readdirSync(cdir).sort().map((f) => () => decodeImage(join(cdir, f)));
const calibImgs = allCalib.slice(0, ncalib);
const heldOut = allCalib.slice(200, 208); // disjoint from calibration (first 64/128) and coco128
const tensors = quantizableTensors(fp32, { keepFloat: [] });

async function cached<T>(name: string, make: () => Promise<T>, enc: (x: T) => unknown, dec: (j: never) => T): Promise<T> {
  const f = join(cache, name);
  if (existsSync(f)) return dec(JSON.parse(readFileSync(f, 'utf8')) as never);
  const t0 = performance.now();
  const x = await make();
  console.error(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  writeFileSync(f, JSON.stringify(enc(x)));
  return x;
}
const mapEnc = <V>(m: Map<string, V>) => [...m];
const mapDec = <V>(j: [string, V][]) => new Map(j);

async function rangesOf(method: CalibrationMethod, n = ncalib): Promise<Map<string, Range>> {
  const r = await cached(`ranges-${imgsz}-${n}-${method}.json`, () => calibrate(fp32, tensors.filter((t) => t !== 'images'), allCalib.slice(0, n), { imgsz, method, threads: 2 }), mapEnc, mapDec<Range>);
  r.set('images', { min: 0, max: 1 });
  return r;
}

async function sensOf(ranges: Map<string, Range>, tag: string, nimg = 2): Promise<[string, number][]> {
  const m = await cached(`sens-${imgsz}-${tag}-${nimg}.json`, async () => sensitivity(fp32, sensitivityCandidates(fp32, tensors), ranges, await letterboxedInputs(calibImgs, imgsz, nimg), imgsz, 2), mapEnc, mapDec<number>);
  return [...m].sort((a, b) => b[1] - a[1]);
}

/** Output error (classes, boxes) of `bytes` vs fp32 on held-out images. */
async function heldOutError(bytes: Uint8Array): Promise<number> {
  const xs = await letterboxedInputs(heldOut, imgsz, heldOut.length);
  const a = await createSession(fp32, { threads: 2 });
  const b = await createSession(bytes, { threads: 2 });
  let e = 0;
  for (const x of xs) {
    const feed = { images: { shape: [1, 3, imgsz, imgsz], data: x } };
    const r = (await runSession(a, feed)).decoded;
    const g = (await runSession(b, feed)).decoded;
    e += outputError(r.data, g.data, r.shape[1]) / xs.length;
  }
  await a.release();
  await b.release();
  return e;
}

const ds = await loadDataset(join(shared, 'datasets/coco128/coco128.yaml'), { split: 'val' });
ds.items = ds.items.slice(0, nval);

const sig = (x: number) => 1 / (1 + Math.exp(-x));
/** SiLU (Mul) outputs get silu(pre-activation range); sigmoid outputs sigmoid(range) when sg. */
function siluOutRanges(ranges: Map<string, Range>, sg: number): void {
  const nodes = graphOf(decodeModel(fp32)).node ?? [];
  const pre = siluInputs(fp32);
  for (const n of nodes) {
    const x = n.input?.[0] ?? '';
    if (n.opType === 'Mul' && pre.has(x) && ranges.has(n.output![0]) && ranges.has(x)) {
      const r = ranges.get(x)!;
      ranges.set(n.output![0], { min: r.min < -1.2785 ? -0.2785 : Math.min(0, r.min * sig(r.min)), max: r.max * sig(r.max) });
    }
    if (sg && n.opType === 'Sigmoid' && pre.has(x) && ranges.has(n.output![0])) ranges.set(n.output![0], { min: 0, max: 1 });
  }
}

async function build(v: string): Promise<Uint8Array> {
  if (v === 'fp32') return fp32;
  const [base, ...mods] = v.split('+');
  const method = (['percentile', 'minmax', 'mse', 'hybrid'].includes(base) ? base : 'hybrid') as CalibrationMethod;
  const ranges = new Map(await rangesOf(method));
  const o: QuantizeOptions = {};
  if (mods.includes('so')) siluOutRanges(ranges, 1);
  if (mods.includes('mmrest') || mods.includes('mserest')) {
    const other = await rangesOf(mods.includes('mmrest') ? 'minmax' : 'mse');
    const pre = siluInputs(fp32);
    for (const [t, r] of other) if (!pre.has(t) && t !== 'images') ranges.set(t, r);
  }
  if (mods.includes('so2')) siluOutRanges(ranges, 0);
  let keep = 8;
  for (const m of mods) {
    if (m.startsWith('k')) keep = Number(m.slice(1));
    else if (m === 'conv') o.ops = 'conv';
    else if (m === 'nohead') o.exclude = ['model.35.'];
  }
  const sens = mods.includes('ownsens') ? await sensOf(ranges, `${v.replace(/\+k\d+/, '')}-${ncalib}`) : await sensOf(await rangesOf('hybrid'), `hybrid-${ncalib}`);
  o.keepFloat = sens.slice(0, keep).map(([t]) => t);
  return quantizeQdq(fp32, ranges, o);
}

/** Median ms of each model, sessions alive together, runs alternating (idle ORT pools spin). */
async function speed(models: [string, Uint8Array][], reps = Number(process.env.REPS ?? 15)): Promise<void> {
  const x = (await letterboxedInputs(heldOut, imgsz, 1))[0];
  const feed = { images: { shape: [1, 3, imgsz, imgsz], data: x } };
  const ss = await Promise.all(models.map(([, b]) => createSession(b, { threads: 2 })));
  const ts: number[][] = models.map(() => []);
  for (let r = -2; r < reps; r++) {
    for (let i = 0; i < ss.length; i++) {
      const t0 = performance.now();
      await runSession(ss[i], feed);
      if (r >= 0) ts[i].push(performance.now() - t0);
    }
  }
  for (let i = 0; i < ss.length; i++) {
    const s = ts[i].sort((a, b) => a - b);
    console.log(`${imgsz} ${models[i][0]}: median ${s[s.length >> 1].toFixed(1)} ms (min ${s[0].toFixed(1)})`);
    await ss[i].release();
  }
}

/** ORT's profile of one model: total us per op type over 10 runs. */
async function profile(name: string, bytes: Uint8Array): Promise<void> {
  const ort = await import('onnxruntime-node');
  const prefix = join(cache, `prof-${imgsz}-${name.replace(/[^a-z0-9]+/gi, '_')}`);
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: 2, interOpNumThreads: 1, enableProfiling: true, profileFilePrefix: prefix });
  const x = (await letterboxedInputs(heldOut, imgsz, 1))[0];
  for (let r = 0; r < 10; r++) await s.run({ images: new ort.Tensor('float32', x, [1, 3, imgsz, imgsz]) });
  s.endProfiling();
  await s.release();
  const base = prefix.split('/').pop()!;
  const file = join(cache, readdirSync(cache).filter((f) => f.startsWith(base + '_')).sort().pop()!);
  const ev = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  const by = new Map<string, number>();
  for (const e of ev) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) by.set(e.args?.op_name ?? '?', (by.get(e.args?.op_name ?? '?') ?? 0) + e.dur / 10);
  console.log(`${imgsz} ${name} per-run op time (ms):`, [...by].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', '));
}

/** Held-out error of the fused int8 kernels ('all') vs the same QDQ graph as float fake-quant ('basic'). */
async function kernelCheck(name: string, bytes: Uint8Array): Promise<void> {
  const ort = await import('onnxruntime-node');
  const xs = await letterboxedInputs(heldOut, imgsz, 4);
  const mk = (b: Uint8Array, level: 'basic' | 'all') => ort.InferenceSession.create(b, { graphOptimizationLevel: level, intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential' });
  const [f, qa, qb] = await Promise.all([mk(fp32, 'all'), mk(bytes, 'all'), mk(bytes, 'basic')]);
  const e = [0, 0, 0];
  for (const x of xs) {
    const feed = { images: new ort.Tensor('float32', x, [1, 3, imgsz, imgsz]) };
    const [r, a, b] = await Promise.all([f.run(feed), qa.run(feed), qb.run(feed)]).then((o) => o.map((m) => m.decoded));
    const rows = r.dims[1];
    e[0] += outputError(r.data as Float32Array, a.data as Float32Array, rows) / xs.length;
    e[1] += outputError(r.data as Float32Array, b.data as Float32Array, rows) / xs.length;
    e[2] += outputError(a.data as Float32Array, b.data as Float32Array, rows) / xs.length;
  }
  console.log(`${imgsz} ${name}: err fused ${e[0].toFixed(4)}, fake-quant ${e[1].toFixed(4)}, fused vs fake ${e[2].toFixed(4)}`);
}

if (process.env.KERNEL) {
  for (const v of variants) await kernelCheck(v, await build(v));
  process.exit(0);
}

if (process.env.SPEED) {
  const models: [string, Uint8Array][] = [];
  for (const v of variants) models.push([v, await build(v)]);
  if (process.env.PROFILE) for (const [n, b] of models) await profile(n, b);
  await speed(models);
  process.exit(0);
}

for (const v of variants) {
  const bytes = await build(v);
  const err = v === 'fp32' ? 0 : await heldOutError(bytes);
  const model = await loadOnnxBytes(bytes, { imgsz, threads: 2 });
  const t0 = performance.now();
  const r = await validate(model, ds);
  await model.dispose();
  console.log(`${imgsz} ${v} n=${nval}: mAP50-95 ${(100 * r.ultralytics.mAP5095).toFixed(2)} mAP50 ${(100 * r.ultralytics.mAP50).toFixed(2)} heldOutErr ${err.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
