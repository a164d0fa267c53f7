"""PyTorch twin of bench/soak.mjs's loops: same networks, batch sizes, losses
and optimizers; prints the same JSON lines (RSS at `samples` evenly spaced
steps, then the peak RSS). Usage: soak_torch.py lecture|mnist STEPS [SAMPLES]."""
import json
import resource
import sys
import time

import torch

LOOPS = {
    "lecture": {"sizes": [64, 32, 32, 10], "batch": 16},
    "mnist": {"sizes": [784, 256, 128, 10], "batch": 128},
}


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def main(name, steps, samples):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    loop = LOOPS[name]
    lecture = name == "lecture"
    sizes = loop["sizes"]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or lecture:
            layers.append(torch.nn.Sigmoid() if lecture else torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(loop["batch"], sizes[0], generator=g)
    labels = torch.randint(0, sizes[-1], (loop["batch"],), generator=g)
    one_hot = torch.nn.functional.one_hot(labels, sizes[-1]).float()
    opt = torch.optim.SGD(model.parameters(), lr=5) if lecture else torch.optim.Adam(model.parameters(), lr=1e-3)
    every = max(1, steps // samples)
    start = time.perf_counter()
    for s in range(1, steps + 1):
        opt.zero_grad()
        out = model(x)
        loss = torch.nn.functional.mse_loss(out, one_hot) if lecture else torch.nn.functional.cross_entropy(out, labels)
        loss.backward()
        opt.step()
        if s % every == 0:
            print(json.dumps({"step": s, "rss": rss_bytes(), "loss": loss.item()}), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"peakRss": peak, "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 10)
