"""Optional peers run by bench/run.mjs: PyTorch 1.13 CPU (W1, W2, W4, W6, W7, W7L;
one thread unless told) and NumPy's OpenBLAS GEMM (W3). Prints one JSON object.

Usage: python3 python_peers.py torch W1|W2|W4 [<W4 size>] [<threads>]
       python3 python_peers.py numpy W3 <n>
(the thread count of NumPy comes from OPENBLAS_NUM_THREADS, set by the caller).
Timing mirrors bench/lib/timing.mjs: warm-up, then the median of 5
time-boxed repetitions.
"""
import json
import statistics
import sys
import time


def measure_rate(step, reps=5, rep_s=0.3, warmup_s=0.3):
    end = time.perf_counter() + warmup_s
    while True:
        step()
        if time.perf_counter() >= end:
            break
    samples = []
    for _ in range(reps):
        steps = 0
        t0 = time.perf_counter()
        t1 = t0
        while t1 - t0 < rep_s or steps < 1:
            step()
            steps += 1
            t1 = time.perf_counter()
        samples.append(steps / (t1 - t0))
    return statistics.median(samples), samples


def torch_case(workload, size=1, threads=1):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    def mlp(sizes, act):
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(act())
        return torch.nn.Sequential(*layers)

    if workload == "W1":
        model = mlp([8, 32, 32, 1], torch.nn.Sigmoid)
        x, y = torch.randn(64, 8), torch.randn(64, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss_fn, batch, unit = torch.nn.functional.mse_loss, 1, "steps/s"
    elif workload == "W2":
        model = mlp([784, 256, 128, 10], torch.nn.ReLU)
        x, y = torch.randn(128, 784), torch.randint(0, 10, (128,))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn, batch, unit = torch.nn.functional.cross_entropy, 128, "samples/s"
    elif workload == "W6":
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(3136, 10))
        x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn, batch, unit = torch.nn.functional.cross_entropy, 64, "samples/s"
    elif workload in ("W7", "W7L"):
        return torch_chars(workload)
    else:
        chain = 10_000
        x = torch.ones(size, requires_grad=True)

        def step():
            y = x
            for _ in range(0, chain, 2):
                y = y.mul(1.0001).add(0.0001)
            y.sum().backward()
            x.grad = None

        med, samples = measure_rate(step)
        us = lambda r: 1e6 / r / chain
        return {"median": us(med), "samples": [us(s) for s in samples], "unit": "µs/op"}

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    med, samples = measure_rate(step, rep_s=0.5 if workload in ("W2", "W6") else 0.3)
    return {"median": med * batch, "samples": [s * batch for s in samples], "unit": unit}


def torch_chars(workload):
    """W7 (character transformer) and W7L (character LSTM), sizes as in bench/lib/workloads.mjs."""
    import torch
    nn = torch.nn
    vocab, context, batch, embed, ff, heads = 28, 32, 32, 64, 256, 4

    class CharTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, embed), nn.Embedding(context, embed)
            self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(
                embed, heads, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=True) for _ in range(2))
            self.norm, self.head = nn.LayerNorm(embed), nn.Linear(embed, vocab)
            self.register_buffer("mask", torch.triu(torch.full((context, context), float("-inf")), 1))
            self.register_buffer("positions", torch.arange(context))

        def forward(self, ids):
            x = self.tok(ids) + self.pos(self.positions)
            for b in self.blocks:
                x = b(x, src_mask=self.mask)
            return self.head(self.norm(x))

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, embed)
            self.lstm = nn.LSTM(embed, 128, batch_first=True)
            self.head = nn.Linear(128, vocab)

        def forward(self, ids):
            return self.head(self.lstm(self.tok(ids))[0])

    model = CharTransformer() if workload == "W7" else CharLSTM()
    x, y = torch.randint(0, vocab, (batch, context)), torch.randint(0, vocab, (batch * context,))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, vocab), y)
        loss.backward()
        opt.step()
        return loss.item()

    med, samples = measure_rate(step, rep_s=0.5)
    tokens = batch * context
    return {"median": med * tokens, "samples": [s * tokens for s in samples], "unit": "tokens/s"}


def numpy_case(n):
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    gf = lambda r: 2 * n ** 3 * r / 1e9
    t0 = time.perf_counter()
    a @ b
    once = time.perf_counter() - t0
    if once > 2:
        # Busy machine or reference BLAS: five more products would take minutes.
        return {"median": gf(1 / once), "samples": [gf(1 / once)], "unit": "GFLOP/s",
                "note": "1 sample: one product took %.0f s (a busy machine or an unoptimised BLAS)" % once}
    med, samples = measure_rate(lambda: a @ b, rep_s=0.4, warmup_s=0.2)
    return {"median": gf(med), "samples": [gf(s) for s in samples], "unit": "GFLOP/s"}


if __name__ == "__main__":
    kind, workload = sys.argv[1], sys.argv[2]
    if kind == "torch":
        size = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else 1
        threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        result = torch_case(workload, size, threads)
    else:
        result = numpy_case(int(sys.argv[3]))
    print(json.dumps(result))
