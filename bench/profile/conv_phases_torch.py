#!/usr/bin/env python3
"""PyTorch's twin of conv-phases.mjs (profiling helper, not part of `npm run bench`):
one W6 training step split by layer, each layer on a detached copy of the previous
layer's output, median CPU (process time, all threads) and wall ms per phase.

    python3 bench/profile/conv_phases_torch.py [threads] [steps]
"""
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(threads)
torch.manual_seed(0)
conv1 = torch.nn.Conv2d(1, 32, 5, padding=2)
conv2 = torch.nn.Conv2d(32, 64, 5, padding=2)
linear = torch.nn.Linear(3136, 10)
x = torch.rand(64, 1, 28, 28)
y = torch.randint(0, 10, (64,))
layers = [
    ("conv1", conv1),
    ("relu1", F.relu),
    ("pool1", lambda t: F.max_pool2d(t, 2)),
    ("conv2", conv2),
    ("relu2", F.relu),
    ("pool2", lambda t: F.max_pool2d(t, 2)),
    ("linear", lambda t: linear(t.flatten(1))),
    ("loss", lambda t: F.cross_entropy(t, y)),
]
params = [*conv1.parameters(), *conv2.parameters(), *linear.parameters()]
optimizer = torch.optim.Adam(params, lr=1e-3)
phases = {}


def timed(name, fn):
    c, t = time.process_time(), time.perf_counter()
    r = fn()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    phases.setdefault(name, ([], []))
    phases[name][0].append(cpu * 1000)
    phases[name][1].append(wall * 1000)
    return r


for i in range(steps + 2):
    if i == 2:
        phases.clear()
    optimizer.zero_grad()
    inputs, outputs = [], []
    t = x
    for name, f in layers:
        inp = t if not inputs else t.detach().requires_grad_(True)
        inputs.append(inp)
        t = timed("forward " + name, lambda: f(inp))
        outputs.append(t)
    t.item()
    grad = None
    for l in range(len(layers) - 1, -1, -1):
        out = outputs[l]
        timed("backward " + layers[l][0], lambda: out.backward(grad))
        grad = inputs[l].grad
    timed("adam", optimizer.step)

median = lambda a: sorted(a)[len(a) // 2]
print(f"torch {torch.__version__}, {threads} threads, {steps} steps, median ms per phase (CPU / wall)")
cpu_total = wall_total = 0
for name, (cpu, wall) in phases.items():
    cpu_total += median(cpu)
    wall_total += median(wall)
    print(f"{name:16} {median(cpu):7.1f} {median(wall):7.1f}")
print(f"{'sum':16} {cpu_total:7.1f} {wall_total:7.1f}")
