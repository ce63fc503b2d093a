/**
 * Does a (walked) ONNX graph look like a detector, and which one? Browser-safe. Accepted:
 * - input: one float32 tensor [N, 3, H, W] (N, H, W may be symbolic; static H, W <= 4096,
 *   multiples of the largest stride);
 * - outputs, one of: `decoded` (leyolo) or `output0` (Ultralytics) [N, 4 + nc, A] with
 *   A = sum over strides s of (H/s)(W/s) (checked statically when H, W, A are fixed, else on every
 *   run by {@link checkForward}); the raw heads p3, p4, p5 [N, 64 + nc, H/s, W/s]; the NMS export's
 *   `detections` [K, 7] (src/export/nms.ts);
 * - metadata: `nc`, when given, equals the graph's class count; `names` lists exactly nc names
 *   (at most 10,000); `stride` is a valid stride list (readStrides).
 */
import type { Engine, ForwardOutput } from '../engine.js';
import { LeyoloError } from '../errors.js';
import { MAX_CLASSES, parseNames, readStrides } from '../web/onnx-meta.js';
import type { OnnxModelInfo, ValueInfo } from './model-info.js';
import { opt } from '../hints.js';

/** decoded [N, 4+nc, A]; heads p3.. [N, 64+nc, h, w]; nms detections [K, 7]. */
export type DetectorKind = 'decoded' | 'heads' | 'nms';

/** Largest static input side accepted (the CLI's --imgsz maximum). */
export const MAX_INPUT_SIDE = 4096;
/** DFL bins per box side: raw heads carry 4 * 16 box channels before the class scores. */
const REG_MAX = 16;

/** What a validated ONNX detector needs at run time. */
export interface DetectorSpec {
  kind: DetectorKind;
  /** Name of the image input. */
  input: string;
  /** Static batch size, or null when symbolic. */
  batch: number | null;
  /** Static input [H, W], or null when symbolic. */
  fixed: [number, number] | null;
  /** Outputs to fetch, in the order the kind reads them (heads: P3 first). */
  outputs: string[];
  nc: number;
  names: string[];
  strides: number[];
  scale: string;
  metadata: Record<string, string>;
}

const HINT = 'load a LeYOLO/Ultralytics detector export (leyolo export, or Ultralytics `export format=onnx`)';
const bad = (msg: string, hint = HINT): LeyoloError => new LeyoloError('BAD_MODEL', msg, hint);
const fmt = (v: ValueInfo): string => `'${v.name}' ${v.dims ? `[${v.dims.map((d) => (d === '' ? '?' : d)).join(', ')}]` : '(no shape)'}`;

/** Anchors of a decoded output for an H x W input: sum over strides of (H/s)(W/s). @example anchorCount([8, 16, 32], 320, 320); // 2100 */
export function anchorCount(strides: readonly number[], h: number, w: number): number {
  return strides.reduce((a, s) => a + (h / s) * (w / s), 0);
}

function readInput(info: OnnxModelInfo): { v: ValueInfo; batch: number | null; fixed: [number, number] | null } {
  const inits = new Set(info.initializers.map((t) => t.name));
  const real = info.inputs.filter((v) => !inits.has(v.name)); // IR < 4 lists initializers as inputs too
  if (real.length !== 1) throw bad(`the ONNX model has ${real.length} inputs (${real.map(fmt).join(', ')}); a detector has one image input [N, 3, H, W]`);
  const v = real[0];
  if (v.elemType !== 1) throw bad(`ONNX input ${fmt(v)} has element type ${v.elemType}; a detector takes float32 images`);
  if (!v.dims || v.dims.length !== 4) throw bad(`ONNX input ${fmt(v)} is not [N, 3, H, W]`);
  if (v.dims.some((d) => typeof d === 'number' && d < 1)) throw bad(`ONNX input ${fmt(v)} has a dimension below 1`);
  const [n, c, h, w] = v.dims;
  if (typeof c === 'number' && c !== 3) throw bad(`ONNX input ${fmt(v)} has ${c} channels; a detector takes 3 (RGB)`);
  if ([h, w].some((d) => typeof d === 'number' && d > MAX_INPUT_SIDE)) {
    throw new LeyoloError('LIMIT_EXCEEDED', `ONNX input ${fmt(v)} is larger than ${MAX_INPUT_SIDE} pixels a side`, `export at an imgsz of at most ${MAX_INPUT_SIDE}`);
  }
  if ((typeof h === 'number') !== (typeof w === 'number')) throw new LeyoloError('MODEL_MISMATCH', `ONNX input ${fmt(v)} fixes only one side`, `export with a static square size or ${opt('dynamic')}`);
  return { v, batch: typeof n === 'number' ? n : null, fixed: typeof h === 'number' && typeof w === 'number' ? [h, w] : null };
}

