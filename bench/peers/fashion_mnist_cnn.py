"""The PyTorch twin of examples/fashion-mnist-cnn.ts: the same network,
initialisation rules, optimiser, schedule, batch size and epochs, for the
accuracy, wall time and time to 90% that the example reports.

Usage: python3 bench/peers/fashion_mnist_cnn.py [DIR] [EPOCHS] [THREADS]
"""
import gzip
import struct
import sys
import time

import torch

DIR = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 12
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
torch.manual_seed(0)


def idx(name):
    with gzip.open(f"{DIR}/{name}", "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


x_train = idx("train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
y_train = idx("train-labels-idx1-ubyte.gz").long()
x_test = idx("t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
y_test = idx("t10k-labels-idx1-ubyte.gz").long()

nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=64, shuffle=True)


def accuracy():
    model.eval()
    with torch.no_grad():
        correct = sum((model(x_test[i:i + 500]).argmax(1) == y_test[i:i + 500]).sum().item() for i in range(0, len(x_test), 500))
    model.train()
    return correct / len(x_test)


print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {sum(p.numel() for p in model.parameters())} parameters")
start = time.perf_counter()
time_to_90 = None
for epoch in range(1, EPOCHS + 1):
    t0 = time.perf_counter()
    total = 0.0
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(x)
    sched.step()
    seconds = time.perf_counter() - t0
    acc = accuracy()
    if time_to_90 is None and acc >= 0.9:
        time_to_90 = time.perf_counter() - start
    print(f"epoch {epoch:2d}  loss {total / len(x_train):.4f}  test accuracy {100 * acc:.2f}%  {seconds:.1f} s ({len(x_train) / seconds:.0f} samples/s)")
wall = time.perf_counter() - start
reached = "90% not reached" if time_to_90 is None else f"90% reached after {time_to_90:.1f} s"
print(f"test accuracy {100 * accuracy():.2f}% after {EPOCHS} epochs, {wall:.1f} s in all; {reached}")
