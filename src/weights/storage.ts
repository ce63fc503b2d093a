/**
 * Turns PyTorch tensor records (`_rebuild_tensor_v2(storage, offset, size, stride, ...)` from the
 * inert pickle) into dense float32 arrays, reading storage bytes straight from the zip.
 * Storage offsets and strides are honoured (Detect's `anchors` is stored transposed).
 */
import { LeyoloError } from '../errors.js';
import { boundedNumel, LIMITS, overLimit } from './limits.js';
import { PickleGlobal, PickleObject, type PickleValue } from './pickle.js';

/** Element type of a torch storage class. */
export type StorageDtype = 'f16' | 'bf16' | 'f32' | 'f64' | 'i64' | 'i32' | 'i16' | 'i8' | 'u8' | 'bool';

const STORAGE_DTYPES: Record<string, [StorageDtype, number]> = {
  HalfStorage: ['f16', 2],
  BFloat16Storage: ['bf16', 2],
  FloatStorage: ['f32', 4],
  DoubleStorage: ['f64', 8],
  LongStorage: ['i64', 8],
  IntStorage: ['i32', 4],
  ShortStorage: ['i16', 2],
  CharStorage: ['i8', 1],
  ByteStorage: ['u8', 1],
  BoolStorage: ['bool', 1],
};

/** A tensor as described by the pickle, before its data is read. */
export interface TensorRef {
  dtype: StorageDtype;
  /** Zip entry key of the storage (`<prefix>data/<key>`). */
  key: string;
  offset: number;
  shape: number[];
  strides: number[];
}

function bad(message: string): LeyoloError {
  return new LeyoloError('BAD_CHECKPOINT', message, 'the checkpoint is corrupt or was not written by torch.save; download it again');
}

let halfTable: Float32Array | undefined;
/**
 * Exact IEEE half -> float32 for all 65536 bit patterns (256 KiB, built once).
 *
 * @example
 * halfToFloatTable()[0x3c00]; // 1
 */
export function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  const bits = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    let mant = h & 0x3ff;
    if (exp === 0x1f) bits[h] = sign | 0x7f800000 | (mant << 13); // inf / nan
    else if (exp !== 0) bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
    else if (mant === 0) bits[h] = sign; // signed zero
    else {
      // Subnormal half: normalise the mantissa into a float32 normal number.
      let e = 113;
      while ((mant & 0x400) === 0) (mant <<= 1), e--;
      bits[h] = sign | (e << 23) | ((mant & 0x3ff) << 13);
    }
  }
  return (halfTable = t);
}

/** A non-negative integer that a float64 holds exactly (NaN, 1.5, -1, 2^60 and bigints are not). */
const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function ints(v: PickleValue, what: string): number[] {
  if (!Array.isArray(v)) throw bad(`tensor ${what} is not a tuple of integers`);
  if (v.length > LIMITS.rank) throw overLimit(`tensor ${what} has ${v.length} dimensions, over the limit of ${LIMITS.rank}`);
  if (!v.every(isIndex)) throw bad(`tensor ${what} is not a tuple of non-negative integers`);
  return v as number[];
}

/**
 * Parses a tensor or parameter record; returns null for values that are not tensors. Offsets,
 * sizes and strides must be non-negative safe integers (BAD_CHECKPOINT otherwise); their consistency
 * with the storage is checked by {@link readTensor} before anything is allocated.
 *
 * @example
 * tensorRef(params.get('weight')); // { dtype: 'f16', key: '0', offset: 0, shape: [16, 3, 3, 3], strides: [27, 9, 3, 1] }
 */
export function tensorRef(v: PickleValue): TensorRef | null {
  if (!(v instanceof PickleObject)) return null;
  // A parameter wraps exactly one tensor record (no recursion: a chain of wrappers is refused).
  if (v.$class.startsWith('torch._utils._rebuild_parameter')) {
    const inner = v.args[0];
    if (!(inner instanceof PickleObject) || inner.$class !== 'torch._utils._rebuild_tensor_v2') throw bad('parameter record does not wrap a tensor');
    return tensorRef(inner);
  }
  if (v.$class !== 'torch._utils._rebuild_tensor_v2') return null;
  const [pidRec, offset, size, stride] = v.args;
  const pid = pidRec instanceof PickleObject && pidRec.$class === '$persistent_id' ? pidRec.args[0] : null;
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof PickleGlobal) || typeof pid[2] !== 'string') {
    throw bad('tensor record without a storage persistent id');
  }
  const info = STORAGE_DTYPES[pid[1].name];
  if (!info) throw bad(`unsupported storage type torch.${pid[1].name}`);
  if (!isIndex(offset)) throw bad(`tensor storage offset ${String(offset)} is not a non-negative integer`);
  const shape = ints(size, 'size');
  const strides = ints(stride, 'stride');
  if (shape.length !== strides.length) throw bad('tensor size and stride differ in rank');
  return { dtype: info[0], key: pid[2], offset, shape, strides };
}

