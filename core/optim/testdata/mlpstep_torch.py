"""Time BenchmarkMLPStep's training step in PyTorch, on one thread.

784-256-10 ReLU MLP, batch 128, float32, mean cross-entropy, Adam (lr 1e-3):
forward + backward + update, the same step as BenchmarkMLPStep in
core/optim/bench_test.go. Run with Debian's python3-torch:

    /usr/bin/python3 core/optim/testdata/mlpstep_torch.py [threads] [seconds]

It prints steps/s and ms/step for each of five rounds and their median. No
test runs this script.
"""
import statistics
import sys
import time

import torch

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
torch.set_num_threads(threads)
torch.manual_seed(1)

model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
x = torch.rand(128, 784)
y = torch.randint(0, 10, (128,))


def step():
    opt.zero_grad(set_to_none=False)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()


for _ in range(50):  # warm up
    step()

rates = []
for r in range(5):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    dt = time.perf_counter() - t0
    rates.append(n / dt)
    print(f"round {r}: {n / dt:.0f} steps/s, {1e3 * dt / n:.2f} ms/step")
med = statistics.median(rates)
print(f"torch {torch.__version__}, {threads} thread(s): median {med:.0f} steps/s, {1e3 / med:.2f} ms/step")