/** Classify the outputs; returns the kind, fetched names and the class count the graph implies. */
function readOutputs(info: OnnxModelInfo, strides: readonly number[], fixed: [number, number] | null): { kind: DetectorKind; outputs: string[]; nc: number | null } {
  const outs = info.outputs;
  const byName = new Map(outs.map((o) => [o.name, o]));
  const heads = outs.filter((o) => /^p\d+$/.test(o.name)).sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1)));
  const main = byName.get('detections') ?? byName.get('decoded') ?? byName.get('output0');
  const expected = `expected 'decoded'/'output0' [N, 4+nc, anchors], heads p3/p4/p5 [N, 64+nc, H/s, W/s] or an NMS export's 'detections' [K, 7]`;
  const extra = outs.filter((o) => o !== main && !heads.includes(o));
  if ((!main && heads.length === 0) || extra.length > 0) throw bad(`ONNX outputs ${outs.map(fmt).join(', ') || '(none)'} are not a detector's: ${expected}`);
  for (const o of outs) if (o.elemType !== 1) throw bad(`ONNX output ${fmt(o)} has element type ${o.elemType}; detector outputs are float32`);
  if (main?.name === 'detections') {
    if (outs.length !== 1 || main.dims?.length !== 2 || (typeof main.dims[1] === 'number' && main.dims[1] !== 7)) throw bad(`ONNX output ${fmt(main)} is not an NMS export's detections [K, 7]`);
    return { kind: 'nms', outputs: ['detections'], nc: null };
  }
  if (main) {
    const d = main.dims;
    if (d?.length !== 3) throw bad(`ONNX output ${fmt(main)} is not [N, 4+nc, anchors]`);
    if (typeof d[1] === 'number' && d[1] < 5) throw bad(`ONNX output ${fmt(main)} has ${d[1]} channels; a detector has 4 box + at least 1 class channel`);
    if (fixed && typeof d[2] === 'number' && d[2] !== anchorCount(strides, fixed[0], fixed[1])) {
      throw bad(`ONNX output ${fmt(main)} has ${d[2]} anchors; a ${fixed[1]}x${fixed[0]} input at strides ${strides.join('/')} gives ${anchorCount(strides, fixed[0], fixed[1])}`);
    }
    return { kind: 'decoded', outputs: [main.name], nc: typeof d[1] === 'number' ? d[1] - 4 : null };
  }
  if (heads.length !== strides.length) throw bad(`ONNX model has ${heads.length} head outputs for ${strides.length} strides`);
  const channels = new Set<number | string>();
  heads.forEach((o, i) => {
    const d = o.dims;
    if (d?.length !== 4) throw bad(`ONNX head output ${fmt(o)} is not [N, 64+nc, h, w]`);
    if (typeof d[1] === 'number') channels.add(d[1]);
    if (fixed && [d[2], d[3]].some((x, k) => typeof x === 'number' && x !== fixed[k] / strides[i])) throw bad(`ONNX head output ${fmt(o)} does not match stride ${strides[i]} on a ${fixed[1]}x${fixed[0]} input`);
  });
  const c = [...channels];
  if (c.length > 1 || (c.length === 1 && Number(c[0]) <= 4 * REG_MAX)) throw bad(`ONNX head outputs have ${c.join('/')} channels; expected one count above ${4 * REG_MAX}`);
  return { kind: 'heads', outputs: heads.map((o) => o.name), nc: c.length === 1 ? Number(c[0]) - 4 * REG_MAX : null };
}

