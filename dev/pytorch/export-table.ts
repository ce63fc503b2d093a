// Dev: dump resolved layer tables as JSON for the same-machine PyTorch timing script (torch_bench.py).
import { writeFileSync } from 'node:fs';
import { resolveModel } from '../../src/model/resolve.js';
for (const scale of ['nano', 'small', 'medium'] as const) {
  const m = resolveModel({ scale, nc: 80 });
  const layers = m.layers.map((l) => ({ index: l.index, kind: l.kind, from: l.from, convs: l.convs, residual: l.residual, dead: l.dead, kernel: l.kernel, branches: l.branches ?? null }));
  writeFileSync(`/tmp/table-${scale}.json`, JSON.stringify({ scale, strides: m.strides, nc: m.nc, layers }));
}
