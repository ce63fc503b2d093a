/**
 * Writes a Checkpoint as an official-layout Ultralytics `.pt`: a torch.save zip (`<name>/data.pkl`,
 * `<name>/data/<key>` storages 64-byte aligned, `<name>/byteorder`, `<name>/version`) whose
 * protocol-2 pickle holds the stripped-checkpoint dict that Ultralytics' `strip_optimizer` leaves
 * (epoch -1, fp16 `model`, `ema`/`optimizer`/`updates`/`best_fitness` None, `train_args`,
 * `train_metrics`, `train_results`, `date`, `version`), with the pickled `DetectionModel` and its
 * module tree (pt-modules.ts). Only globals that the official checkpoints use are written, so the
 * official code (`YOLO('x.pt')`) and our reader both load it. Browser-safe.
 */
import { LeyoloError, guardSync } from '../errors.js';
import { toF16 } from '../export/f16.js';
import { modelOfCheckpoint } from '../model/from-checkpoint.js';
import type { ResolvedModel } from '../model/resolve.js';
import type { ScaleName } from '../model/table.js';
import { yamlOfScale } from '../model/yaml.js';
import { PickleGlobal } from './pickle-values.js';
import { pickleDump, PyFloat, PyObject, PyTuple, type PyValue } from './pickle-writer.js';
import type { Checkpoint } from './pt.js';
import { layersModule, module, saveList, tensorRecord, TorchStorage, type TensorSource } from './pt-modules.js';
import { storedZip } from './zip-writer.js';

/** Options of {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /** Folder inside the zip (torch.save uses the file's stem; default 'archive'). */
  name?: string;
  /** Architecture when it cannot be told from the checkpoint (Large = Medium's table). */
  scale?: ScaleName;
  /** `date` (default: the checkpoint's own, else now, as Python's isoformat()). */
  date?: string;
  /** Ultralytics `version` (default: the checkpoint's own when it is one, else '8.1.4', the official fork's). */
  version?: string;
  /** `epoch` (default -1: a finished, stripped checkpoint). */
  epoch?: number;
  /** `train_metrics` (default {}), e.g. { 'metrics/mAP50-95(B)': 0.34, fitness: 0.35 }. */
  trainMetrics?: Record<string, number>;
  /** `train_results`: per-epoch columns of results.csv (default {}). */
  trainResults?: Record<string, number[]>;
  /** `train_args` (default: the checkpoint's own, else task/mode/model/imgsz/single_cls), e.g. { data: 'coco8.yaml', epochs: 100 }. */
  trainArgs?: Record<string, unknown>;
}

/** Ultralytics version of the official LeYOLO fork, written when the checkpoint names none. */
export const ULTRALYTICS_VERSION = '8.1.4';

/**
 * The Ultralytics version a checkpoint names, or {@link ULTRALYTICS_VERSION} when it names none (our
 * trainer writes 'leyolo').
 *
 * @example
 * ultralyticsVersion(ck); // '8.1.4'
 */
export function ultralyticsVersion(ck: Checkpoint): string {
  const v = ck.meta.version;
  return v !== undefined && /^\d+\.\d+\.\d+/.test(v) ? v : ULTRALYTICS_VERSION;
}

/** Python's `datetime.now().isoformat()`: local time, microseconds, no zone. @example isoNow(); // '2024-04-20T20:47:35.422000' */
export function isoNow(d = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** JSON -> pickle values: objects become dicts, arrays lists. */
function fromJson(v: unknown): PyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === 'object') return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJson(x)]));
  throw new LeyoloError('BAD_CHECKPOINT', `cannot write a ${typeof v} into a checkpoint`, 'the checkpoint metadata holds non-JSON values');
}

/** The model's yaml; `scales` keeps Python's float multiples ([1.0, 1.33, 576]) as the official file. */
function yamlValue(ck: Checkpoint, m: ResolvedModel): PyValue {
  const yaml = Object.keys(ck.yaml).length > 0 ? { ...ck.yaml, nc: ck.nc } : yamlOfScale(m.scale, ck.nc);
  const out = fromJson(yaml) as Map<PyValue, PyValue>;
  const scales = out.get('scales') as Map<PyValue, PyValue> | undefined;
  if (scales instanceof Map) {
    for (const [k, v] of scales) if (Array.isArray(v) && v.length === 3) scales.set(k, [new PyFloat(Number(v[0])), new PyFloat(Number(v[1])), v[2]]);
  }
  return out;
}

