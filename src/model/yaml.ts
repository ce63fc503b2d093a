/**
 * Read the layer table that an official checkpoint stores (`ckpt.model.yaml`) and check it against
 * ours, so a checkpoint of some other architecture fails loudly instead of loading garbage.
 */
import { LeyoloError } from '../errors.js';
import { MODEL_TABLES } from './table.js';
import type { LayerRow, ScaleName, ScaleParams } from './table.js';
import type { ResolvedModel } from './resolve.js';

/** What a checkpoint's yaml says: rows, scale parameters and nc. */
export interface CheckpointTable {
  layers: LayerRow[];
  scale: ScaleParams;
  nc: number;
  yamlFile: string;
}

const bad = (msg: string): LeyoloError =>
  new LeyoloError('MODEL_MISMATCH', msg, 'this checkpoint is not a LeYOLO detector; use an official LeYOLO .pt file');

function num(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw bad(`checkpoint yaml: ${what} is not a number (${JSON.stringify(v)})`);
}

/** Python `None` may arrive as null or the string "None" (the yaml keeps it unparsed). */
function isNone(v: unknown): boolean {
  return v === null || v === undefined || v === 'None';
}

function fromField(f: unknown, i: number): number | number[] {
  if (typeof f === 'number') return f;
  if (Array.isArray(f)) return f.map((x, j) => num(x, `layer ${i} from[${j}]`));
  throw bad(`checkpoint yaml: layer ${i} has a bad 'from' (${JSON.stringify(f)})`);
}

function single(from: number | number[], i: number): number {
  if (typeof from === 'number') return from;
  throw bad(`checkpoint yaml: layer ${i} expects one input`);
}

function parseRow(raw: unknown, i: number): LayerRow {
  if (!Array.isArray(raw) || raw.length < 4) throw bad(`checkpoint yaml: layer ${i} is not [from, n, module, args]`);
  const [f, n, mod, args] = raw as [unknown, unknown, unknown, unknown];
  if (num(n, `layer ${i} repeats`) !== 1) throw bad(`checkpoint yaml: layer ${i} has repeats ${String(n)} (LeYOLO uses 1)`);
  const a = Array.isArray(args) ? args : [];
  const from = fromField(f, i);
  switch (mod) {
    case 'mn_conv':
      return { kind: 'mn_conv', from: single(from, i), out: num(a[0], `layer ${i} c2`), k: num(a[1] ?? 1, `layer ${i} k`), s: num(a[2] ?? 1, `layer ${i} s`) };
    case 'MobileNetV3_BLOCK':
      return {
        kind: 'MobileNetV3_BLOCK', from: single(from, i), out: num(a[0], `layer ${i} c2`), k: num(a[1] ?? 3, `layer ${i} k`),
        expand: isNone(a[2]) ? null : num(a[2], `layer ${i} expansion`), se: a[3] === true || a[3] === 'True',
        stride: num(a[5] ?? 1, `layer ${i} stride`), pw: !(a[6] === false || a[6] === 'False'),
      };
    case 'SPPF':
      return { kind: 'SPPF', from: single(from, i), out: num(a[0], `layer ${i} c2`), k: num(a[1] ?? 5, `layer ${i} k`) };
    case 'nn.Upsample':
      if (a[2] !== undefined && a[2] !== 'nearest') throw bad(`checkpoint yaml: layer ${i} upsample mode ${String(a[2])}`);
      return { kind: 'Upsample', from: single(from, i), scale: num(a[1] ?? 2, `layer ${i} scale`) };
    case 'Concat':
      return { kind: 'Concat', from: Array.isArray(from) ? from : [from] };
    case 'Detect':
      return { kind: 'Detect', from: Array.isArray(from) ? from : [from] };
    default:
      throw bad(`checkpoint yaml: layer ${i} uses unsupported module '${String(mod)}'`);
  }
}

/** Official parse_model: `scales[scale]`, or the FIRST key when `scale` is empty. */
function scaleOf(y: Record<string, unknown>): ScaleParams {
  const scales = y.scales as Record<string, unknown> | undefined;
  if (!scales || typeof scales !== 'object') {
    return { depth: num(y.depth_multiple ?? 1, 'depth_multiple'), width: num(y.width_multiple ?? 1, 'width_multiple'), maxChannels: Infinity };
  }
  const key = typeof y.scale === 'string' && y.scale !== '' ? y.scale : Object.keys(scales)[0];
  const v = scales[key];
  if (!Array.isArray(v) || v.length < 3) throw bad(`checkpoint yaml: scales.${key} is not [depth, width, max_channels]`);
  return { depth: num(v[0], 'depth'), width: num(v[1], 'width'), maxChannels: num(v[2], 'max_channels') };
}

/**
 * Parse the layer table stored in a checkpoint (`ckpt.model.yaml`).
 *
 * @example
 * const t = tableFromCheckpointYaml(ck.yaml); // { layers, scale: { width: 1.33, ... }, nc: 1 }
 */
