"""Same-machine PyTorch CPU latency of the LeYOLO architecture (dev only, not shipped).

Builds the network with plain torch.nn from leyolo's resolved layer table (dumped by export-table.ts):
conv(+bias)+BN+SiLU units, residual blocks, SPPF, nearest upsample, concat, the DNiN head and the DFL
decode, unfused and in eval mode like the official timing (shared/reference/official_pytorch_cpu_latency.json:
model(x) incl. Detect decode, 2 threads). Random weights: latency does not depend on values.
Usage: python3 torch_bench.py nano 320 [runs]
"""
import json, sys, time, statistics
import torch, torch.nn as nn

torch.set_num_threads(2)
torch.set_num_interop_threads(1)

def unit(u):
    mods = [nn.Conv2d(u['cIn'], u['cOut'], u['k'], u['s'], u['pad'], groups=u['groups'], bias=u['bias'] is not None)]
    if u['bn']: mods.append(nn.BatchNorm2d(u['cOut'], eps=1e-3))
    if u['act']: mods.append(nn.SiLU())
    return nn.Sequential(*mods)

class Layer(nn.Module):
    def __init__(self, l):
        super().__init__()
        self.l = l
        k = l['kind']
        if k in ('mn_conv', 'MobileNetV3_BLOCK'):
            self.body = nn.Sequential(*[unit(u) for u in l['convs']])
        elif k == 'SPPF':
            self.cv1, self.cv2 = unit(l['convs'][0]), unit(l['convs'][1])
            self.pool = nn.MaxPool2d(l['kernel'], 1, l['kernel'] // 2)
        elif k == 'Detect':
            self.box = nn.ModuleList([nn.Sequential(*[unit(u) for u in b['box']]) for b in l['branches']])
            self.cls = nn.ModuleList([nn.Sequential(*[unit(u) for u in b['cls']]) for b in l['branches']])
            self.dfl = nn.Conv2d(16, 1, 1, bias=False)

    def forward(self, xs, strides=None, nc=80):
        k = self.l['kind']
        if k in ('mn_conv', 'MobileNetV3_BLOCK'):
            y = self.body(xs[0])
            return xs[0] + y if self.l['residual'] else y
        if k == 'SPPF':
            x = self.cv1(xs[0]); y1 = self.pool(x); y2 = self.pool(y1)
            return self.cv2(torch.cat([x, y1, y2, self.pool(y2)], 1))
        if k == 'Upsample':
            return nn.functional.interpolate(xs[0], scale_factor=2, mode='nearest')
        if k == 'Concat':
            return torch.cat(xs, 1)
        outs = [torch.cat([self.box[i](x), self.cls[i](x)], 1) for i, x in enumerate(xs)]
        b = outs[0].shape[0]
        flat = torch.cat([o.view(b, 64 + nc, -1) for o in outs], 2)
        box, cls = flat.split((64, nc), 1)
        a = box.shape[2]
        dist = self.dfl(box.view(b, 4, 16, a).transpose(2, 1).softmax(1)).view(b, 4, a)
        anchors, st = [], []
        for o, s in zip(outs, strides):
            h, w = o.shape[2:]
            sy, sx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing='ij')
            anchors.append(torch.stack((sx, sy), -1).view(-1, 2)); st.append(torch.full((h * w, 1), float(s)))
        anc = torch.cat(anchors).T.unsqueeze(0); stt = torch.cat(st).T
        lt, rb = dist.chunk(2, 1)
        x1y1, x2y2 = anc - lt, anc + rb
        return torch.cat((torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * stt, cls.sigmoid()), 1)

class Net(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.t = t
        self.layers = nn.ModuleList([Layer(l) for l in t['layers']])
    def forward(self, x):
        outs = {}
        for mod, l in zip(self.layers, self.t['layers']):
            xs = [x if f == -1 else outs[f] for f in l['from']]
            outs[l['index']] = mod(xs, self.t['strides'], self.t['nc']) if l['kind'] == 'Detect' else mod(xs)
            if l['kind'] == 'Detect': return outs[l['index']]
            x = outs[l['index']]

scale, size = sys.argv[1], int(sys.argv[2])
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 30
net = Net(json.load(open(f'/tmp/table-{"medium" if scale == "large" else scale}.json'))).eval()
x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(123))
with torch.no_grad():
    for _ in range(5): net(x)
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter(); net(x); ts.append((time.perf_counter() - t0) * 1000)
print(json.dumps({'config': f'{scale}@{size}', 'torch': torch.__version__, 'median_ms': statistics.median(ts), 'runs': runs}))