/** Storages of one checkpoint: fp16 copies of the state dict, and small literal tensors. */
function tensorSource(ck: Checkpoint): TensorSource {
  const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return {
    half: (name) => {
      const t = ck.stateDict.get(name);
      if (!t) throw new LeyoloError('MODEL_MISMATCH', `weights lack '${name}'`, 'the weights do not belong to this model');
      const bits = toF16(t.data);
      for (let i = 0; i < bits.length; i++) {
        // fp16 overflow: Ultralytics' .half() would silently store inf; refuse instead.
        if ((bits[i] & 0x7c00) === 0x7c00) throw new LeyoloError('BAD_CHECKPOINT', `'${name}' holds ${t.data[i]}, beyond float16's range (65504)`, 'the model has diverged; train it again or keep it as .safetensors (float32)');
      }
      return [new TorchStorage('HalfStorage', bytesOf(bits), bits.length), t.shape];
    },
    float: (v) => new TorchStorage('FloatStorage', bytesOf(Float32Array.from(v)), v.length),
    halfValues: (v) => {
      const bits = toF16(Float32Array.from(v));
      return new TorchStorage('HalfStorage', bytesOf(bits), bits.length);
    },
    long: (v) => new TorchStorage('LongStorage', bytesOf(BigInt64Array.from(v, (x) => BigInt(x))), v.length),
    bn: (prefix) => ck.bn.get(prefix) ?? { eps: 1e-3, momentum: 0.03 },
  };
}

/** train_args: given, the checkpoint's own, else what a leyolo-made model can honestly say. */
function trainArgs(ck: Checkpoint, m: ResolvedModel, o: WriteCheckpointOptions): Record<string, unknown> {
  return o.trainArgs ?? ck.meta.trainArgs ?? { task: 'detect', mode: 'train', model: `leyolo${m.scale}.yaml`, imgsz: m.imgsz, single_cls: false };
}

/** The pickled `DetectionModel` (as after training: parse_model's attributes, then the trainer's nc and args). */
function detectionModel(ck: Checkpoint, m: ResolvedModel, src: TensorSource, args: Record<string, unknown>): PyObject {
  const names = new Map<PyValue, PyValue>(Array.from({ length: ck.nc }, (_, i) => [i, ck.names[i] ?? String(i)]));
  return module('ultralytics.nn.tasks.DetectionModel', {
    children: [['model', layersModule(m, src)]],
    attrs: [
      ['yaml', yamlValue(ck, m)],
      ['save', saveList(m)],
      ['names', names],
      ['inplace', true],
      ['stride', tensorRecord(src.float(m.strides), [m.strides.length])],
      ['nc', ck.nc],
      ['args', new PyObject('ultralytics.utils.IterableSimpleNamespace', [], { newobj: false, state: fromJson(args) })],
    ],
  });
}

/** The stripped-checkpoint dict, in the official key order. */
function rootDict(ck: Checkpoint, m: ResolvedModel, src: TensorSource, o: WriteCheckpointOptions): Map<PyValue, PyValue> {
  const args = trainArgs(ck, m, o);
  return new Map<PyValue, PyValue>([
    ['epoch', o.epoch ?? -1],
    ['best_fitness', null],
    ['model', detectionModel(ck, m, src, args)],
    ['ema', null],
    ['updates', null],
    ['optimizer', null],
    ['train_args', fromJson(args)],
    ['train_metrics', fromJson(o.trainMetrics ?? {})],
    ['train_results', fromJson(o.trainResults ?? {})],
    ['date', o.date ?? ck.meta.date ?? isoNow()],
    ['version', o.version ?? ultralyticsVersion(ck)],
  ]);
}

/** A plain file stem (torch.save names the zip folder after the file); not `.` or `..`. */
const ZIP_NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,100}$/;

/**
 * A Checkpoint as `.pt` bytes in the official layout (see the module comment). Weights are stored as
 * float16, like the official files: a checkpoint read from an official `.pt` is written back bit for
 * bit. The architecture is checked first (MODEL_MISMATCH); a weight beyond float16's range is
 * BAD_CHECKPOINT. Throws only LeyoloErrors.
 *
 * @example
 * const ck = readWeights(readFileSync('LeYOLONano.safetensors'));
 * writeFileSync('LeYOLONano.pt', writeCheckpoint(ck, { name: 'LeYOLONano' }));
 */
export function writeCheckpoint(ck: Checkpoint, opts: WriteCheckpointOptions = {}): Uint8Array {
  return guardSync('writing the .pt checkpoint', () => {
    const name = opts.name ?? 'archive';
    if (!ZIP_NAME.test(name)) throw new LeyoloError('BAD_ARGUMENT', `checkpoint folder name '${name.slice(0, 40)}' is not a plain file stem`, 'use letters, digits, _ . - only');
    const m = modelOfCheckpoint(ck, opts.scale);
    const src = tensorSource(ck);
    const entries: [string, Uint8Array][] = [];
    const keys = new Map<TorchStorage, string>();
    // torch.save's persistent_id: storages get keys '0', '1', ... in the order the pickler meets them.
    const persistentId = (v: object): PyValue | undefined => {
      if (!(v instanceof TorchStorage)) return undefined;
      let key = keys.get(v);
      if (key === undefined) {
        keys.set(v, (key = String(keys.size)));
        entries.push([`${name}/data/${key}`, v.bytes]);
      }
      return new PyTuple(['storage', new PickleGlobal('torch', v.type), key, 'cpu', v.numel]);
    };
    const pkl = pickleDump(rootDict(ck, m, src, opts), { persistentId });
    const enc = new TextEncoder();
    return storedZip([
      [`${name}/data.pkl`, pkl],
      [`${name}/byteorder`, enc.encode('little')],
      ...entries,
      [`${name}/version`, enc.encode('3\n')],
    ], { align: 64 });
  });
}