/** True for dtypes that end up in a float state dict. @example isFloatDtype('f16'); // true */
export function isFloatDtype(d: StorageDtype): boolean {
  return d === 'f16' || d === 'bf16' || d === 'f32' || d === 'f64';
}

/** Bytes per element of a storage dtype. @example itemSize('i64'); // 8 */
export function itemSize(d: StorageDtype): number {
  for (const [dt, size] of Object.values(STORAGE_DTYPES)) if (dt === d) return size;
  return 1;
}

/** Element reader over a storage's bytes: element index -> number. */
function reader(bytes: Uint8Array, dtype: StorageDtype, little: boolean): (i: number) => number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'f16': {
      const t = halfToFloatTable();
      return little ? (i) => t[bytes[2 * i] | (bytes[2 * i + 1] << 8)] : (i) => t[(bytes[2 * i] << 8) | bytes[2 * i + 1]];
    }
    case 'bf16': {
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      return (i) => ((u[0] = v.getUint16(2 * i, little) << 16), f[0]);
    }
    case 'f32': return (i) => v.getFloat32(4 * i, little);
    case 'f64': return (i) => v.getFloat64(8 * i, little);
    case 'i64': return (i) => Number(v.getBigInt64(8 * i, little));
    case 'i32': return (i) => v.getInt32(4 * i, little);
    case 'i16': return (i) => v.getInt16(2 * i, little);
    case 'i8': return (i) => v.getInt8(i);
    default: return (i) => bytes[i];
  }
}

/**
 * Element count of `ref` after checking it against its storage of `storageBytes` bytes: at most
 * {@link LIMITS}.tensorElements elements, every element inside the storage, and no more elements than
 * the storage holds (an expanded, stride-0 view of a few bytes must not become a huge array).
 * The extent sum stops growing once it passes the storage, so huge strides cannot overflow it.
 *
 * @example
 * checkedNumel({ dtype: 'f16', key: '0', offset: 0, shape: [16, 3, 3, 3], strides: [27, 9, 3, 1] }, 864); // 432
 */
export function checkedNumel(ref: TensorRef, storageBytes: number): number {
  const n = boundedNumel(ref.shape, LIMITS.tensorElements, `tensor of storage ${ref.key}`);
  if (n === 0) return 0;
  const elems = Math.floor(storageBytes / itemSize(ref.dtype));
  if (n > elems) throw bad(`tensor of shape [${ref.shape.join(', ')}] has more elements than its storage ${ref.key} (${elems})`);
  // Last element = offset + sum((size - 1) * stride): each term is checked before it is added.
  let last = ref.offset;
  for (let d = 0; d < ref.shape.length && last < elems; d++) {
    if (ref.shape[d] > 1) last += ref.strides[d] >= elems ? elems : (ref.shape[d] - 1) * ref.strides[d];
  }
  if (last >= elems) throw bad(`tensor data (offset ${ref.offset}, shape [${ref.shape.join(', ')}], strides [${ref.strides.join(', ')}]) out of range of storage ${ref.key} (${elems} elements)`);
  return n;
}

/**
 * Dense row-major float32 copy of the tensor `ref` whose storage bytes are `storage`.
 * `little` is the checkpoint's byte order (the zip's `byteorder` entry, default little).
 * The view is validated by {@link checkedNumel} before the output is allocated.
 *
 * @example
 * const w = readTensor(ref, zip.read(`archive/data/${ref.key}`)); // Float32Array of numel(ref.shape)
 */
export function readTensor(ref: TensorRef, storage: Uint8Array, little = true): Float32Array {
  const n = checkedNumel(ref, storage.length);
  const out = new Float32Array(n);
  if (n === 0) return out;
  if (ref.dtype === 'f16' && little && isContiguous(ref)) return halfRun(storage, ref.offset, out);
  const get = reader(storage, ref.dtype, little);
  if (isContiguous(ref)) {
    for (let i = 0; i < n; i++) out[i] = get(ref.offset + i);
    return out;
  }
  // General strided gather with an odometer over the dimensions.
  const rank = ref.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = ref.offset;
  for (let i = 0; i < n; i++) {
    out[i] = get(src);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < ref.shape[d]) {
        src += ref.strides[d];
        break;
      }
      src -= (idx[d] - 1) * ref.strides[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Fast path for the common case (contiguous little-endian fp16): one table lookup per element. */
function halfRun(storage: Uint8Array, offset: number, out: Float32Array): Float32Array {
  const t = halfToFloatTable();
  const n = out.length;
  if ((storage.byteOffset & 1) === 0) {
    const h = new Uint16Array(storage.buffer, storage.byteOffset + 2 * offset, n);
    for (let i = 0; i < n; i++) out[i] = t[h[i]];
  } else {
    for (let i = 0, b = 2 * offset; i < n; i++, b += 2) out[i] = t[storage[b] | (storage[b + 1] << 8)];
  }
  return out;
}

function isContiguous(ref: TensorRef): boolean {
  let expect = 1;
  for (let d = ref.shape.length - 1; d >= 0; d--) {
    if (ref.shape[d] !== 1 && ref.strides[d] !== expect) return false;
    expect *= ref.shape[d];
  }
  return true;
}