/** nc and names from metadata, consistent with the graph's class count. */
function readClasses(md: Record<string, string>, graphNc: number | null, kind: DetectorKind): { nc: number; names: string[] } {
  let metaNc: number | null = null;
  if (md.nc !== undefined) {
    metaNc = Number(md.nc);
    if (!/^\d+$/.test(md.nc.trim()) || metaNc < 1) throw bad(`model metadata nc ${JSON.stringify(md.nc.slice(0, 40))} is not a positive integer`, 'the file is corrupt; export it again');
  }
  const names = parseNames(md.names);
  if (md.names && names.length === 0) throw bad('model metadata names is not a readable list of class names', 'the file is corrupt; export it again');
  if (graphNc !== null && metaNc !== null && graphNc !== metaNc) throw bad(`model metadata says nc=${metaNc} but the graph outputs ${graphNc} classes`, 'the file is corrupt or its metadata was edited; export it again');
  const nc = graphNc ?? metaNc ?? (names.length || (kind === 'nms' ? 80 : 0));
  if (nc < 1) throw bad('cannot tell the number of classes: the output channels are symbolic and the metadata has no nc or names', 'export with leyolo export (it writes nc and names)');
  if (nc > MAX_CLASSES) throw new LeyoloError('LIMIT_EXCEEDED', `the model has ${nc} classes (limit ${MAX_CLASSES})`, 'check the file; it is not a detector export');
  if (names.length > 0 && names.length !== nc) throw bad(`model metadata lists ${names.length} class names for ${nc} classes`, 'the file is corrupt or its metadata was edited; export it again');
  return { nc, names: names.length > 0 ? names : Array.from({ length: nc }, (_, i) => String(i)) };
}

/**
 * The detector a walked, graph-checked ONNX model describes (see the module comment), or
 * BAD_MODEL / LIMIT_EXCEEDED / MODEL_MISMATCH saying why it is not one.
 *
 * @example
 * const spec = detectorSpec(readModelInfo(bytes)); // { kind: 'decoded', outputs: ['output0'], nc: 80, fixed: [320, 320], ... }
 */
export function detectorSpec(info: OnnxModelInfo): DetectorSpec {
  const md = info.metadata;
  const strides = readStrides(md.stride);
  const { v, batch, fixed } = readInput(info);
  const maxStride = strides[strides.length - 1];
  if (fixed && fixed.some((d) => d % maxStride !== 0)) throw bad(`ONNX input ${fmt(v)} is not a multiple of the stride ${maxStride}`);
  const out = readOutputs(info, strides, fixed);
  if (fixed && fixed[0] !== fixed[1] && out.kind !== 'nms') {
    throw new LeyoloError('MODEL_MISMATCH', `static ONNX input ${fixed[1]}x${fixed[0]} is not square`, `export with a square imgsz or ${opt('dynamic')}`);
  }
  const { nc, names } = readClasses(md, out.nc, out.kind);
  return { kind: out.kind, input: v.name, batch, fixed, outputs: out.outputs, nc, names, strides, scale: md.scale?.slice(0, 64) ?? 'onnx', metadata: md };
}

const wrongOutput = (what: string, got: readonly number[], want: readonly number[]): LeyoloError =>
  bad(`the ONNX model's ${what} came out as [${got.join(', ')}], expected [${want.join(', ')}]: it does not compute detections`);

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Check a forward pass's shapes against the spec for an input of `dims` [B, 3, H, W]: graphs with
 * symbolic shapes are only known at run time, and a wrong shape would otherwise decode as garbage
 * boxes. Cheap (compares a few integers), so it runs on every forward pass.
 *
 * @example
 * checkForward(spec, await engine.run(x, [1, 3, 640, 480]), [1, 3, 640, 480]);
 */
