#!/usr/bin/env python3
"""PyTorch reference for `fude bench train` / `fude bench predict`.

Builds the recognizer's architecture (fude-cnn4: conv3x3 1-32, pool, 32-32, 32-64, pool, 64-64,
fc 3136-256, dropout 0.3, fc 256-180, ReLU after every layer but the last) in PyTorch, NCHW,
and times it on random data the way the Rust benchmark times candle:

  train:   AdamW (lr 1e-3, weight decay 0.01), cross-entropy with label smoothing 0.1,
           `--warmup` untimed steps then `--steps` timed steps of `--batch` images.
  predict: one image under torch.inference_mode() (median and p99 of `--reps` calls after
           warm-up), and batch-256 inference throughput.

  gen-train: the generator's class-conditional VAE (fude-cvae1 at 64x64: encoder conv3x3
           1-16, 16-32, 32-64 each with ReLU and 2x2 max-pool, fc (4096+180)-256, fc 256-32;
           decoder fc (16+180)-256, fc 256-4096, then three times nearest 2x upsampling + a class
           embedding per channel, the class template as one more channel, conv3x3 (65-64,
           65-32, 33-16) + ReLU, conv3x3 16-1), Bernoulli loss (BCE with logits, summed
           over pixels) + KL, AdamW (lr 1e-3, no weight decay), `--batch` images of 64x64.
  gen-train-thin: the same with the bundled generator's thin decoder (conv3x3 65-32, 33-16,
           17-8, then 8-1), trained by distillation from the wider one.

Prints one JSON object on stdout. Usage:
  python tools/bench/torch_reference.py {train|predict|gen-train|gen-train-thin} --threads 2 [--batch 128 --steps 20 --warmup 3 --reps 1000]
      [--channels 32,32,64,64 --hidden 256]   (train and predict: another recognizer shape)
      [--residual]   (train and predict: fude-res, residual blocks in place of the second and fourth
                     convolutions: conv 1-c1, pool, block c1, conv c1-c3, pool, two blocks c3)
      [--device cuda|mps]   (train: on the GPU, finishing each step before the clock stops)
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn


def sync(args):
    """Waits for the GPU's queued work (nothing to wait for on the CPU)."""
    if args.device == "cuda":
        torch.cuda.synchronize()
    elif args.device == "mps":
        torch.mps.synchronize()


def time_steps(step, args):
    """Runs `step` for the warm-up, then times `args.steps` calls: training images/s and ms a step."""
    for _ in range(args.warmup):
        step()
    sync(args)
    t = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync(args)
    secs = time.perf_counter() - t
    return {"train_images_per_sec": args.batch * args.steps / secs, "ms_per_step": 1e3 * secs / args.steps}

class Block(nn.Module):
    """fude-res's residual block: ReLU(x + conv(ReLU(conv(x))))."""

    def __init__(self, c):
        super().__init__()
        self.a = nn.Conv2d(c, c, 3, padding=1)
        self.b = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return torch.relu(x + self.b(torch.relu(self.a(x))))


def network(channels=(32, 32, 64, 64), hidden=256, classes=180, residual=False):
    c1, c2, c3, c4 = channels
    if residual:
        return nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), Block(c1),
            nn.Conv2d(c1, c3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), Block(c3), Block(c3),
            nn.Flatten(),
            nn.Linear(7 * 7 * c3, hidden), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(hidden, classes),
        )
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),
        nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(7 * 7 * c4, hidden), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(hidden, classes),
    )


def train(args, model):
    model.to(args.device)
    x = torch.rand(args.batch, 1, 28, 28, device=args.device)
    y = torch.arange(args.batch, device=args.device) % 180
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return time_steps(step, args)


