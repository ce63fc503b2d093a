/**
 * Resolve a model table into concrete layers: real channel counts (the official parser's width
 * scaling), strides, conv units and the PyTorch state-dict parameter names and shapes.
 * Everything else (ONNX graph, FLOPs, checkpoint checks, training) is derived from this.
 */
import { LeyoloError } from '../errors.js';
import { numel } from '../tensor.js';
import { MODEL_TABLES } from './table.js';
import type { BlockRow, LayerKind, LayerRow, ModelTable, ScaleName, ScaleParams } from './table.js';
import { opt } from '../hints.js';

/** One stored tensor: `param` = nn.Parameter (counted), `buffer` = BN running stats. */
export interface ParamSpec {
  name: string;
  shape: number[];
  kind: 'param' | 'buffer';
}

/**
 * One convolution with its optional BatchNorm and SiLU, in state-dict names.
 * weight [cOut, cIn/groups, k, k]; `bn` is the BatchNorm prefix (`<bn>.weight`, `.running_mean`...).
 */
export interface ConvUnit {
  weight: string;
  bias: string | null;
  bn: string | null;
  cIn: number;
  cOut: number;
  k: number;
  s: number;
  pad: number;
  groups: number;
  act: boolean;
  /** True for Ultralytics `Conv` modules, whose BN `fuse()` folds (matters for thop FLOPs). */
  ultraConv: boolean;
}

/** Per-level branches of the Detect head: box (cv2.i, to 4*regMax) and class (cv3.i, to nc). */
export interface DetectBranches {
  box: ConvUnit[];
  cls: ConvUnit[];
}

/** A resolved layer (`model.<index>`). */
export interface ResolvedLayer {
  index: number;
  kind: LayerKind;
  /** Absolute indices of the input layers (-1 = the image). */
  from: number[];
  /** Channels of each input. */
  inChannels: number[];
  cIn: number;
  cOut: number;
  /** Output stride relative to the input image (Detect: the P3 stride). */
  stride: number;
  /** Main kernel size (block: depthwise k; SPPF: pool k; else null). */
  kernel: number | null;
  /** Conv units in execution order (Detect: level-major, box branch then class branch). */
  convs: ConvUnit[];
  /** Block: x + f(x). */
  residual: boolean;
  /** True when nothing downstream of this layer reaches the Detect head (Medium/Large 38-41). */
  dead: boolean;
  params: ParamSpec[];
  row: LayerRow;
  branches?: DetectBranches[];
}

export interface ResolvedModel {
  scale: ScaleName;
  nc: number;
  width: number;
  depth: number;
  maxChannels: number;
  regMax: number;
  /** Detect strides, e.g. [8, 16, 32]. */
  strides: number[];
  /** Default input size of this scale (640, Large 768). */
  imgsz: number;
  layers: ResolvedLayer[];
  detectIndex: number;
}

export interface ResolveOptions {
  scale: ScaleName;
  nc?: number;
  width?: number;
  depth?: number;
  maxChannels?: number;
  /** Use these rows instead of the built-in table (e.g. parsed from a checkpoint). */
  layers?: LayerRow[];
}

/** Ultralytics make_divisible: round UP to a multiple of `d`. */
export function makeDivisible(x: number, d = 8): number {
  return Math.ceil(x / d) * d;
}

/**
 * Official channel scaling of a yaml output-channel argument. Quirk kept on purpose: the parser
 * leaves a value equal to `nc` unscaled (`if c2 != nc`), so nc=64 changes a Small model's widths.
 */
export function scaleChannels(c: number, nc: number, s: ScaleParams): number {
  return c !== nc ? makeDivisible(Math.min(c, s.maxChannels) * s.width, 8) : c;
}

function bnParams(prefix: string, c: number): ParamSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [c], kind: 'param' },
    { name: `${prefix}.bias`, shape: [c], kind: 'param' },
    { name: `${prefix}.running_mean`, shape: [c], kind: 'buffer' },
    { name: `${prefix}.running_var`, shape: [c], kind: 'buffer' },
  ];
}

function convParams(u: ConvUnit): ParamSpec[] {
  const out: ParamSpec[] = [{ name: u.weight, shape: [u.cOut, u.cIn / u.groups, u.k, u.k], kind: 'param' }];
  if (u.bias) out.push({ name: u.bias, shape: [u.cOut], kind: 'param' });
  if (u.bn) out.push(...bnParams(u.bn, u.cOut));
  return out;
}

/** Official `mn_conv`: conv with bias, BN, SiLU; padding 0 when k == s else k // 2. */
function mnConv(p: string, cIn: number, cOut: number, k: number, s: number, groups = 1): ConvUnit {
  const pad = k === s ? 0 : Math.floor(k / 2);
  return { weight: `${p}.c.weight`, bias: `${p}.c.bias`, bn: `${p}.bn`, cIn, cOut, k, s, pad, groups, act: true, ultraConv: false };
}

