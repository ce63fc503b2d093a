/**
 * Parameter and FLOP accounting per layer, in the paper's convention: thop MACs x 2 on the model
 * after Ultralytics `fuse()`. thop counts a conv as out.numel * (cIn/groups * k * k) MACs (no bias
 * term), an affine BatchNorm as 4 * numel, and nothing for SiLU, max-pool, nearest upsample,
 * concat, residual adds or the functional softmax, but 1 per output element of nearest upsample. `fuse()` folds the BN of Ultralytics `Conv`
 * modules (SPPF, head) only; `mn_conv` and the block-projection BNs stay and are counted.
 */
import { numel } from '../tensor.js';
import type { ConvUnit, ResolvedModel } from './resolve.js';
import type { LayerKind } from './table.js';

export interface LayerInfo {
  index: number;
  from: number[];
  kind: LayerKind;
  params: number;
  gflops: number;
  /** Output shape [B=1, C, H, W]; Detect: [1, 4 + nc, N] (decoded). */
  outShape: number[];
  dead: boolean;
}

export interface ModelInfo {
  params: number;
  gflops: number;
  layers: LayerInfo[];
}

export interface FlopOptions {
  /** Count every BN (the unfused model, thop convention "A"); default false = paper convention. */
  unfused?: boolean;
}

function convOut(h: number, u: ConvUnit): number {
  return Math.floor((h + 2 * u.pad - u.k) / u.s) + 1;
}

/** thop MACs of one conv unit on an [cIn, h, w] input; returns MACs and the output size. */
function convMacs(u: ConvUnit, h: number, w: number, unfused: boolean): { macs: number; h: number; w: number } {
  const ho = convOut(h, u);
  const wo = convOut(w, u);
  const out = u.cOut * ho * wo;
  let macs = out * (u.cIn / u.groups) * u.k * u.k;
  if (u.bn && (unfused || !u.ultraConv)) macs += 4 * out;
  return { macs, h: ho, w: wo };
}

/** MACs of a chain of conv units applied one after another. */
function chainMacs(units: ConvUnit[], h: number, w: number, unfused: boolean): { macs: number; h: number; w: number } {
  let macs = 0;
  let [ch, cw] = [h, w];
  for (const u of units) {
    const r = convMacs(u, ch, cw, unfused);
    macs += r.macs;
    [ch, cw] = [r.h, r.w];
  }
  return { macs, h: ch, w: cw };
}

/**
 * Parameters, GFLOPs and output shapes of every layer at an input size.
 *
 * @example
 * modelInfo(resolveModel({ scale: 'nano' }), 320).gflops; // ~0.660
 */
export function modelInfo(m: ResolvedModel, imgsz: number | [number, number], opts: FlopOptions = {}): ModelInfo {
  const [H, W] = typeof imgsz === 'number' ? [imgsz, imgsz] : imgsz;
  const unfused = opts.unfused ?? false;
  const hw: [number, number][] = [];
  const layers: LayerInfo[] = [];
  for (const l of m.layers) {
    const [h, w] = l.from[0] < 0 ? [H, W] : hw[l.from[0]];
    let macs = 0;
    let out: [number, number] = [h, w];
    if (l.kind === 'Detect') {
      let anchors = 0;
      l.branches?.forEach((b, i) => {
        const [hi, wi] = hw[l.from[i]];
        macs += chainMacs(b.box, hi, wi, unfused).macs + chainMacs(b.cls, hi, wi, unfused).macs;
        anchors += hi * wi;
      });
      macs += m.regMax * 4 * anchors; // DFL: 1x1 conv 16 -> 1 over [4, N]
      out = [4 + m.nc, anchors];
    } else if (l.kind === 'Upsample') {
      out = [h * 2, w * 2];
      macs = l.cOut * out[0] * out[1]; // thop counts nearest upsample as 1 op per output element
    } else if (l.kind === 'SPPF') {
      macs = chainMacs(l.convs, h, w, unfused).macs;
    } else if (l.convs.length > 0) {
      const r = chainMacs(l.convs, h, w, unfused);
      macs = r.macs;
      out = [r.h, r.w];
    }
    hw.push(out);
    const params = l.params.filter((p) => p.kind === 'param').reduce((a, p) => a + numel(p.shape), 0);
    const outShape = l.kind === 'Detect' ? [1, ...out] : [1, l.cOut, ...out];
    layers.push({ index: l.index, from: l.from, kind: l.kind, params, gflops: (2 * macs) / 1e9, outShape, dead: l.dead });
  }
  return {
    params: layers.reduce((a, l) => a + l.params, 0),
    gflops: layers.reduce((a, l) => a + l.gflops, 0),
    layers,
  };
}