class Cvae(nn.Module):
    """fude-cvae1: the generator's network, as in src/models/generator/network.rs."""

    def __init__(self, side=64, latent=16, enc=(16, 32, 64), dec=(64, 32, 16), hidden=256, classes=180):
        super().__init__()
        self.side, self.latent, self.classes = side, latent, classes
        layers, c = [], 1
        for o in enc:
            layers += [nn.Conv2d(c, o, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c = o
        self.enc = nn.Sequential(*layers, nn.Flatten())
        self.base = side >> len(enc)
        self.c_last = c
        self.enc_fc = nn.Sequential(nn.Linear(self.base * self.base * c + classes, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.dec_fc = nn.Sequential(nn.Linear(latent + classes, hidden), nn.ReLU(), nn.Linear(hidden, self.base * self.base * c), nn.ReLU())
        self.embeds, self.templates, self.stages = nn.ParameterList(), nn.ParameterList(), nn.ModuleList()
        r = self.base
        for o in dec:
            r *= 2
            self.embeds.append(nn.Parameter(0.1 * torch.randn(classes, c)))
            self.templates.append(nn.Parameter(torch.rand(classes, r * r)))
            self.stages.append(nn.Sequential(nn.Conv2d(c + 1, o, 3, padding=1), nn.ReLU()))
            c = o
        self.out = nn.Conv2d(c, 1, 3, padding=1)

    def loss(self, x, one_hot):
        h = self.enc_fc(torch.cat([self.enc(x), one_hot], 1))
        mu, logvar = h[:, : self.latent], h[:, self.latent :].clamp(-12, 8)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        d = self.dec_fc(torch.cat([z, one_hot], 1)).view(-1, self.c_last, self.base, self.base)
        for embed, template, stage in zip(self.embeds, self.templates, self.stages):
            d = nn.functional.interpolate(d, scale_factor=2, mode="nearest") + (one_hot @ embed)[:, :, None, None]
            r = d.shape[-1]
            d = stage(torch.cat([d, (one_hot @ template).view(-1, 1, r, r)], 1))
        logits = self.out(d)
        rec = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(0).sum()
        return rec + kl


def gen_train(args):
    model = Cvae(dec=(32, 16, 8)) if args.what == "gen-train-thin" else Cvae()
    x = torch.rand(args.batch, 1, 64, 64)
    one_hot = nn.functional.one_hot(torch.arange(args.batch) % 180, 180).float()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x, one_hot)
        loss.backward()
        opt.step()
        return loss

    return time_steps(step, args)


def predict(args, model):
    model.eval()
    one = torch.rand(1, 1, 28, 28)
    times = []
    with torch.inference_mode():
        for i in range(args.reps + 20):
            t = time.perf_counter()
            top = torch.softmax(model(one), dim=1).topk(10)
            times.append(time.perf_counter() - t)
        times = sorted(times[20:])
        batch = torch.rand(256, 1, 28, 28)
        model(batch)
        reps = 5
        t = time.perf_counter()
        for _ in range(reps):
            torch.softmax(model(batch), dim=1)
        b256 = 256 * reps / (time.perf_counter() - t)
    del top
    return {
        "predict_median_ms": 1e3 * statistics.median(times),
        "predict_p99_ms": 1e3 * times[min(len(times) - 1, round((len(times) - 1) * 0.99))],
        "batch256_images_per_sec": b256,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["train", "predict", "gen-train", "gen-train-thin"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--reps", type=int, default=1000)
    p.add_argument("--channels", default="32,32,64,64", help="the recognizer's four convolution widths")
    p.add_argument("--hidden", type=int, default=256, help="the recognizer's hidden fully connected width")
    p.add_argument("--residual", action="store_true", help="the recognizer is fude-res (residual blocks)")
    p.add_argument("--device", choices=["cpu", "cuda", "mps"], default="cpu", help="train: where to train")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.what in ("gen-train", "gen-train-thin"):
        out = gen_train(args)
    else:
        model = network(tuple(int(c) for c in args.channels.split(",")), args.hidden, residual=args.residual)
        out = train(args, model) if args.what == "train" else predict(args, model)
    out.update({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "batch": args.batch,
        "device": torch.cuda.get_device_name() if args.device == "cuda" else args.device,
    })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