export function tableFromCheckpointYaml(yaml: Record<string, unknown>): CheckpointTable {
  const bb = yaml.backbone;
  const hd = yaml.head;
  if (!Array.isArray(bb) || !Array.isArray(hd)) throw bad('checkpoint yaml has no backbone/head lists');
  const layers = [...bb, ...hd].map((r, i) => parseRow(r, i));
  return { layers, scale: scaleOf(yaml), nc: num(yaml.nc ?? 80, 'nc'), yamlFile: typeof yaml.yaml_file === 'string' ? yaml.yaml_file : '' };
}

const sameRow = (a: LayerRow, b: LayerRow): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Which of our four scales a checkpoint table is (width 1.0 -> nano; 1.33 -> small, or medium
 * when the layer count says so; medium vs large is the same table: the yaml file name decides).
 *
 * @example
 * detectScale(tableFromCheckpointYaml(ck.yaml)); // 'small'
 */
export function detectScale(t: CheckpointTable): ScaleName {
  const candidates = (['nano', 'small', 'medium', 'large'] as const).filter((s) => {
    const ref = MODEL_TABLES[s];
    return ref.scale.width === t.scale.width && ref.layers.length === t.layers.length;
  });
  if (candidates.length === 0) {
    throw bad(`no LeYOLO scale has width ${t.scale.width} and ${t.layers.length} layers`);
  }
  if (candidates.includes('large') && /large/i.test(t.yamlFile)) return 'large';
  return candidates[0];
}

/**
 * Throw MODEL_MISMATCH naming the first layer where the checkpoint's table differs from ours.
 * Row comparisons are on the yaml values (channels before width scaling), plus the scale triple.
 * Nano's P3 block expansion 96 equals its input (96) and is accepted as `null` and vice versa.
 *
 * @example
 * checkTableAgainstYaml(resolveModel({ scale: 'small', nc: 1 }), ck.yaml);
 */
export function checkTableAgainstYaml(m: ResolvedModel, yaml: Record<string, unknown>): void {
  const t = tableFromCheckpointYaml(yaml);
  const s = MODEL_TABLES[m.scale].scale;
  if (t.scale.width !== m.width || t.scale.maxChannels !== m.maxChannels) {
    throw bad(`checkpoint scale [depth ${t.scale.depth}, width ${t.scale.width}, max ${t.scale.maxChannels}] != ${m.scale} [${s.depth}, ${m.width}, ${m.maxChannels}]`);
  }
  const ours = m.layers.map((l) => l.row);
  const n = Math.max(ours.length, t.layers.length);
  for (let i = 0; i < n; i++) {
    const a = ours[i];
    const b = t.layers[i];
    if (!a || !b) throw bad(`layer ${i}: ${a ? 'missing in checkpoint' : 'extra in checkpoint'} (ours has ${ours.length}, checkpoint ${t.layers.length})`);
    if (sameRow(a, b) || sameWhenExpandIsInput(m, i, a, b)) continue;
    throw bad(`layer ${i} differs: ours ${JSON.stringify(a)}, checkpoint ${JSON.stringify(b)}`);
  }
}

/** An explicit expansion equal to the (resolved) input channels is the same module as `null`. */
function sameWhenExpandIsInput(m: ResolvedModel, i: number, a: LayerRow, b: LayerRow): boolean {
  if (a.kind !== 'MobileNetV3_BLOCK' || b.kind !== 'MobileNetV3_BLOCK') return false;
  const cIn = m.layers[i].cIn;
  const scaled = (e: number | null): number => (e === null ? cIn : Math.ceil((Math.min(e, m.maxChannels) * m.width) / 8) * 8);
  return sameRow({ ...a, expand: null }, { ...b, expand: null }) && scaled(a.expand) === scaled(b.expand);
}


/** One of our rows in the official `[from, repeats, module, args]` form. */
function rowToYaml(r: LayerRow): unknown[] {
  switch (r.kind) {
    case 'mn_conv':
      return [r.from, 1, 'mn_conv', [r.out, r.k, r.s, 'SI']];
    case 'MobileNetV3_BLOCK':
      return [r.from, 1, 'MobileNetV3_BLOCK', [r.out, r.k, r.expand ?? 'None', r.se, 'SI', r.stride, ...(r.pw ? [] : [false])]];
    case 'SPPF':
      return [r.from, 1, 'SPPF', [r.out, r.k]];
    case 'Upsample':
      return [r.from, 1, 'nn.Upsample', ['None', r.scale, 'nearest']];
    case 'Concat':
      return [r.from, 1, 'Concat', [1]];
    case 'Detect':
      return [r.from, 1, 'Detect', ['nc']];
  }
}

/**
 * The official-format layer table (`model.yaml`) of one of our scales, so checkpoints that leyolo
 * writes carry their architecture exactly like official ones (and load through the same check).
 *
 * @example
 * checkTableAgainstYaml(resolveModel({ scale: 'small', nc: 3 }), yamlOfScale('small', 3)); // passes
 */
export function yamlOfScale(scale: ScaleName, nc: number): Record<string, unknown> {
  const t = MODEL_TABLES[scale];
  const rows = t.layers.map(rowToYaml);
  return {
    nc, scales: { n: [t.scale.depth, t.scale.width, t.scale.maxChannels] }, scale: '', yaml_file: `leyolo${scale}.yaml`, ch: 3,
    backbone: rows.slice(0, t.backboneLength), head: rows.slice(t.backboneLength),
  };
}
