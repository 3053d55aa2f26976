#!/usr/bin/env python3
"""PyTorch reference for `fude bench train` / `fude bench predict`.

Builds the recognizer's architecture (fude-cnn4: conv3x3 1-32, pool, 32-32, 32-64, pool, 64-64,
fc 3136-256, dropout 0.3, fc 256-180, ReLU after every layer but the last) in PyTorch, NCHW,
and times it on random data the way the Rust benchmark times candle:

  train:   AdamW (lr 1e-3, weight decay 0.01), cross-entropy with label smoothing 0.1,
           `--warmup` untimed steps then `--steps` timed steps of `--batch` images.
  predict: one image under torch.inference_mode() (median and p99 of `--reps` calls after
           warm-up), and batch-256 inference throughput.

Prints one JSON object on stdout. Usage:
  python tools/bench/torch_reference.py {train|predict} --threads 2 [--batch 128 --steps 20 --warmup 3 --reps 1000]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn


def network(channels=(32, 32, 64, 64), hidden=256, classes=180):
    c1, c2, c3, c4 = channels
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
    x = torch.rand(args.batch, 1, 28, 28)
    y = torch.arange(args.batch) % 180
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()
    t = time.perf_counter()
    for _ in range(args.steps):
        step()
    secs = time.perf_counter() - t
    return {"train_images_per_sec": args.batch * args.steps / secs, "ms_per_step": 1e3 * secs / args.steps}


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
    p.add_argument("what", choices=["train", "predict"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--reps", type=int, default=1000)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = network()
    out = train(args, model) if args.what == "train" else predict(args, model)
    out.update({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "batch": args.batch,
    })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
