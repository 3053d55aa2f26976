#!/usr/bin/env python3
"""Does a residual network read kuzushiji better than fude-cnn4? A PyTorch probe on the sample alone.

Trains each named network on the kuzushiji sample's 6,000 training pictures (600 a class; the first
200 of each class held out, as `fude eval` holds them out) for 10 epochs of 25,600 draws, with one
simple augmentation for all (rotation ±10°, scale ±15%, shift ±2 px, bilinear), AdamW at 2e-3 with
a one-cycle schedule, label smoothing 0.1, and prints each epoch's held-out top-1 (10 classes), for
seeds 1 and 2. `cnn4` is fude-cnn4 at stage 9's width (32, 32, 64, 64; 256), `cnn4w` at 12b's (48, 48,
96, 96; 384), `res` a residual network of about cnn4's size (a stem convolution, one residual block
of two 3x3 convolutions at 32 channels, pooling, a convolution to 64, two blocks, pooling, the same
fully connected head; no batch norm, the second convolution of each block starting at zero).
It measures architectures only: fude's own training recipe differs (models/README.md, "Session 27").
Usage, with the interpreter `fude bench train` uses (`python3 -m venv .venv-torch &&
.venv-torch/bin/pip install torch numpy`), from the repository root:

    .venv-torch/bin/python tools/recognizer/kuzushiji_architectures.py cnn4 res cnn4w
"""
import sys, time, math
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from ensemble_kuzushiji import held_out_indices
torch.set_num_threads(2)
D = "../shared/data/kuzushiji-sample"
x = np.load(f"{D}/kuzushiji-sample-imgs.npz")["arr_0"].astype(np.float32) / 255
y = np.load(f"{D}/kuzushiji-sample-labels.npz")["arr_0"].astype(np.int64)
held = held_out_indices(y)
train = np.setdiff1d(np.arange(len(y)), held)
X = torch.tensor(x).unsqueeze(1); Y = torch.tensor(y)

class Cnn4(nn.Module):
    def __init__(s, c=(32, 32, 64, 64), h=256):
        super().__init__()
        s.c1 = nn.Conv2d(1, c[0], 3, padding=1); s.c2 = nn.Conv2d(c[0], c[1], 3, padding=1)
        s.c3 = nn.Conv2d(c[1], c[2], 3, padding=1); s.c4 = nn.Conv2d(c[2], c[3], 3, padding=1)
        s.f1 = nn.Linear(49 * c[3], h); s.f2 = nn.Linear(h, 10)
    def forward(s, x):
        x = F.max_pool2d(F.relu(s.c1(x)), 2); x = F.relu(s.c2(x))
        x = F.max_pool2d(F.relu(s.c3(x)), 2); x = F.relu(s.c4(x))
        return s.f2(F.dropout(F.relu(s.f1(x.flatten(1))), 0.3, s.training))

class Block(nn.Module):
    def __init__(s, c):
        super().__init__(); s.a = nn.Conv2d(c, c, 3, padding=1); s.b = nn.Conv2d(c, c, 3, padding=1)
        nn.init.zeros_(s.b.weight)
    def forward(s, x): return F.relu(x + s.b(F.relu(s.a(x))))

class Res(nn.Module):
    def __init__(s, c=(32, 64), h=256):
        super().__init__()
        s.stem = nn.Conv2d(1, c[0], 3, padding=1); s.r1 = Block(c[0])
        s.up = nn.Conv2d(c[0], c[1], 3, padding=1); s.r2 = Block(c[1]); s.r3 = Block(c[1])
        s.f1 = nn.Linear(49 * c[1], h); s.f2 = nn.Linear(h, 10)
    def forward(s, x):
        x = F.max_pool2d(s.r1(F.relu(s.stem(x))), 2)
        x = F.max_pool2d(s.r2(F.relu(s.up(x))), 2); x = s.r3(x)
        return s.f2(F.dropout(F.relu(s.f1(x.flatten(1))), 0.3, s.training))

def augment(xb, g):
    n = xb.shape[0]
    a = (torch.rand(n, generator=g) - 0.5) * 2 * math.radians(10)
    sc = 1 + (torch.rand(n, generator=g) - 0.5) * 0.3
    t = (torch.rand(n, 2, generator=g) - 0.5) * 2 * (2 / 14)
    th = torch.zeros(n, 2, 3)
    th[:, 0, 0] = torch.cos(a) / sc; th[:, 0, 1] = -torch.sin(a) / sc; th[:, 1, 0] = torch.sin(a) / sc; th[:, 1, 1] = torch.cos(a) / sc
    th[:, :, 2] = t
    grid = F.affine_grid(th, xb.shape, align_corners=False)
    return F.grid_sample(xb, grid, align_corners=False)

def run(name, seed, epochs=10, per_epoch=25600, bs=128):
    torch.manual_seed(seed); g = torch.Generator().manual_seed(seed)
    m = {"cnn4": Cnn4, "cnn4w": lambda: Cnn4((48, 48, 96, 96), 384), "res": Res}[name]()
    params = sum(p.numel() for p in m.parameters())
    steps = epochs * per_epoch // bs
    opt = torch.optim.AdamW(m.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    t0 = time.time(); accs = []
    for e in range(epochs):
        m.train()
        for _ in range(per_epoch // bs):
            idx = torch.tensor(train[torch.randint(len(train), (bs,), generator=g).numpy()])
            loss = F.cross_entropy(m(augment(X[idx], g)), Y[idx], label_smoothing=0.1)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
        m.eval()
        with torch.no_grad():
            accs.append((m(X[held]).argmax(1) == Y[held]).float().mean().item() * 100)
    print(f"{name} seed {seed} params {params}: " + " ".join(f"{a:.2f}" for a in accs) + f"  ({time.time() - t0:.0f} s)", flush=True)

for seed in (1, 2):
    for name in sys.argv[1:]:
        run(name, seed)
