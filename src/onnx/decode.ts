/**
 * In-graph decoding of the three raw head tensors into [B, 4 + nc, N]: DFL softmax-expectation,
 * dist2bbox (xywh) times stride, sigmoid class scores. N is level-major, then row-major (y, x),
 * anchors at (x + 0.5, y + 0.5). Anchors/strides are constants for fixed H, W; otherwise they are
 * computed from the runtime shapes.
 */
import { attr } from './ir.js';
import type { Graph } from './ir.js';

export interface LevelShape {
  /** Box-branch tensor name [B, 4 * regMax, h, w]. */
  box: string;
  /** Class-branch tensor name [B, nc, h, w]. */
  cls: string;
  stride: number;
  /** Fixed grid size, or null when the input H/W is dynamic. */
  h: number | null;
  w: number | null;
}

/** Constant [1, 2, n] anchor points and [1, 1, n] strides for fixed grids. */
function constAnchors(g: Graph, levels: LevelShape[]): { anchors: string; strides: string } {
  const xy: number[][] = [[], []];
  const st: number[] = [];
  for (const l of levels) {
    const h = l.h ?? 0;
    const w = l.w ?? 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { xy[0].push(x + 0.5); xy[1].push(y + 0.5); st.push(l.stride); }
  }
  const n = st.length;
  return { anchors: g.constF('decode.anchors', [1, 2, n], [...xy[0], ...xy[1]]), strides: g.constF('decode.strides', [1, 1, n], st) };
}

/** Anchors [1, 2, h*w] and strides [1, 1, h*w] of one level from its runtime shape. */
function dynamicLevel(g: Graph, l: LevelShape, i: number): { anchors: string; strides: string } {
  const p = `decode.l${i}`;
  const shape = g.op('Shape', [l.box], {}, `${p}.shape`);
  const hw = g.op('Slice', [shape, g.constI64(`${p}.s0`, [1], [2]), g.constI64(`${p}.s1`, [1], [4])], {}, `${p}.hw`);
  const hwf = g.op('Cast', [hw], { to: attr.int(1) }, `${p}.hwf`);
  const half = g.constF(`${p}.half`, [], [0.5]);
  const one = g.constF(`${p}.one`, [], [1]);
  const end = g.op('Add', [hwf, half], {}, `${p}.end`);
  const [hEnd, wEnd] = g.node('Split', [end], { axis: attr.int(0) }, { name: `${p}.split`, outputs: 2 });
  const sq = g.constI64(`${p}.ax0`, [1], [0]);
  const ys = g.op('Range', [half, g.op('Squeeze', [hEnd, sq], {}, `${p}.he`), one], {}, `${p}.ys`);
  const xs = g.op('Range', [half, g.op('Squeeze', [wEnd, sq], {}, `${p}.we`), one], {}, `${p}.xs`);
  const gx = g.op('Expand', [g.op('Unsqueeze', [xs, sq], {}, `${p}.xs2`), hw], {}, `${p}.gx`);
  const gy = g.op('Expand', [g.op('Unsqueeze', [ys, g.constI64(`${p}.ax1`, [1], [1])], {}, `${p}.ys2`), hw], {}, `${p}.gy`);
  const flat = g.constI64(`${p}.flat`, [3], [1, 1, -1]);
  const ax = g.op('Reshape', [gx, flat], {}, `${p}.ax`);
  const ay = g.op('Reshape', [gy, flat], {}, `${p}.ay`);
  const anchors = g.op('Concat', [ax, ay], { axis: attr.int(1) }, `${p}.anchors`);
  const strides = g.op('Mul', [ay, g.constF(`${p}.zero`, [], [0])], {}, `${p}.z`);
  return { anchors, strides: g.op('Add', [strides, g.constF(`${p}.stride`, [], [l.stride])], {}, `${p}.strides`) };
}

/**
 * Append the decode subgraph; returns the name of the [B, 4 + nc, N] output.
 *
 * @example
 * const out = appendDecode(g, levels, 80, 16); // bins default to 0..15
 */
export function appendDecode(g: Graph, levels: LevelShape[], nc: number, regMax: number, bins?: ArrayLike<number>): string {
  // Flatten each level's branches to [B, C, h*w] and join levels along N (no per-level concat/split copy).
  const join = (key: 'box' | 'cls', c: number): string => {
    const flat = g.constI64(`decode.${key}.flat`, [3], [0, c, -1]);
    const parts = levels.map((l, i) => g.op('Reshape', [l[key], flat], {}, `decode.${key}.flat${i}`));
    return g.op('Concat', parts, { axis: attr.int(2) }, `decode.${key}.cat`);
  };
  const box = join('box', 4 * regMax); // [B, 64, N]
  const cls = join('cls', nc); // [B, nc, N]
  // DFL: [B, 64, N] -> [B, 4, 16, N] -> softmax over bins -> expectation sum_k k * p_k -> [B, 4, N].
  const b4 = g.op('Reshape', [box, g.constI64('decode.dflshape', [4], [0, 4, regMax, -1])], {}, 'decode.dfl.reshape');
  const sm = g.op('Softmax', [b4], { axis: attr.int(2) }, 'decode.dfl.softmax');
  const binVals = bins ?? Array.from({ length: regMax }, (_, k) => k);
  const binT = g.constF('decode.dfl.bins', [1, 1, regMax, 1], binVals);
  const weighted = g.op('Mul', [sm, binT], {}, 'decode.dfl.mul');
  const dist = g.op('ReduceSum', [weighted, g.constI64('decode.dfl.axis', [1], [2])], { keepdims: attr.int(0) }, 'decode.dfl.sum');
  const fixed = levels.every((l) => l.h !== null && l.w !== null);
  let anchors: string;
  let strides: string;
  if (fixed) ({ anchors, strides } = constAnchors(g, levels));
  else {
    const per = levels.map((l, i) => dynamicLevel(g, l, i));
    anchors = g.op('Concat', per.map((p) => p.anchors), { axis: attr.int(2) }, 'decode.anchors');
    strides = g.op('Concat', per.map((p) => p.strides), { axis: attr.int(2) }, 'decode.strides');
  }
  // dist2bbox xywh: lt, rb = dist[:, :2], dist[:, 2:]; centre = a + (rb - lt) / 2; wh = lt + rb.
  const [lt, rb] = g.node('Split', [dist, g.constI64('decode.lr', [2], [2, 2])], { axis: attr.int(1) }, { name: 'decode.ltrb', outputs: 2 });
  const half = g.op('Mul', [g.op('Sub', [rb, lt], {}, 'decode.rbmlt'), g.constF('decode.half', [], [0.5])], {}, 'decode.halfdiff');
  const c = g.op('Add', [anchors, half], {}, 'decode.centre');
  const wh = g.op('Add', [lt, rb], {}, 'decode.wh');
  const xywh = g.op('Concat', [c, wh], { axis: attr.int(1) }, 'decode.xywh');
  const scaled = g.op('Mul', [xywh, strides], {}, 'decode.scaled');
  const scores = g.op('Sigmoid', [cls], {}, 'decode.scores');
  return g.op('Concat', [scaled, scores], { axis: attr.int(1) }, 'decoded');
}
