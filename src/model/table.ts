/**
 * The ONE typed definition of the LeYOLO architectures (Nano, Small, Medium, Large).
 *
 * Each table mirrors the official `leyolo*.yaml` row by row, but with named fields instead of
 * positional `args`. Channel counts here are the UNSCALED yaml values; `resolve.ts` applies the
 * official parser's width scaling (make_divisible to 8, max_channels cap) to get real channels.
 */

/** Conv (bias) -> BatchNorm -> SiLU, the official `mn_conv` (padding 0 when k == s, else k // 2). */
export interface MnConvRow {
  kind: 'mn_conv';
  from: number;
  out: number;
  k: number;
  s: number;
}

/**
 * Inverted bottleneck, the official `MobileNetV3_BLOCK`: [1x1 expand mn_conv if `pw`] -> depthwise
 * kxk mn_conv (stride) -> 1x1 projection conv WITH bias -> BatchNorm (no activation);
 * residual iff c_in == c_out and stride == 1. `expand: null` means "the input channel count".
 * `se` is kept only because checkpoints store it: the official block ignores it.
 */
export interface BlockRow {
  kind: 'MobileNetV3_BLOCK';
  from: number;
  out: number;
  k: number;
  expand: number | null;
  se: boolean;
  stride: number;
  pw: boolean;
}

/** SPPF: Conv 1x1 to c_in/2, three chained kxk max-pools (stride 1), concat (4 parts), Conv 1x1. */
export interface SppfRow {
  kind: 'SPPF';
  from: number;
  out: number;
  k: number;
}

/** Nearest-neighbour upsample by `scale`. */
export interface UpsampleRow {
  kind: 'Upsample';
  from: number;
  scale: number;
}

/** Channel concat of several earlier layers (-1 = previous layer). */
export interface ConcatRow {
  kind: 'Concat';
  from: number[];
}

/** DNiN detect head over P3, P4, P5 (layer indices in `from`). */
export interface DetectRow {
  kind: 'Detect';
  from: number[];
}

export type LayerRow = MnConvRow | BlockRow | SppfRow | UpsampleRow | ConcatRow | DetectRow;
export type LayerKind = LayerRow['kind'];

/** Official scale parameters of one yaml: `scales: { n: [depth, width, max_channels] }`. */
export interface ScaleParams {
  depth: number;
  width: number;
  maxChannels: number;
}

export type ScaleName = 'nano' | 'small' | 'medium' | 'large';

/** One architecture: its scale parameters, default class count and layer rows (backbone + head). */
export interface ModelTable {
  name: ScaleName;
  scale: ScaleParams;
  nc: number;
  /** Number of backbone rows (the rest is the yaml's `head:` list). */
  backboneLength: number;
  /** Default (paper) input size, used by `leyolo info` when none is given. */
  imgsz: number;
  layers: LayerRow[];
}

// Short row constructors: they only fill named fields, so the tables below read like the yaml.
const conv = (out: number, k: number, s: number): MnConvRow => ({ kind: 'mn_conv', from: -1, out, k, s });
const block = (out: number, k: number, expand: number | null, se: boolean, stride: number, pw = true): BlockRow => ({
  kind: 'MobileNetV3_BLOCK', from: -1, out, k, expand, se, stride, pw,
});
const sppf = (out: number, k: number): SppfRow => ({ kind: 'SPPF', from: -1, out, k });
const up = (): UpsampleRow => ({ kind: 'Upsample', from: -1, scale: 2 });
const cat = (...from: number[]): ConcatRow => ({ kind: 'Concat', from });
const detect = (...from: number[]): DetectRow => ({ kind: 'Detect', from });

