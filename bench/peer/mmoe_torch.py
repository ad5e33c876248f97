"""The PyTorch peer of `npm run bench`: the census MMoE written by hand in plain PyTorch.

It trains on the arrays Towerflow's own data pipeline encoded (written by bench/torch-peer.ts), with
the same layer sizes, Adam and batch size, so the two systems differ only in the engine. It serves
rounds over stdin/stdout, one JSON object per line, so the bench can interleave them with
Towerflow's rounds and a slow spell of a shared machine hits both alike:

  {"op": "train", "batch": 512, "epochs": 1, "seed": 1}  ->  {"samplesPerSecond": ..., "cpuSeconds": ..., "loss": ...}
  {"op": "peak"}                                         ->  {"gflops": {"1": ..., "N": ...}}
  {"op": "quit"}

`--device cuda` (after the folder) trains on that device instead of the CPU: bench/gpu.ts.
"""

import json
import os
import resource
import sys
import time

import numpy as np
import torch
from torch import nn


class MMoE(nn.Module):
    """Per-column embeddings, N relu experts, one bias-free softmax gate per task, relu towers, sigmoid heads."""

    def __init__(self, vocab_sizes, embedding_dim, numeric_width, experts, expert_units, tower_units, tasks):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(v, embedding_dim) for v in vocab_sizes)
        width = len(vocab_sizes) * embedding_dim + numeric_width
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(width, expert_units), nn.ReLU()) for _ in range(experts))
        self.gates = nn.ModuleList(nn.Linear(width, experts, bias=False) for _ in range(tasks))
        self.towers = nn.ModuleList(
            nn.Sequential(nn.Linear(expert_units, tower_units), nn.ReLU(), nn.Linear(tower_units, 1), nn.Sigmoid())
            for _ in range(tasks)
        )

    def forward(self, ids, numeric):
        embedded = [table(ids[:, i]) for i, table in enumerate(self.embeddings)]
        x = torch.cat(embedded + [numeric], dim=1)
        stacked = torch.stack([expert(x) for expert in self.experts], dim=1)  # [B, N, u]
        outputs = []
        for gate, tower in zip(self.gates, self.towers):
            weights = torch.softmax(gate(x), dim=1).unsqueeze(1)  # [B, 1, N]
            outputs.append(tower(torch.bmm(weights, stacked).squeeze(1)))
        return torch.cat(outputs, dim=1)


def load(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    rows = manifest["rows"]
    ids = np.fromfile(os.path.join(folder, "ids.i32"), dtype=np.int32).reshape(rows, -1)
    numeric = np.fromfile(os.path.join(folder, "numeric.f32"), dtype=np.float32).reshape(rows, -1)
    labels = np.fromfile(os.path.join(folder, "labels.f32"), dtype=np.float32).reshape(rows, -1)
    return manifest, torch.from_numpy(ids.astype(np.int64)), torch.from_numpy(numeric), torch.from_numpy(labels)


def train(manifest, ids, numeric, labels, batch, epochs, seed, device=torch.device("cpu")):
    torch.manual_seed(seed)
    m = manifest["model"]
    model = MMoE(m["vocabSizes"], m["embeddingDim"], m["numericWidth"], m["experts"], m["expertUnits"], m["towerUnits"], labels.shape[1]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=manifest["learningRate"])
    loss_fn = nn.BCELoss()
    rows = ids.shape[0]
    cpu = time.process_time()
    started = time.perf_counter()
    total = 0.0
    for _ in range(epochs):
        order = torch.randperm(rows, device=device)
        for start in range(0, rows, batch):
            idx = order[start : start + batch]
            predictions = model(ids[idx], numeric[idx])
            y = labels[idx]
            loss = sum(loss_fn(predictions[:, t], y[:, t]) for t in range(y.shape[1]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            # On a GPU, .item() each step would wait for the queue to drain; read once at the end.
            total = loss.item() if device.type == "cpu" else loss.detach()
    total = float(total)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    # ru_maxrss is KiB on Linux: this long-lived process's peak so far.
    max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"samplesPerSecond": rows * epochs / seconds, "cpuSeconds": time.process_time() - cpu, "loss": total, "maxRssMiB": max_rss_mib}


def matmul_gflops(threads, size=1024, repeats=20):
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):
        a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def main():
    folder = sys.argv[1]
    device = torch.device(sys.argv[sys.argv.index("--device") + 1] if "--device" in sys.argv else "cpu")
    threads = os.cpu_count() or 1
    manifest, ids, numeric, labels = load(folder)
    ids, numeric, labels = ids.to(device), numeric.to(device), labels.to(device)
    torch.set_num_threads(threads)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": threads, "device": str(device)}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "quit":
            break
        if request["op"] == "peak":
            reply = {"gflops": {"1": matmul_gflops(1), str(threads): matmul_gflops(threads)}}
            torch.set_num_threads(threads)
        else:
            reply = train(manifest, ids, numeric, labels, request["batch"], request["epochs"], request["seed"], device)
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
