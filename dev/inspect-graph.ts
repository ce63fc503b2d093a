/**
 * Compare node structure of the official Nano ONNX export and our graph, before and after ORT's
 * 'all' optimizations (NCHWc layout, SiLU -> QuickGelu fusion, residual Add fused into Conv).
 *
 *   node --import tsx dev/inspect-graph.ts [size=320]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { readCheckpoint } from '../src/weights/pt.js';
import { resolveModel } from '../src/model/resolve.js';
import { buildInferenceGraph } from '../src/onnx/inference.js';

const shared = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared');
const size = Number(process.argv[2] ?? 320);
const dir = mkdtempSync(join(tmpdir(), 'leyolo-inspect-'));
const ck = readCheckpoint(readFileSync(resolve(shared, 'weights/LeYOLONano.pt')));
const ours = join(dir, 'ours.onnx');
writeFileSync(ours, buildInferenceGraph(resolveModel({ scale: 'nano', nc: ck.nc }), ck.stateDict, ck.bn, { height: size, width: size, decode: true, heads: false }));

function opCounts(path: string): Record<string, number> {
  const g = onnxProto.onnx.ModelProto.decode(readFileSync(path)).graph;
  const counts: Record<string, number> = {};
  for (const n of g?.node ?? []) {
    const k = (n.domain ? `${n.domain}:` : '') + (n.opType ?? '?');
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

for (const [name, path] of [['official', resolve(shared, `reference/onnx/leyolonano_${size}.onnx`)], ['ours', ours]] as const) {
  const optimized = join(dir, `${name}.opt.onnx`);
  const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: 2, optimizedModelFilePath: optimized, logSeverityLevel: 3 };
  await ort.InferenceSession.create(path, opts);
  console.log(name, 'as written:', opCounts(path));
  console.log(name, 'after ORT :', opCounts(optimized));
}