/** Nano/Small backbone (identical rows; Small differs only by width 1.33). */
function smallBackbone(): LayerRow[] {
  return [
    conv(16, 3, 2), conv(16, 1, 1),
    block(16, 3, 16, false, 2, false),
    block(32, 3, 96, false, 2), block(32, 3, 96, false, 1),
    block(64, 5, 96, true, 2), block(64, 5, 192, true, 1), block(64, 5, 192, true, 1),
    block(64, 5, 192, true, 1), block(64, 5, 192, true, 1),
    block(96, 5, 576, true, 2), block(96, 5, 576, true, 1), block(96, 5, 576, true, 1),
    block(96, 5, 576, true, 1),
    sppf(96, 5),
  ];
}

/** Nano/Small head. `p3FirstExpand` is 96 in leyolonano.yaml and null in the Small checkpoint's table. */
function smallHead(p3FirstExpand: number | null): LayerRow[] {
  return [
    up(), cat(-1, 9),
    block(64, 5, 128, true, 1), block(64, 5, 128, true, 1), block(64, 5, 128, true, 1),
    up(), cat(-1, 4),
    block(32, 3, p3FirstExpand, true, 1, false), block(32, 3, 64, true, 1), block(32, 3, 64, true, 1),
    conv(64, 3, 2), cat(-1, 19),
    block(64, 5, 128, true, 1), block(64, 5, 128, true, 1), block(64, 5, 128, true, 1),
    conv(96, 3, 2), cat(-1, 14),
    block(96, 5, 192, true, 1), block(96, 5, 192, true, 1), block(96, 5, 192, true, 1),
    detect(24, 29, 34),
  ];
}

/** Medium/Large: deeper backbone and head; layers 38-41 are computed officially but feed nothing. */
function mediumLayers(): LayerRow[] {
  const b = (n: number, row: () => LayerRow): LayerRow[] => Array.from({ length: n }, row);
  return [
    conv(16, 3, 2), conv(16, 1, 1),
    block(16, 3, 16, false, 2, false),
    block(32, 3, 96, false, 2), ...b(2, () => block(32, 3, 96, false, 1)),
    block(64, 5, 96, true, 2), ...b(5, () => block(64, 5, 192, true, 1)),
    block(96, 5, 576, true, 2), ...b(4, () => block(96, 5, 576, true, 1)),
    sppf(96, 5),
    // head
    up(), cat(-1, 11),
    ...b(4, () => block(64, 5, 128, true, 1)),
    up(), cat(-1, 5),
    block(32, 3, null, true, 1, false), block(32, 3, 64, true, 1), block(32, 3, 64, true, 1),
    block(64, 5, 128, true, 1),
    conv(64, 3, 2), cat(-1, 23),
    ...b(4, () => block(64, 5, 128, true, 1)),
    conv(96, 3, 2), cat(-1, 17),
    ...b(3, () => block(96, 5, 192, true, 1)), block(64, 5, 128, true, 1),
    detect(27, 32, 37),
  ];
}

const NANO_SCALE: ScaleParams = { depth: 1.0, width: 1.0, maxChannels: 576 };
const WIDE_SCALE: ScaleParams = { depth: 1.0, width: 1.33, maxChannels: 576 };

/** The four official architectures at their default nc = 80. */
export const MODEL_TABLES: Readonly<Record<ScaleName, ModelTable>> = {
  nano: { name: 'nano', scale: NANO_SCALE, nc: 80, backboneLength: 15, imgsz: 640, layers: [...smallBackbone(), ...smallHead(96)] },
  small: { name: 'small', scale: WIDE_SCALE, nc: 80, backboneLength: 15, imgsz: 640, layers: [...smallBackbone(), ...smallHead(null)] },
  medium: { name: 'medium', scale: WIDE_SCALE, nc: 80, backboneLength: 18, imgsz: 640, layers: mediumLayers() },
  // Large is the Medium table run at 768 (leyololarge.yaml == leyolomedium.yaml).
  large: { name: 'large', scale: WIDE_SCALE, nc: 80, backboneLength: 18, imgsz: 768, layers: mediumLayers() },
};

/** Names accepted for each scale (CLI and checkpoint detection). */
export const SCALE_NAMES: readonly ScaleName[] = ['nano', 'small', 'medium', 'large'];
