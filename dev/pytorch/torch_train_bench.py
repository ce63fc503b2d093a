"""Same-machine PyTorch CPU training-step time of the LeYOLO architecture (dev only, not shipped).

The network is built with torch.nn from leyolo's resolved layer table (dumped by export-table.ts, as in
torch_bench.py), in train mode (BatchNorm batch statistics), DFL conv frozen. A step = forward to the
raw heads [B, 64 + nc, H/s, W/s], backward of sum(heads * G) for a fixed random upstream gradient G
(what leyolo's backward graph receives from its loss), and an SGD-Nesterov update; 2 threads. The
v8 loss itself is not included: compare with leyolo's forward + backward + optimizer phases.
Usage: python3 torch_train_bench.py nano 320 16 [steps]
"""
import json, sys, time, statistics
import torch
sys.argv, args = sys.argv[:3] + ['1'], sys.argv
exec(open(__file__.replace('torch_train_bench.py', 'torch_bench.py')).read().split('scale, size = sys.argv[1]')[0])

scale, size, batch = args[1], int(args[2]), int(args[3])
steps = int(args[4]) if len(args) > 4 else 6
net = Net(json.load(open(f'/tmp/table-{"medium" if scale == "large" else scale}.json'))).train()

def heads(x):
    outs, t = {}, net.t
    for mod, l in zip(net.layers, t['layers']):
        xs = [x if f == -1 else outs[f] for f in l['from']]
        if l['kind'] == 'Detect':
            return [torch.cat([mod.box[i](v), mod.cls[i](v)], 1) for i, v in enumerate(xs)]
        outs[l['index']] = mod(xs)
        x = outs[l['index']]

for n, p in net.named_parameters():
    p.requires_grad = 'dfl' not in n
opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
g = torch.Generator().manual_seed(0)
x = torch.rand(batch, 3, size, size, generator=g)
G = None
ts, fw = [], []
for i in range(steps + 2):
    t0 = time.perf_counter()
    hs = heads(x)
    t1 = time.perf_counter()
    if G is None: G = [torch.randn(h.shape, generator=g) * 1e-3 for h in hs]
    loss = sum((h * gg).sum() for h, gg in zip(hs, G))
    opt.zero_grad(); loss.backward(); opt.step()
    t2 = time.perf_counter()
    if i >= 2: ts.append((t2 - t0) * 1000); fw.append((t1 - t0) * 1000)
print(json.dumps({'config': f'{scale}_{size}_b{batch}', 'torch': torch.__version__, 'median_step_ms': statistics.median(ts), 'median_forward_ms': statistics.median(fw), 'images_per_s': batch * 1000 / statistics.median(ts), 'steps': steps}))
