/**
 * The pickled module tree of an Ultralytics `DetectionModel`, built from our resolved layer table
 * (src/model/resolve.ts) for any scale and nc. Every module carries the `__dict__` the official
 * classes have in the official checkpoints (LeYOLONano.pt is the reference: the nn.Module base
 * attributes, then each class's own, then parse_model's i/f/type on top-level layers), so that the
 * official code unpickles a working model. Tensors are records over `TorchStorage`s, which the
 * writer (pt-writer.ts) turns into persistent ids and zip entries.
 */
import type { ConvUnit, ResolvedLayer, ResolvedModel } from '../model/resolve.js';
import type { LayerRow } from '../model/table.js';
import { PyExternal, PyFloat, PyObject, PyOrderedDict, PyTuple, type PyValue } from './pickle-writer.js';

/**
 * One torch storage: its class (`torch.HalfStorage`, ...), raw little-endian bytes and element count.
 *
 * @example
 * new TorchStorage('FloatStorage', new Uint8Array(Float32Array.of(8, 16, 32).buffer), 3);
 */
export class TorchStorage extends PyExternal {
  constructor(
    readonly type: 'HalfStorage' | 'FloatStorage' | 'LongStorage',
    readonly bytes: Uint8Array,
    readonly numel: number,
  ) {
    super();
  }
}

/** Turns a named state-dict tensor (or a literal) into a storage; supplied by the writer. */
export interface TensorSource {
  /** The fp16 storage of state-dict entry `name` and its shape. */
  half(name: string): [TorchStorage, number[]];
  /** A storage of float32 values (the model's `stride`). */
  float(values: readonly number[]): TorchStorage;
  /** A storage of fp16 values (Detect's `stride`). */
  halfValues(values: readonly number[]): TorchStorage;
  /** A storage of int64 values (BatchNorm's `num_batches_tracked`). */
  long(values: readonly number[]): TorchStorage;
  /** eps and momentum of BatchNorm `prefix`. */
  bn(prefix: string): { eps: number; momentum: number };
}

const contiguous = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/**
 * `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`: a contiguous tensor.
 *
 * @example
 * tensorRecord(storage, [3]); // the model's stride tensor
 */
export function tensorRecord(st: TorchStorage, shape: readonly number[]): PyObject {
  return new PyObject('torch._utils._rebuild_tensor_v2', [st, 0, new PyTuple(shape), new PyTuple(contiguous(shape)), false, new PyOrderedDict()]);
}

/** An nn.Parameter as torch pickles it (requires_grad False, as stripped checkpoints have). */
function parameter(st: TorchStorage, shape: readonly number[]): PyObject {
  return new PyObject('torch._utils._rebuild_parameter', [tensorRecord(st, shape), false, new PyOrderedDict()]);
}

const HOOKS = ['_backward_pre_hooks', '_backward_hooks', '_is_full_backward_hook', '_forward_hooks', '_forward_hooks_with_kwargs', '_forward_pre_hooks',
  '_forward_pre_hooks_with_kwargs', '_state_dict_hooks', '_state_dict_pre_hooks', '_load_state_dict_pre_hooks', '_load_state_dict_post_hooks'];

type Entries = [string, PyValue][];

/**
 * An nn.Module instance: the base attributes in the official order (torch 2.0's, as LeYOLONano.pt),
 * then the class's own.
 *
 * @example
 * module('torch.nn.modules.activation.SiLU', { attrs: [['inplace', true]] });
 */
export function module(cls: string, parts: { params?: Entries; buffers?: Entries; children?: Entries; attrs?: Entries }): PyObject {
  const state = new Map<PyValue, PyValue>([
    ['training', false],
    ['_parameters', new PyOrderedDict(parts.params ?? [])],
    ['_buffers', new PyOrderedDict(parts.buffers ?? [])],
    ['_non_persistent_buffers_set', new Set()],
  ]);
  for (const h of HOOKS) state.set(h, h === '_is_full_backward_hook' ? null : new PyOrderedDict());
  state.set('_modules', new PyOrderedDict(parts.children ?? []));
  for (const [k, v] of parts.attrs ?? []) state.set(k, v);
  return new PyObject(cls, [], { newobj: true, state });
}