export function checkForward(spec: DetectorSpec, out: ForwardOutput, dims: readonly number[]): void {
  const [b, , h, w] = dims;
  if (spec.kind === 'decoded') {
    const want = [b, 4 + spec.nc, anchorCount(spec.strides, h, w)];
    const d = out.decoded;
    if (!d || !same(d.shape, want) || d.data.length !== want[0] * want[1] * want[2]) throw wrongOutput(`output '${spec.outputs[0]}'`, d?.shape ?? [], want);
    return;
  }
  if (spec.kind !== 'heads') return;
  const heads = out.heads ?? [];
  if (heads.length !== spec.strides.length) throw bad(`the ONNX model returned ${heads.length} head outputs for ${spec.strides.length} strides`);
  spec.strides.forEach((s, i) => {
    const want = [b, 4 * REG_MAX + spec.nc, h / s, w / s];
    if (!same(heads[i].shape, want) || heads[i].data.length !== want.reduce((p, x) => p * x, 1)) throw wrongOutput(`head output '${spec.outputs[i]}'`, heads[i].shape, want);
  });
}

/**
 * Check an NMS export's `detections` [K, 7] for a batch of `batch` images: every row must name an
 * image of the batch and a class of the model, with finite coordinates and a score in [0, 1].
 *
 * @example
 * checkDetectionRows(spec, res.detections.dims, res.detections.data as Float32Array, 1);
 */
export function checkDetectionRows(spec: DetectorSpec, dims: readonly number[], data: Float32Array, batch: number): void {
  if (dims.length !== 2 || dims[1] !== 7 || data.length !== dims[0] * 7) throw wrongOutput("output 'detections'", dims, [dims[0] ?? 0, 7]);
  for (let k = 0; k < dims[0]; k++) {
    const r = data.subarray(7 * k, 7 * k + 7);
    const ok = Number.isInteger(r[0]) && r[0] >= 0 && r[0] < batch && Number.isInteger(r[6]) && r[6] >= 0 && r[6] < spec.nc
      && r[5] >= 0 && r[5] <= 1 && [r[1], r[2], r[3], r[4]].every(Number.isFinite);
    if (!ok) throw bad(`the ONNX model's detections row ${k} [${Array.from(r).join(', ')}] is not (batch, x1, y1, x2, y2, score, class) for ${batch} image(s) and ${spec.nc} classes`);
  }
}

/**
 * An Engine that checks every forward pass against the spec ({@link checkForward}) and turns the
 * runtime's own failures into RUNTIME errors (cause kept). Used by the browser loader, whose
 * engine maps outputs by rank; Node's file engine (src/export/file-engine.ts) checks the same way.
 *
 * @example
 * const engine = new CheckedEngine(await createWebEngine(bytes), spec);
 */
export class CheckedEngine implements Engine {
  constructor(private readonly inner: Engine, readonly spec: DetectorSpec) {}

  get backend(): string {
    return this.inner.backend;
  }

  async run(input: Float32Array, dims: [number, number, number, number]): Promise<ForwardOutput> {
    if (this.spec.batch !== null && dims[0] !== this.spec.batch) {
      throw new LeyoloError('BAD_ARGUMENT', `this ONNX model takes batches of exactly ${this.spec.batch} image(s), got ${dims[0]}`, `pass ${this.spec.batch} image(s) at a time, or export with ${opt('dynamic')}`);
    }
    let out: ForwardOutput;
    try {
      out = await this.inner.run(input, dims);
    } catch (e) {
      if (e instanceof LeyoloError) throw e;
      throw new LeyoloError('RUNTIME', `the runtime failed to run the model: ${String(e).slice(0, 300)}`, 'the file may be corrupt; export or download it again', { cause: e });
    }
    checkForward(this.spec, out, dims);
    return out;
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}