/** Ultralytics `Conv`: conv without bias, BN, SiLU, autopad k // 2. */
function ultraConv(p: string, cIn: number, cOut: number, k: number, groups = 1): ConvUnit {
  return { weight: `${p}.conv.weight`, bias: null, bn: `${p}.bn`, cIn, cOut, k, s: 1, pad: Math.floor(k / 2), groups, act: true, ultraConv: true };
}

/** Plain nn.Conv2d 1x1 with bias, optionally followed by a separate nn.BatchNorm2d. */
function plainConv(w: string, cIn: number, cOut: number, bn: string | null): ConvUnit {
  return { weight: `${w}.weight`, bias: `${w}.bias`, bn, cIn, cOut, k: 1, s: 1, pad: 0, groups: 1, act: false, ultraConv: false };
}

function blockConvs(p: string, row: BlockRow, cIn: number, cOut: number, cMid: number): ConvUnit[] {
  const convs: ConvUnit[] = [];
  if (row.pw) convs.push(mnConv(`${p}.layers.${convs.length}`, cIn, cMid, 1, 1));
  else if (cMid !== cIn) {
    throw new LeyoloError('MODEL_MISMATCH', `${p}: block without expand conv needs expansion == c_in (${cMid} != ${cIn})`,
      'use expand: null (= input channels) or pw: true for this row');
  }
  const j = convs.length;
  convs.push(mnConv(`${p}.layers.${j}`, cMid, cMid, row.k, row.stride, cMid));
  convs.push(plainConv(`${p}.layers.${j + 1}`, cMid, cOut, `${p}.layers.${j + 2}`));
  return convs;
}

function detectBranches(p: string, ch: number[], nc: number, regMax: number): DetectBranches[] {
  // Channel widths of the two branches, from the P3 input (official Detect.__init__).
  const c2 = Math.max(16, Math.floor(ch[0] / 4), regMax * 4);
  const c3 = Math.max(ch[0], Math.min(nc, 100));
  const branch = (name: string, x: number, i: number, c: number, out: number): ConvUnit[] => [
    ultraConv(`${p}.${name}.${i}.0`, x, c, 1),
    ultraConv(`${p}.${name}.${i}.1`, c, c, 3, c),
    ultraConv(`${p}.${name}.${i}.2`, c, c, 3, c),
    plainConv(`${p}.${name}.${i}.3`, c, out, null),
  ];
  return ch.map((x, i) => ({ box: branch('cv2', x, i, c2, 4 * regMax), cls: branch('cv3', x, i, c3, nc) }));
}

interface LayerShape {
  from: number[];
  inChannels: number[];
  cOut: number;
  stride: number;
  kernel: number | null;
  convs: ConvUnit[];
  residual: boolean;
  branches?: DetectBranches[];
}

function resolveRow(i: number, row: LayerRow, ch: number[], st: number[], nc: number, s: ScaleParams): LayerShape {
  const p = `model.${i}`;
  const abs = (f: number): number => (f < 0 ? i + f : f);
  const from = row.kind === 'Concat' || row.kind === 'Detect' ? row.from.map(abs) : [abs(row.from)];
  const inChannels = from.map((f) => (f < 0 ? 3 : ch[f]));
  const inStride = from.map((f) => (f < 0 ? 1 : st[f]));
  const c1 = inChannels[0];
  switch (row.kind) {
    case 'mn_conv': {
      const c2 = scaleChannels(row.out, nc, s);
      return { from, inChannels, cOut: c2, stride: inStride[0] * row.s, kernel: row.k, convs: [mnConv(p, c1, c2, row.k, row.s)], residual: false };
    }
    case 'MobileNetV3_BLOCK': {
      const c2 = scaleChannels(row.out, nc, s);
      const cMid = row.expand === null ? c1 : makeDivisible(Math.min(row.expand, s.maxChannels) * s.width, 8);
      const convs = blockConvs(p, row, c1, c2, cMid);
      return { from, inChannels, cOut: c2, stride: inStride[0] * row.stride, kernel: row.k, convs, residual: c1 === c2 && row.stride === 1 };
    }
    case 'SPPF': {
      const c2 = scaleChannels(row.out, nc, s);
      const c_ = Math.floor(c1 / 2);
      const convs = [ultraConv(`${p}.cv1`, c1, c_, 1), ultraConv(`${p}.cv2`, c_ * 4, c2, 1)];
      return { from, inChannels, cOut: c2, stride: inStride[0], kernel: row.k, convs, residual: false };
    }
    case 'Upsample':
      return { from, inChannels, cOut: c1, stride: inStride[0] / row.scale, kernel: null, convs: [], residual: false };
    case 'Concat':
      return { from, inChannels, cOut: inChannels.reduce((a, b) => a + b, 0), stride: inStride[0], kernel: null, convs: [], residual: false };
    case 'Detect': {
      const branches = detectBranches(p, inChannels, nc, 16);
      const convs = branches.flatMap((b) => [...b.box, ...b.cls]);
      return { from, inChannels, cOut: 4 * 16 + nc, stride: inStride[0], kernel: null, convs, residual: false, branches };
    }
  }
}