const pair = (x: number): PyTuple => new PyTuple([x, x]);

/** The module classes the tree uses (all among the official checkpoints' globals). */
const C = {
  conv2d: 'torch.nn.modules.conv.Conv2d',
  bn: 'torch.nn.modules.batchnorm.BatchNorm2d',
  silu: 'torch.nn.modules.activation.SiLU',
  seq: 'torch.nn.modules.container.Sequential',
  list: 'torch.nn.modules.container.ModuleList',
  pool: 'torch.nn.modules.pooling.MaxPool2d',
  up: 'torch.nn.modules.upsampling.Upsample',
  mnConv: 'ultralytics.nn.modules.conv.mn_conv',
  conv: 'ultralytics.nn.modules.conv.Conv',
  concat: 'ultralytics.nn.modules.conv.Concat',
  block: 'ultralytics.nn.modules.block.MobileNetV3_BLOCK',
  sppf: 'ultralytics.nn.modules.block.SPPF',
  dfl: 'ultralytics.nn.modules.block.DFL',
  detect: 'ultralytics.nn.modules.head.Detect',
} as const;

/** Builds the modules of one model; `act` is the SiLU that every Ultralytics Conv shares (`Conv.default_act`). */
class TreeBuilder {
  private readonly act = module(C.silu, { attrs: [['inplace', true]] });
  constructor(private readonly src: TensorSource) {}

  private param(name: string): PyObject {
    return parameter(...this.src.half(name));
  }

  conv2d(u: Pick<ConvUnit, 'weight' | 'bias' | 'cIn' | 'cOut' | 'k' | 's' | 'pad' | 'groups'>): PyObject {
    return module(C.conv2d, {
      params: [['weight', this.param(u.weight)], ['bias', u.bias ? this.param(u.bias) : null]],
      attrs: [
        ['in_channels', u.cIn], ['out_channels', u.cOut], ['kernel_size', pair(u.k)], ['stride', pair(u.s)], ['padding', pair(u.pad)],
        ['dilation', pair(1)], ['transposed', false], ['output_padding', pair(0)], ['groups', u.groups], ['padding_mode', 'zeros'],
        ['_reversed_padding_repeated_twice', new PyTuple([u.pad, u.pad, u.pad, u.pad])],
      ],
    });
  }

  batchNorm(prefix: string, c: number): PyObject {
    const { eps, momentum } = this.src.bn(prefix);
    const buf = (n: string): PyObject => tensorRecord(...this.src.half(`${prefix}.${n}`));
    return module(C.bn, {
      params: [['weight', this.param(`${prefix}.weight`)], ['bias', this.param(`${prefix}.bias`)]],
      buffers: [['running_mean', buf('running_mean')], ['running_var', buf('running_var')], ['num_batches_tracked', tensorRecord(this.src.long([0]), [])]],
      attrs: [['num_features', c], ['eps', eps], ['momentum', momentum], ['affine', true], ['track_running_stats', true]],
    });
  }

  /** `mn_conv`: c (Conv2d with bias), bn, its own SiLU. */
  mnConv(u: ConvUnit, attrs: Entries = []): PyObject {
    const act = module(C.silu, { attrs: [['inplace', true]] });
    return module(C.mnConv, { children: [['c', this.conv2d(u)], ['bn', this.batchNorm(u.bn!, u.cOut)], ['act', act]], attrs });
  }

  /** Ultralytics `Conv`: conv (no bias), bn, the shared SiLU. */
  ultraConv(u: ConvUnit): PyObject {
    return module(C.conv, { children: [['conv', this.conv2d(u)], ['bn', this.batchNorm(u.bn!, u.cOut)], ['act', this.act]] });
  }

  /** `MobileNetV3_BLOCK`: layers = [pw mn_conv], dw mn_conv, 1x1 Conv2d, BatchNorm2d. */
  block(l: ResolvedLayer, attrs: Entries): PyObject {
    const convs = l.convs;
    const proj = convs[convs.length - 1];
    const children: Entries = convs.slice(0, -1).map((u, i) => [String(i), this.mnConv(u)]);
    children.push([String(children.length), this.conv2d(proj)], [String(children.length + 1), this.batchNorm(proj.bn!, proj.cOut)]);
    return module(C.block, { children: [['layers', module(C.seq, { children })]], attrs: [['residual', l.residual], ...attrs] });
  }

