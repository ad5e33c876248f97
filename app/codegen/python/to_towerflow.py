"""Writes a train.py checkpoint as a Towerflow run folder, which 'towerflow predict' and the app open.

    python to_towerflow.py --checkpoint out/ --out ../runs/mmoe-pytorch
    python to_towerflow.py --checkpoint out/ --epoch 2 --out ../runs/mmoe-pytorch-epoch-2

The run folder holds what a run trained in Towerflow holds: graph.json (the graph this package was
exported from), binding.json and encoders.json (train.py's, so Towerflow encodes new files as
train.py did), metrics.csv, log.txt, summary.json, and model/ in tfjs layers format: model.json
(the compiled tfjs topology, tfjs_model.json) and weights.bin with every weight in the manifest's
order, little-endian float32, dense kernels transposed back to tfjs's [in, out] (TFJS_WEIGHTS).

The folder is written under a temporary name and renamed at the end, so no half-written run
appears in Towerflow's runs list; an existing --out is never replaced.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from model import GRAPH_NAME, TFJS_WEIGHTS

HERE = Path(__file__).resolve().parent


class RunFolderError(Exception):
    """A problem writing the run, with a stable code and the file it concerns."""

    def __init__(self, code: str, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{str(self.path) + ': ' if self.path is not None else ''}{self.message} [{self.code}]"


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError("E_RUN_MISSING_FILE", "not found: is this a train.py --out folder?", path) from None
    except json.JSONDecodeError as error:
        raise RunFolderError("E_RUN_BAD_JSON", f"not valid JSON ({error.msg}, line {error.lineno})", path) from None


def load_state(checkpoint: Path, epoch: int | None) -> dict[str, torch.Tensor]:
    """model.pt, or checkpoint-<epoch>.pt (which also holds the optimizer's state)."""
    file = checkpoint / ("model.pt" if epoch is None else f"checkpoint-{epoch}.pt")
    if not file.is_file():
        raise RunFolderError("E_RUN_MISSING_FILE", "not found: is this a train.py --out folder (or that epoch's checkpoint)?", file)
    try:
        saved = torch.load(file, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as error:
        raise RunFolderError("E_RUN_BAD_CHECKPOINT", f"cannot read it ({error})", file) from None
    return saved if epoch is None else saved["model"]


def tfjs_weights(state: dict[str, torch.Tensor], manifest: list[dict], checkpoint: Path) -> bytes:
    """The weights in the manifest's order as tfjs's weights.bin holds them (little-endian float32)."""
    parts = []
    for spec in manifest:
        if spec["name"] not in TFJS_WEIGHTS:
            raise RunFolderError("E_RUN_GRAPH_MISMATCH", f"tfjs_model.json names weight {spec['name']!r} that model.py does not: export the package again", HERE)
        key, transpose = TFJS_WEIGHTS[spec["name"]]
        if key not in state:
            raise RunFolderError("E_RUN_GRAPH_MISMATCH", f"the checkpoint has no {key}: it was not trained from this package's model.py", checkpoint)
        value = state[key].detach().to(torch.float32).cpu().numpy()
        if transpose:
            value = value.T
        if list(value.shape) != list(spec["shape"]):
            raise RunFolderError("E_RUN_GRAPH_MISMATCH", f"{key} is {list(value.shape)} but tfjs weight {spec['name']!r} is {spec['shape']}", checkpoint)
        parts.append(np.ascontiguousarray(value, dtype="<f4").tobytes())
    return b"".join(parts)


def read_metrics(file: Path, epoch: int) -> list[dict[str, str]]:
    """metrics.csv's rows up to epoch (train.py writes Towerflow's columns)."""
    if not file.is_file():
        return []
    with open(file, newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if int(row["epoch"]) <= epoch]


def best_of(rows: list[dict[str, str]], epoch: int, loss_weights: dict[str, float]) -> dict | None:
    """summary.json's "best": the validation metrics at epoch, and their loss weighted as in training."""
    tasks = {}
    for row in rows:
        if int(row["epoch"]) == epoch and row["split"] == "valid":
            tasks[row["task"]] = {k: float(row[k]) for k in ("loss", "auc", "logloss", "gauc", "mse") if row.get(k, "") != ""}
    if not tasks:
        return None
    return {"loss": sum(loss_weights.get(name, 1.0) * m["loss"] for name, m in tasks.items()), "tasks": tasks}


def write_run(checkpoint: Path, out: Path, epoch: int | None) -> Path:
    if out.exists():
        raise RunFolderError("E_RUN_EXISTS", "already exists; give a new folder (a run is never replaced)", out)
    trained = read_json(checkpoint / "summary.json")
    missing = [k for k in ("epochs", "engine", "options", "data", "trainRows", "validRows", "samplesPerSecond", "startedAt") if k not in trained]
    if missing:
        raise RunFolderError("E_RUN_OLD_CHECKPOINT", f"has no {missing[0]!r}: train it again with this package's train.py", checkpoint / "summary.json")
    epochs = int(trained["epochs"]) if epoch is None else epoch
    if not 1 <= epochs <= int(trained["epochs"]):
        raise RunFolderError("E_RUN_NO_EPOCH", f"train.py ran epochs 1 to {trained['epochs']}, not {epoch}", checkpoint)
    state = load_state(checkpoint, epoch)
    template = read_json(HERE / "tfjs_model.json")
    manifest = template["weightsManifest"][0]["weights"]
    weights = tfjs_weights(state, manifest, checkpoint)
    binding = read_json(checkpoint / "binding.json")
    encoders = read_json(checkpoint / "encoders.json")
    rows = read_metrics(checkpoint / "metrics.csv", epochs)
    options = dict(trained["options"], epochs=epochs)
    # model.pt holds the best epoch's weights (train.py picks it as the app does); a checkpoint its own epoch's.
    best_epoch = int(trained.get("bestEpoch", epochs)) if epoch is None else epochs
    best = best_of(rows, best_epoch, options.get("lossWeights", {}))
    seconds = time.time()
    finished = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"
    source = f"checkpoint-{epoch}.pt" if epoch is not None else "model.pt"
    summary = {
        "format": "towerflow.run",
        "version": 1,
        "graph": GRAPH_NAME,
        "dir": str(out.resolve()),
        "backend": "pytorch",
        "backendNote": f"trained by train.py: {trained['engine']}",
        "stopReason": "completed",
        "message": f"trained {epochs} epoch{'s' if epochs != 1 else ''} with PyTorch; written back from {source} by to_towerflow.py",
        "bestEpoch": best_epoch,
        "epochsRun": epochs,
        **({"best": best} if best else {}),
        "samplesPerSecond": trained["samplesPerSecond"],
        "trainRows": trained["trainRows"],
        "validRows": trained["validRows"],
        "parameters": sum(int(np.prod(spec["shape"], dtype=np.int64)) for spec in manifest),
        "options": options,
        "data": {**trained["data"], "validationShare": 0},
        "startedAt": trained["startedAt"],
        "finishedAt": finished,
    }
    log = (checkpoint / "log.txt").read_text(encoding="utf-8") if (checkpoint / "log.txt").is_file() else ""

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        (partial / "model").mkdir(parents=True)
        shutil.copyfile(HERE / "graph.json", partial / "graph.json")
        (partial / "binding.json").write_text(json.dumps(binding, indent=2) + "\n", encoding="utf-8")
        (partial / "encoders.json").write_text(json.dumps(encoders), encoding="utf-8")
        with open(partial / "metrics.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["epoch", "split", "task", "loss", "auc", "logloss", "gauc", "mse"], restval="", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        (partial / "log.txt").write_text(f"{log}{finished} {summary['message']}\n", encoding="utf-8")
        (partial / "model" / "weights.bin").write_bytes(weights)
        (partial / "model" / "model.json").write_text(json.dumps(template), encoding="utf-8")
        (partial / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        partial.rename(out)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise RunFolderError("E_RUN_WRITE", f"cannot write the run ({error.strerror or error})", out) from None
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="a train.py --out folder (model.pt, encoders.json, binding.json, summary.json)")
    parser.add_argument("--epoch", type=int, help="write checkpoint-<epoch>.pt instead of the final model.pt")
    parser.add_argument("--out", required=True, help="the run folder to make, e.g. <your Towerflow workspace>/runs/<name>")
    args = parser.parse_args(argv)
    try:
        out = write_run(Path(args.checkpoint), Path(args.out), args.epoch)
    except RunFolderError as error:
        print(f"to_towerflow.py: {error}", file=sys.stderr)
        return 1
    print(f"wrote the Towerflow run {out}: towerflow predict {out} --data new.csv, or open it in the app's Runs view")
    return 0


if __name__ == "__main__":
    sys.exit(main())
