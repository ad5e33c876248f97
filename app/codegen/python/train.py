"""Trains the model with PyTorch, on one process or many (torchrun), CPU or GPU.

    python train.py --data train.csv --valid valid.csv --binding binding.json --epochs 5 --batch-size 256 --out out/
    torchrun --nproc-per-node 4 train.py --data train.csv --valid valid.csv --binding binding.json --out out/

Under torchrun every process trains a replica (DistributedDataParallel: gloo on CPU, nccl on GPU)
on its share of each epoch (DistributedSampler); gradients are averaged, so the replicas stay
equal. Process 0 evaluates the validation file after each epoch (per-task loss and AUC), writes
metrics.csv (Towerflow's columns), a checkpoint per epoch, and at the end model.pt, encoders.json,
binding.json, summary.json and log.txt in --out: 'python predict.py --checkpoint <out>' predicts
with them, and 'python to_towerflow.py --checkpoint <out> --out <run folder>' writes them as a
Towerflow run, which 'towerflow predict' and the app's Runs view open.

Encoders are fitted on the training file with Towerflow's rules (data.py); --encoders reuses the
encoders.json of a Towerflow run instead, so both see identical inputs. The losses are the graph's:
binary cross-entropy (or MSE) per output with a label, weighted by the graph's loss weights
(--loss-weights overrides them), plus the graph's L2 penalties; Adam, as Towerflow trains.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from data import DataError, encode_file, fit_encoders, read_json
from model import GRAPH_NAME, INPUTS, OUTPUTS, Model, l2_penalty

# metrics.csv's columns, as a Towerflow run writes them: a row per epoch, split and task.
METRIC_COLUMNS = ["epoch", "split", "task", "loss", "auc", "logloss", "gauc", "mse"]


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Exact ROC AUC, ties counted half (Mann-Whitney U); None without both classes."""
    positive = labels > 0.5
    n_pos = int(positive.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    _, first, counts = np.unique(scores[order], return_index=True, return_counts=True)
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def task_loss(output: dict, prediction: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    prediction = prediction.reshape(-1)
    if output["loss"] == "mse":
        return F.mse_loss(prediction, label)
    # tfjs clips probabilities to [1e-7, 1 - 1e-7] before the logarithm; so does this.
    return F.binary_cross_entropy(prediction.clamp(1e-7, 1 - 1e-7), label)


def batch_of(arrays: dict[str, np.ndarray], index: np.ndarray, device: torch.device) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(values[index]).to(device) for name, values in arrays.items()}


def evaluate(model: Model, inputs: dict, labels: dict, device: torch.device, batch_size: int) -> dict[str, dict]:
    """Per-task loss and AUC on a whole split."""
    model.eval()
    rows = len(next(iter(labels.values())))
    predictions: dict[str, list[np.ndarray]] = {o["name"]: [] for o in OUTPUTS}
    with torch.no_grad():
        for start in range(0, rows, batch_size):
            index = np.arange(start, min(rows, start + batch_size))
            for name, p in model(batch_of(inputs, index, device)).items():
                predictions[name].append(p.reshape(-1).cpu().numpy())
    model.train()
    metrics = {}
    for output in OUTPUTS:
        if output["name"] not in labels:
            continue
        p = np.concatenate(predictions[output["name"]])
        y = labels[output["name"]]
        loss = task_loss(output, torch.from_numpy(p), torch.from_numpy(y)).item()
        if output["loss"] == "mse":
            metrics[output["name"]] = {"loss": loss, "auc": None, "mse": loss}
        else:
            metrics[output["name"]] = {"loss": loss, "auc": auc(y, p), "logloss": loss}
    return metrics


def now() -> str:
    """The time as Towerflow's run folders write it: UTC, ISO 8601 with milliseconds."""
    seconds = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


def parse_loss_weights(text: str | None) -> dict[str, float]:
    weights = {o["name"]: float(o["loss_weight"]) for o in OUTPUTS if o["label"] is not None}
    for part in filter(None, (text or "").split(",")):
        name, _, value = part.partition("=")
        if name not in weights:
            raise SystemExit(f"train.py: --loss-weights names {name!r}; the trained outputs are {', '.join(weights)}")
        weights[name] = float(value)
    return weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="training file (CSV/TSV, gzip or not, or .parquet)")
    parser.add_argument("--valid", help="validation file, evaluated by process 0 after each epoch")
    parser.add_argument("--binding", required=True, help="the dataset binding (JSON), as Towerflow takes it")
    parser.add_argument("--encoders", help="encoders.json of a Towerflow run, instead of fitting them on --data")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256, help="rows per step on each process")
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--loss-weights", help="task=weight,... overriding the graph's loss weights")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", required=True, help="folder for checkpoints, model.pt, metrics.csv, summary.json")
    parser.add_argument("--torchrec", action="store_true", help="shard the embedding tables with TorchRec (see README)")
    args = parser.parse_args(argv)

    world = int(os.environ.get("WORLD_SIZE", "1"))
    distributed = world > 1
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if distributed else 0
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    log: list[str] = []

    def say(line: str) -> None:
        """Process 0 prints the line and keeps it for log.txt; the others stay quiet."""
        if rank == 0:
            print(line)
            log.append(f"{now()} {line}")

    started_at = now()

    torchrec = None
    if args.torchrec and not distributed:
        say("--torchrec shards the tables across processes, and this is one: start it with torchrun; training with nn.Embedding")
    elif args.torchrec:
        try:
            import torchrec_tables as torchrec
        except (ImportError, OSError) as error:  # fbgemm raises OSError when its library does not load
            say(f"--torchrec: TorchRec does not load here ({type(error).__name__}: {error}); "
                "falling back to nn.Embedding under DDP (see the README for the versions that load together)")

    binding = read_json(args.binding)
    try:
        # Every process fits the same encoders from the same file (deterministic), so none waits for another.
        encoders = read_json(args.encoders) if args.encoders else fit_encoders(args.data, binding, INPUTS, OUTPUTS)
        train_x, train_y = encode_file(args.data, binding, encoders, INPUTS, with_labels=True)
        # Sharded tables answer only when every process asks, so under TorchRec every process evaluates.
        evaluates = rank == 0 or torchrec is not None
        valid = encode_file(args.valid, binding, encoders, INPUTS, with_labels=True) if args.valid and evaluates else None
    except DataError as error:
        print(f"train.py: {error}", file=sys.stderr)
        return 1
    loss_weights = parse_loss_weights(args.loss_weights)
    rows = len(next(iter(train_y.values())))

    torch.manual_seed(args.seed)  # every process starts from the same weights (DDP also broadcasts them)
    model = Model().to(device)
    parameters = sum(p.numel() for p in model.parameters())
    sharded = torchrec.shard(model, device, args.lr) if torchrec is not None else None
    if sharded is not None and sharded.tables:
        say(sharded.description)
        trained, optimizer = sharded.model, sharded.optimizer
    else:
        if sharded is not None:
            say("--torchrec: the model has no private embedding tables to shard (shared tables stay nn.Embedding): DDP")
            sharded = None
        trained = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None) if distributed else model
        optimizer = torch.optim.Adam(trained.parameters(), lr=args.lr, eps=1e-7)  # tfjs Adam's epsilon

    def full_state() -> dict | None:
        """model.py's state dict on process 0 (the sharded tables gathered there); every process calls it."""
        return torchrec.full_state_dict(sharded) if sharded is not None else (model.state_dict() if rank == 0 else None)
    sampler = DistributedSampler(range(rows), num_replicas=world, rank=rank, shuffle=True, seed=args.seed) if distributed else None
    out = Path(args.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    engine = f"PyTorch {torch.__version__}, " + (
        f"{world} processes ({'nccl' if cuda else 'gloo'} on {device.type})" if distributed else f"one process on {device}")
    say(f"{GRAPH_NAME}: {parameters} parameters, {rows} training rows; {engine}")

    metrics_rows: list[dict] = []
    samples_per_second = 0.0
    generator = np.random.default_rng(args.seed)
    for epoch in range(1, args.epochs + 1):
        started = time.time()
        if sampler is not None:
            sampler.set_epoch(epoch)
            order = np.fromiter(iter(sampler), dtype=np.int64)
        else:
            order = generator.permutation(rows)
        total, steps = 0.0, 0
        task_totals = dict.fromkeys(loss_weights, 0.0)
        for start in range(0, len(order), args.batch_size):
            index = order[start:start + args.batch_size]
            predictions = trained(batch_of(train_x, index, device))
            losses = {
                o["name"]: task_loss(o, predictions[o["name"]], torch.from_numpy(train_y[o["name"]][index]).to(device))
                for o in OUTPUTS if o["name"] in loss_weights
            }
            loss = sum(loss_weights[name] * value for name, value in losses.items()) + l2_penalty(model).to(device)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            for name, value in losses.items():
                task_totals[name] += value.item()
            steps += 1
        seconds = time.time() - started
        samples_per_second = len(order) * world / max(seconds, 1e-9)
        line = f"epoch {epoch}/{args.epochs}: train loss {total / max(steps, 1):.4f}, {seconds:.1f} s, {samples_per_second:.0f} samples/s"
        for name, value in task_totals.items():
            metrics_rows.append({"epoch": epoch, "split": "train", "task": name, "loss": value / max(steps, 1)})
        if valid is not None:
            scores = evaluate(model, valid[0], valid[1], device, 4096)
            for name, m in scores.items():
                metrics_rows.append({"epoch": epoch, "split": "valid", "task": name, **m})
            line += "; " + ", ".join(f"{n} AUC {m['auc']:.4f}" if m["auc"] is not None else f"{n} loss {m['loss']:.4f}" for n, m in scores.items())
        say(line)
        state = full_state()
        if state is not None:
            # The optimizer's state too, except TorchRec's fused one, which stays in its shards.
            extra = {"optimizer": optimizer.state_dict()} if sharded is None else {}
            torch.save({"epoch": epoch, "model": state, **extra}, out / f"checkpoint-{epoch}.pt")

    identical = None
    if distributed:
        # Each replica's parameters and buffers as one vector; process 0 compares them.
        # Under TorchRec only the data-parallel part is replicated: the tables live in one process each.
        replicated = torchrec.dense_state(sharded) if sharded is not None else model.state_dict()
        flat = torch.cat([v.detach().float().reshape(-1) for v in replicated.values()]).to(device)
        gathered = [torch.empty_like(flat) for _ in range(world)]
        dist.all_gather(gathered, flat)
        identical = max(float((g - gathered[0]).abs().max()) for g in gathered)
        say(f"weights of the {world} processes: max |difference| {identical}")
    state = full_state()
    if state is not None:
        torch.save(state, out / "model.pt")
        (out / "encoders.json").write_text(json.dumps(encoders), encoding="utf-8")
        (out / "binding.json").write_text(json.dumps(binding, indent=2), encoding="utf-8")
        with open(out / "metrics.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS, restval="")
            writer.writeheader()
            writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in metrics_rows)
        last = {r["task"]: {k: v for k, v in r.items() if k not in ("epoch", "split", "task")}
                for r in metrics_rows if r["epoch"] == args.epochs and r["split"] == "valid"}
        summary = {
            "graph": GRAPH_NAME, "epochs": args.epochs, "processes": world, "device": device.type,
            "engine": engine + (", embedding tables sharded by TorchRec" if sharded is not None else ""), "torchrec": sharded is not None,
            "trainRows": rows, "validRows": len(next(iter(valid[1].values()))) if valid and valid[1] else 0,
            "data": {"train": str(Path(args.data).resolve()), **({"valid": str(Path(args.valid).resolve())} if args.valid else {})},
            "options": {"optimizer": "adam", "learningRate": args.lr, "batchSize": args.batch_size * world, "epochs": args.epochs,
                        "seed": args.seed, "lossWeights": loss_weights},
            "samplesPerSecond": samples_per_second, "valid": last, "maxWeightDifference": identical,
            "startedAt": started_at, "finishedAt": now(),
        }
        (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        say(f"saved {out}: 'python to_towerflow.py --checkpoint {out} --out <run folder>' writes it as a Towerflow run")
        (out / "log.txt").write_text("".join(f"{line}\n" for line in log), encoding="utf-8")
    if distributed:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