  sppf(l: ResolvedLayer, attrs: Entries): PyObject {
    const k = l.kernel ?? 5;
    const pool = module(C.pool, { attrs: [['kernel_size', k], ['stride', 1], ['padding', Math.floor(k / 2)], ['dilation', 1], ['return_indices', false], ['ceil_mode', false]] });
    return module(C.sppf, { children: [['cv1', this.ultraConv(l.convs[0])], ['cv2', this.ultraConv(l.convs[1])], ['m', pool]], attrs });
  }

  detect(m: ResolvedModel, l: ResolvedLayer, attrs: Entries): PyObject {
    const branch = (units: ConvUnit[]): PyObject => module(C.seq, { children: [...units.slice(0, 3).map((u, i): [string, PyValue] => [String(i), this.ultraConv(u)]), ['3', this.conv2d(units[3])]] });
    const list = (pick: 'box' | 'cls'): PyObject => module(C.list, { children: l.branches!.map((b, i): [string, PyValue] => [String(i), branch(b[pick])]) });
    const p = `model.${l.index}`;
    const dflConv = this.conv2d({ weight: `${p}.dfl.conv.weight`, bias: null, cIn: m.regMax, cOut: 1, k: 1, s: 1, pad: 0, groups: 1 });
    const dfl = module(C.dfl, { children: [['conv', dflConv]], attrs: [['c1', m.regMax]] });
    const stride = tensorRecord(this.src.halfValues(m.strides), [m.strides.length]);
    return module(C.detect, {
      children: [['cv2', list('box')], ['cv3', list('cls')], ['dfl', dfl]],
      attrs: [['nc', m.nc], ['nl', m.strides.length], ['reg_max', m.regMax], ['no', m.nc + 4 * m.regMax], ['stride', stride], ...attrs, ['inplace', true]],
    });
  }

  /** Layer `model.<i>` with parse_model's `i`, `f` (the yaml's from) and `type` attributes. */
  layer(m: ResolvedModel, l: ResolvedLayer): PyObject {
    const row: LayerRow = l.row;
    const f: PyValue = Array.isArray(row.from) ? [...row.from] : row.from;
    const tag = (cls: string): Entries => [['i', l.index], ['f', f], ['type', cls]];
    switch (row.kind) {
      case 'mn_conv': return this.mnConv(l.convs[0], tag(C.mnConv));
      case 'MobileNetV3_BLOCK': return this.block(l, tag(C.block));
      case 'SPPF': return this.sppf(l, tag(C.sppf));
      case 'Upsample':
        return module(C.up, { attrs: [['name', 'Upsample'], ['size', null], ['scale_factor', new PyFloat(row.scale)], ['mode', 'nearest'], ['align_corners', null], ['recompute_scale_factor', null], ...tag(C.up)] });
      case 'Concat': return module(C.concat, { attrs: [['d', 1], ...tag(C.concat)] });
      case 'Detect': return this.detect(m, l, tag(C.detect));
    }
  }
}

/**
 * parse_model's save list: every non -1 `from` index (modulo the layer index), sorted, duplicates kept.
 *
 * @example
 * saveList(resolveModel({ scale: 'nano' })); // [4, 9, 14, 19, 24, 29, 34]
 */
export function saveList(m: ResolvedModel): number[] {
  const save: number[] = [];
  for (const l of m.layers) {
    const from = Array.isArray(l.row.from) ? l.row.from : [l.row.from];
    for (const x of from) if (x !== -1) save.push(((x % l.index) + l.index) % l.index);
  }
  return save.sort((a, b) => a - b);
}

/**
 * The `nn.Sequential` of all layers (`DetectionModel.model`), in state-dict order.
 *
 * @example
 * const seq = layersModule(resolveModel({ scale: 'nano' }), source);
 */
export function layersModule(m: ResolvedModel, src: TensorSource): PyObject {
  const b = new TreeBuilder(src);
  return module(C.seq, { children: m.layers.map((l): [string, PyValue] => [String(l.index), b.layer(m, l)]) });
}