/** Mark layers whose output never reaches the Detect head. */
function liveSet(shapes: LayerShape[]): Set<number> {
  const live = new Set<number>([shapes.length - 1]);
  for (let i = shapes.length - 1; i >= 0; i--) {
    if (!live.has(i)) continue;
    for (const f of shapes[i].from) if (f >= 0) live.add(f);
  }
  return live;
}

/**
 * Resolve one of the four architectures (optionally with nc/width/depth overrides).
 *
 * @example
 * const m = resolveModel({ scale: 'nano' });
 * countParams(m); // 1120480
 */
export function resolveModel(opts: ResolveOptions): ResolvedModel {
  const table: ModelTable | undefined = MODEL_TABLES[opts.scale];
  if (!table) throw new LeyoloError('BAD_ARGUMENT', `unknown model scale '${String(opts.scale)}'`, 'use nano, small, medium or large');
  const nc = opts.nc ?? table.nc;
  if (!Number.isInteger(nc) || nc < 1) throw new LeyoloError('BAD_ARGUMENT', `nc must be a positive integer, got ${nc}`, `pass ${opt('nc', 'N')} with N >= 1`);
  const s: ScaleParams = {
    depth: opts.depth ?? table.scale.depth,
    width: opts.width ?? table.scale.width,
    maxChannels: opts.maxChannels ?? table.scale.maxChannels,
  };
  if (!(s.width > 0)) throw new LeyoloError('BAD_ARGUMENT', `width must be > 0, got ${s.width}`, 'pass a positive width multiplier');
  // Every row has repeats = 1, and the official parser only scales repeats > 1: depth is inert here.
  const rows = opts.layers ?? table.layers;
  const ch: number[] = [];
  const st: number[] = [];
  const shapes: LayerShape[] = [];
  rows.forEach((row, i) => {
    const sh = resolveRow(i, row, ch, st, nc, s);
    shapes.push(sh);
    ch.push(sh.cOut);
    st.push(sh.stride);
  });
  const detectIndex = rows.length - 1;
  if (rows[detectIndex]?.kind !== 'Detect') throw new LeyoloError('MODEL_MISMATCH', 'the last layer must be Detect', 'check the layer table');
  const live = liveSet(shapes);
  const layers = shapes.map((sh, i) => toLayer(i, rows[i], sh, !live.has(i)));
  const strides = shapes[detectIndex].from.map((f) => st[f]);
  return { scale: opts.scale, nc, width: s.width, depth: s.depth, maxChannels: s.maxChannels, regMax: 16, strides, imgsz: table.imgsz, layers, detectIndex };
}

function toLayer(index: number, row: LayerRow, sh: LayerShape, dead: boolean): ResolvedLayer {
  const params = sh.convs.flatMap(convParams);
  if (row.kind === 'Detect') params.push({ name: `model.${index}.dfl.conv.weight`, shape: [1, 16, 1, 1], kind: 'param' });
  const cIn = sh.inChannels.reduce((a, b) => a + b, 0);
  return { index, kind: row.kind, from: sh.from, inChannels: sh.inChannels, cIn, cOut: sh.cOut, stride: sh.stride, kernel: sh.kernel,
    convs: sh.convs, residual: sh.residual, dead, params, row, ...(sh.branches ? { branches: sh.branches } : {}) };
}

/**
 * All float tensors of the state dict (parameters and BN running stats) with their shapes.
 *
 * @example
 * paramShapes(resolveModel({ scale: 'nano' })).get('model.35.dfl.conv.weight'); // [1, 16, 1, 1]
 */
export function paramShapes(m: ResolvedModel): Map<string, number[]> {
  return new Map(m.layers.flatMap((l) => l.params.map((p) => [p.name, p.shape] as [string, number[]])));
}

/**
 * Number of parameters (nn.Parameter elements, DFL included, like `sum(p.numel())`).
 *
 * @example
 * countParams(resolveModel({ scale: 'small', nc: 1 })); // 1887395
 */
export function countParams(m: ResolvedModel): number {
  let n = 0;
  for (const l of m.layers) for (const p of l.params) if (p.kind === 'param') n += numel(p.shape);
  return n;
}

/**
 * The layers that the inference graph executes (drops dead ones such as Medium/Large 38-41).
 *
 * @example
 * usedLayers(resolveModel({ scale: 'medium' })).length; // 39
 */
export function usedLayers(m: ResolvedModel): ResolvedLayer[] {
  return m.layers.filter((l) => !l.dead);
}
