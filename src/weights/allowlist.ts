/**
 * Globals a checkpoint pickle may name. The pickle VM never calls anything, so the list is
 * defence in depth: a pickle that names anything else (os.system, builtins.eval, ...) is
 * refused outright instead of being turned into an inert record. The entries are exactly the
 * globals found in the official LeYOLO checkpoints (see the report in src/weights) plus their
 * obvious neighbours (other storage dtypes, sets, numpy scalars in older Ultralytics files).
 */
const EXACT = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
  'torch.device',
  'torch.float16',
  'torch.float32',
  'torch.float64',
  'torch.bfloat16',
  'torch.int64',
  'torch.int32',
  'torch.uint8',
  'torch.bool',
  'builtins.set',
  'builtins.frozenset',
  '__builtin__.set',
  '__builtin__.frozenset',
  // dill pickles builtin types by name (seen once, _load_type('set')); kept as an inert record.
  'dill._dill._load_type',
  // Python 2-compatible protocol 2 encoding of `bytes` objects.
  '_codecs.encode',
  'numpy.core.multiarray.scalar',
  'numpy.core.multiarray._reconstruct',
  'numpy.ndarray',
  'numpy.dtype',
]);

const STORAGE = /^(Half|Float|Double|BFloat16|Long|Int|Short|Char|Byte|Bool|Untyped)Storage$/;

/**
 * True when `module.name` may appear in a checkpoint pickle.
 *
 * @example
 * isAllowedGlobal('torch', 'HalfStorage'); // true
 * isAllowedGlobal('os', 'system');         // false
 */
export function isAllowedGlobal(module: string, name: string): boolean {
  if (EXACT.has(`${module}.${name}`)) return true;
  if (module === 'torch' && STORAGE.test(name)) return true;
  // Module classes are rebuilt as records only; their names must be plain identifiers.
  if (!/^[A-Za-z_]\w*$/.test(name) || !/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(module)) return false;
  return module.startsWith('torch.nn.modules.') || module === 'ultralytics' || module.startsWith('ultralytics.');
}
