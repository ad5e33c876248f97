"""The per-template PyTorch peer of `npm run bench -- --templates`.

For each template the bench exports Towerflow's own PyTorch package (model.py: the same layers and
math as the compiled tfjs model) and writes the encoded training arrays Towerflow trains on. This
process imports that model.py and trains it on those arrays with the losses train.py uses (binary
cross-entropy on clipped probabilities, or MSE, weighted by the graph's loss weights, plus
l2_penalty) and Adam with tfjs's epsilon. The arrays are torch tensors before the clock starts, and
a step only indexes them, so the figure is the engine's, not Python's data handling.

One JSON request per line on stdin, one reply per line on stdout:

  {"op": "load", "name": "mmoe", "folder": "..."}                   ->  {"parameters": ...}
  {"op": "train", "name": "mmoe", "batch": 512, "epochs": 1, "seed": 1}  ->  {"samplesPerSecond": ..., "samplesPerCpuSecond": ..., ...}
  {"op": "quit"}
"""

import importlib.util
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"int32": np.int32, "float32": np.float32}


def load(name, folder):
    spec = importlib.util.spec_from_file_location(f"towerflow_model_{name}", os.path.join(folder, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(os.path.join(folder, "arrays.json")) as f:
        manifest = json.load(f)
    rows = manifest["rows"]

    def read(entry):
        values = np.fromfile(os.path.join(folder, entry["file"]), dtype=DTYPES[entry["dtype"]]).reshape(rows, *entry["shape"])
        # model.py takes ids as int64, as data.py encodes them.
        return torch.from_numpy(values.astype(np.int64) if entry["dtype"] == "int32" else values)

    inputs = {entry["name"]: read(entry) for entry in manifest["inputs"]}
    labels = {entry["name"]: read(entry) for entry in manifest["labels"]}
    return {"module": module, "inputs": inputs, "labels": labels, "rows": rows, "learningRate": manifest["learningRate"]}


def task_loss(output, prediction, label):
    prediction = prediction.reshape(-1)
    if output["loss"] == "mse":
        return F.mse_loss(prediction, label)
    return F.binary_cross_entropy(prediction.clamp(1e-7, 1 - 1e-7), label)


def train(loaded, batch, epochs, seed):
    module = loaded["module"]
    torch.manual_seed(seed)
    model = module.Model()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=loaded["learningRate"], eps=1e-7)
    tasks = [o for o in module.OUTPUTS if o["name"] in loaded["labels"]]
    inputs, labels, rows = loaded["inputs"], loaded["labels"], loaded["rows"]
    cpu = time.process_time()
    started = time.perf_counter()
    last = torch.zeros(())
    for _ in range(epochs):
        order = torch.randperm(rows)
        for start in range(0, rows, batch):
            index = order[start:start + batch]
            predictions = model({name: values[index] for name, values in inputs.items()})
            loss = sum(float(o["loss_weight"]) * task_loss(o, predictions[o["name"]], labels[o["name"]][index].reshape(-1)) for o in tasks)
            loss = loss + module.l2_penalty(model)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            last = loss.detach()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    return {
        "samplesPerSecond": rows * epochs / seconds,
        # Per CPU second of all its threads: under a loaded machine a two-thread process gets two shares.
        "samplesPerCpuSecond": rows * epochs / max(cpu_seconds, 1e-9),
        "loss": float(last),
        # ru_maxrss is KiB on Linux: this process's peak so far.
        "maxRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main():
    loaded = {}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "quit":
            break
        if request["op"] == "load":
            loaded[request["name"]] = load(request["name"], request["folder"])
            model = loaded[request["name"]]["module"].Model()
            reply = {"parameters": sum(p.numel() for p in model.parameters())}
        else:
            reply = train(loaded[request["name"]], request["batch"], request["epochs"], request["seed"])
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
