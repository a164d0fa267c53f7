#!/usr/bin/env python3
"""Continue a backprop run in PyTorch, on one process or many.

Written by `backprop export --format pytorch`. Reads the files next to it
(model.py, model.safetensors, optimizer.json + optimizer.safetensors,
handoff.json, config.json, data.csv or the IDX directory it names), trains
with torch.nn.parallel.DistributedDataParallel, and writes a run directory
(config.json, model.safetensors, optimizer.json + optimizer.safetensors)
that `backprop predict --model DIR` and `backprop train --resume DIR` read.

  python3 train.py --epochs 5 --out ../run-pytorch          one process
  torchrun --nproc_per_node=4 train.py --epochs 5 --out DIR  N processes
  (or set MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE per process yourself)
  python3 train.py --check-next-step                        one step on the
      fixed check batch; compares the loss with backprop's (exit 1 if off)

gloo on CPUs, NCCL when CUDA is available. Each process takes batches of
--batch-size rows (default: the run's), so one step sees batch-size x
processes rows.
"""
import argparse
import datetime
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- safetensors, read and written here so that nothing beyond torch and numpy is needed

NUMPY_OF = {"F64": "<f8", "F32": "<f4", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
SAFETENSORS_OF = {torch.float64: "F64", torch.float32: "F32", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
                  torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        array = np.frombuffer(data[8 + n + start:8 + n + end], dtype=NUMPY_OF[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_OF[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    atomic_write(path, struct.pack("<Q", len(text)) + text + b"".join(chunks))


def atomic_write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# ---- optimizer state: PyTorch's state_dict as JSON (tensors as {"$tensor": key}) + safetensors

def join_tensors(value, tensors):
    if isinstance(value, list):
        return [join_tensors(v, tensors) for v in value]
    if isinstance(value, dict):
        if isinstance(value.get("$tensor"), str):
            return tensors[value["$tensor"]]
        return {k: join_tensors(v, tensors) for k, v in value.items()}
    return value


def split_tensors(value, key, tensors):
    if torch.is_tensor(value):
        if key.endswith(".step"):  # a step count: a number in the JSON
            v = value.item()
            return int(v) if float(v).is_integer() else v
        tensors[key] = value
        return {"$tensor": key}
    if isinstance(value, (list, tuple)):
        return [split_tensors(v, f"{key}.{i}" if key else str(i), tensors) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): split_tensors(v, f"{key}.{k}" if key else str(k), tensors) for k, v in value.items()}
    return value


def load_optimizer_state(optimizer, folder):
    with open(os.path.join(folder, "optimizer.json")) as f:
        saved = json.load(f)
    state = join_tensors(saved, read_safetensors(os.path.join(folder, "optimizer.safetensors")))
    steps_are_tensors = not isinstance(optimizer, torch.optim.RMSprop)
    for s in state["state"].values():
        if "step" in s and steps_are_tensors:
            s["step"] = torch.tensor(float(s["step"]))
    for g in state["param_groups"]:
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
    optimizer.load_state_dict({"state": {int(k): v for k, v in state["state"].items()}, "param_groups": state["param_groups"]})


def save_optimizer_state(optimizer, folder):
    tensors = {}
    sd = optimizer.state_dict()
    json_part = split_tensors({"state": sd["state"], "param_groups": sd["param_groups"]}, "", tensors)
    write_safetensors(os.path.join(folder, "optimizer.safetensors"), tensors)
    atomic_write(os.path.join(folder, "optimizer.json"), (json.dumps(json_part, indent=1) + "\n").encode("utf-8"))


def build_optimizer(name, params, lr):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr)
    raise SystemExit(f"train.py: unknown optimizer {name!r} in handoff.json")


# ---- data, encoded and scaled as backprop did

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    kind, ndim = data[2], data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    dtype = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[kind]
    return np.frombuffer(data[4 + 4 * ndim:], dtype=dtype).reshape(dims)


def find_idx(folder, base):
    for name in (base, base + ".gz"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise SystemExit(f"train.py: {folder} lacks {base}[.gz]; give the IDX directory with --data")


def load_data(h, override):
    d = h["data"]
    if d["kind"] == "csv":
        table = np.loadtxt(override or os.path.join(HERE, d["file"]), delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
        x, y = table[:, :-1], table[:, -1]
    else:
        folder = override or d["path"]
        x = read_idx(find_idx(folder, "train-images-idx3-ubyte"))
        x = x.reshape(x.shape[0], -1).astype(np.float32).astype(np.float64)
        y = read_idx(find_idx(folder, "train-labels-idx1-ubyte")).astype(np.float64)
    pre = h["preprocessing"]
    if pre["featureScaling"]:
        x = (x - np.array(pre["featureScaling"]["mean"])) / np.array(pre["featureScaling"]["std"])
    if pre["targetScaling"]:
        y = (y - pre["targetScaling"]["mean"]) / pre["targetScaling"]["std"]
    dtype = torch.float64 if h["dtype"] == "float64" else torch.float32
    xs = torch.from_numpy(x).to(dtype)
    ys = torch.from_numpy(y).long() if h["task"] == "classify" else torch.from_numpy(y).to(dtype)
    return xs, ys


def batch_loss(h, out, y):
    if h["task"] == "classify" and h["loss"] == "cross-entropy":
        return F.cross_entropy(out, y)
    if h["task"] == "classify":
        return F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype))
    return F.mse_loss(out, y.reshape(-1, 1))


def score_sum(h, out, y):
    if h["task"] == "classify":
        return float((out.argmax(1) == y).sum())
    return float(((y.reshape(-1, 1) - out) ** 2).sum())


# ---- the run

def main():
    ap = argparse.ArgumentParser(description="Continue a backprop run in PyTorch (DistributedDataParallel).")
    ap.add_argument("--epochs", type=int, default=1, help="epochs to train here (default 1)")
    ap.add_argument("--out", default="run-pytorch", help="run directory to write (default ./run-pytorch)")
    ap.add_argument("--lr", type=float, help="learning rate (default: the run's)")
    ap.add_argument("--batch-size", type=int, help="rows per step per process (default: the run's)")
    ap.add_argument("--data", help="the data, where it is now (CSV file or IDX directory)")
    ap.add_argument("--check-next-step", action="store_true",
                    help="one step on the fixed check batch; print and compare the loss with backprop's")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    from model import build_model  # model.py next to this file (imported here so that the helpers above import alone)

    with open(os.path.join(HERE, "handoff.json")) as f:
        h = json.load(f)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    distributed = world > 1
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', rank % max(torch.cuda.device_count(), 1)))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    dtype = torch.float64 if h["dtype"] == "float64" else torch.float32

    model = build_model(dtype)
    model.load_state_dict(read_safetensors(os.path.join(HERE, "model.safetensors")))
    model.to(device)
    lr = args.lr if args.lr is not None else h["lr"]
    optimizer = build_optimizer(h["optimizer"], model.parameters(), lr)
    if os.path.exists(os.path.join(HERE, "optimizer.json")):
        load_optimizer_state(optimizer, HERE)
        for g in optimizer.param_groups:
            g["lr"] = lr
    x, y = load_data(h, args.data)

    if args.check_next_step:
        rows = torch.tensor(h["check"]["rows"], dtype=torch.long)
        xb, yb = x[rows].to(device), y[rows].to(device)
        before = batch_loss(h, model(xb), yb)
        optimizer.zero_grad()
        before.backward()
        optimizer.step()
        with torch.no_grad():
            after = batch_loss(h, model(xb), yb).item()
        expected = h["check"]["lossAfter"]
        tol = 1e-6 if dtype == torch.float32 else 1e-12
        ok = abs(after - expected) <= tol * max(1.0, abs(expected))
        if rank == 0:
            print(json.dumps({"rows": len(rows), "lossBefore": before.item(), "lossAfter": after,
                              "backprop": {"lossBefore": h["check"]["lossBefore"], "lossAfter": expected},
                              "relativeDifference": abs(after - expected) / max(1e-30, abs(expected)), "agrees": ok}))
        if distributed:
            dist.destroy_process_group()
        sys.exit(0 if ok else 1)

    train_rows = torch.tensor(h["split"]["train"], dtype=torch.long)
    val_rows = torch.tensor(h["split"]["val"], dtype=torch.long)
    train_set = TensorDataset(x[train_rows], y[train_rows])
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=h["seed"])
    loader = DataLoader(train_set, batch_size=args.batch_size or h["batchSize"], sampler=sampler)
    net = DistributedDataParallel(model) if distributed else model
    train_variance = float(y[train_rows].double().var(unbiased=False)) if h["task"] == "regress" else 1.0

    history = []
    first = h["epochsDone"] + 1
    for epoch in range(first, first + args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        start = time.time()
        sums = torch.zeros(3, dtype=torch.float64)
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            out = net(xb)
            loss = batch_loss(h, out, yb)
            loss.backward()
            optimizer.step()
            sums += torch.tensor([loss.item() * len(xb), score_sum(h, out.detach(), yb), len(xb)], dtype=torch.float64)
        if distributed:
            sums = sums.to(device)
            dist.all_reduce(sums)
            sums = sums.cpu()
        seconds = time.time() - start
        loss_sum, score, samples = sums.tolist()
        train_score = score / samples if h["task"] == "classify" else 1 - score / (samples * train_variance)
        val_loss, val_score = evaluate(h, model, x, y, val_rows, device)
        history.append({"epoch": epoch, "trainLoss": loss_sum / samples, "trainScore": train_score, "valLoss": val_loss,
                        "valScore": val_score, "samplesPerSecond": samples / max(seconds, 1e-9), "seconds": seconds})
        if rank == 0:
            print(f"epoch {epoch}: train loss {loss_sum / samples:.6f}, val loss {val_loss if val_loss is None else round(val_loss, 6)}"
                  f" ({world} process{'es' if world > 1 else ''}, {seconds:.1f}s)", flush=True)

    if rank == 0:
        write_run(args.out, h, model, optimizer, history, world, device)
        print(f"saved {args.out}: model.safetensors, config.json, optimizer.json, optimizer.safetensors")
    if distributed:
        dist.destroy_process_group()


def evaluate(h, model, x, y, rows, device):
    if len(rows) == 0:
        return None, None
    model.eval()
    with torch.no_grad():
        out = model(x[rows].to(device))
        yb = y[rows].to(device)
        loss = batch_loss(h, out, yb).item()
        s = score_sum(h, out, yb)
    model.train()
    if h["task"] == "classify":
        return loss, s / len(rows)
    yr = yb.double()
    total = float(((yr - yr.mean()) ** 2).sum())
    return loss, (1 - s / total) if total > 0 else 0.0


def write_run(out, h, model, optimizer, history, world, device):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(HERE, "config.json")) as f:
        config = json.load(f)
    write_safetensors(os.path.join(out, "model.safetensors"), {k: v.cpu() for k, v in model.state_dict().items()})
    save_optimizer_state(optimizer, out)
    config["history"] = list(config.get("history") or []) + history
    last = config["history"][-1] if config["history"] else None
    if last:
        config["metrics"] = {"epochs": last["epoch"], "trainLoss": last["trainLoss"], "trainScore": last["trainScore"],
                             "valLoss": last["valLoss"], "valScore": last["valScore"]}
    before = config["options"]["epochs"]
    config["options"]["epochs"] = len(config["history"])
    config["status"] = "complete"
    config["changes"] = list(config.get("changes") or []) + [{
        "epoch": h["epochsDone"] + 1, "batch": 1, "time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "changed": {"trainer": {"from": "backprop", "to": f"PyTorch {torch.__version__}, {world} process(es) on {device.type}"},
                    "epochs": {"from": before, "to": len(config["history"])}},
    }]
    atomic_write(os.path.join(out, "config.json"), (json.dumps(config, indent=2) + "\n").encode("utf-8"))


if __name__ == "__main__":
    main()
