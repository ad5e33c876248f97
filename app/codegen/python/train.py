"""Trains the model with PyTorch, on one process or many (torchrun), CPU or GPU.

    python train.py --data train.csv --valid valid.csv --binding binding.json --epochs 5 --batch-size 256 --out out/
    python fit_encoders.py --data train.csv --binding binding.json --out encoders.json
    torchrun --nproc-per-node 4 train.py --data train.csv --encoders encoders.json --valid valid.csv --binding binding.json --out out/
    python train.py --data train.csv --valid valid.csv --binding binding.json --epochs 5 --resume out/

Under torchrun every process trains a replica (DistributedDataParallel: gloo on CPU, nccl on GPU)
on the rows it reads, and only those: its part of the --data files (batches.py: whole files, or a
share of each file's rows; --data-layout per-node where each machine has files of its own); every
process takes as many steps per epoch as the one with the fewest rows, so unequal parts never leave
one waiting; gradients are averaged, so the replicas stay equal. Several processes need encoders
fitted once for all of them (--encoders: fit_encoders.py, or a Towerflow run's encoders.json). A
DataLoader's --workers gather the batches (pinned memory on CUDA). Process 0 evaluates the validation file after each epoch (per-task loss, AUC, and GAUC where
the binding names a group column), writes metrics.csv (Towerflow's columns), a checkpoint per epoch,
and at the end model.pt, encoders.json, binding.json, summary.json and log.txt in --out: 'python
predict.py --checkpoint <out>' predicts with them, and 'python to_towerflow.py --checkpoint <out>
--out <run folder>' writes them as a Towerflow run, which 'towerflow predict' and the app's Runs
view open. --resume <out> continues from the last checkpoint there: weights, optimizer, epoch, step
and random state, so on CPU the result is bit for bit the uninterrupted run's.

Encoders are fitted on the training files with Towerflow's rules (data.py) by one process;
--encoders reuses the encoders.json of fit_encoders.py or of a Towerflow run instead, so both see identical inputs. The losses are the graph's:
per output with a label, binary cross-entropy or MSE, weighted by the graph's loss weights
(--loss-weights overrides them), plus the graph's L2 penalties; Adam, as Towerflow trains. An output
that is a sigmoid's probability is trained on its logit (BCEWithLogitsLoss, exact where the
probability rounds to 0 or 1); one that is not (ESMM's pCTCVR = pCTR x pCVR, a product of
probabilities) on the probability clamped to [1e-7, 1 - 1e-7], as tfjs does. Validation metrics are
measured on the probabilities, as Towerflow measures them.

The training controls are the app's: --lr-schedule constant|cosine|step with --warmup-steps,
--min-lr, --lr-step-every, --lr-step-factor (the rate of each global step, README "Training");
--clip-norm (the global norm of all gradients); --early-stopping METRIC --patience N; --best-metric
METRIC (the app's names: loss, <task>.auc, mean.gauc, ...). As in the app, model.pt is always the best
epoch's weights, picked by early stopping's metric, else --best-metric, else the loss (validation
where there is a validation file); checkpoint-<epoch>.pt keeps every epoch's; --init-from (warm start from another train.py output); --amp (mixed
precision, CUDA only).

A failure ends with one line, 'train.py: <place>: <message> [<code>]', and exit status 1; under
torchrun the line names the rank, and the other processes stop within seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import pickle
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

import data
from batches import LAYOUTS, BatchFeed, encode_my_parts, equal_steps
from data import DataError, data_files, encode_file, fit_encoders, read_json
from model import GRAPH_NAME, INPUTS, OUTPUTS, Model, l2_penalty

# metrics.csv's columns, as a Towerflow run writes them: a row per epoch, split and task.
METRIC_COLUMNS = ["epoch", "split", "task", "loss", "auc", "logloss", "gauc", "mse"]
LR_SCHEDULES = ("constant", "cosine", "step")
# tfjs clips probabilities to [1e-7, 1 - 1e-7] before the logarithm; so does the loss on a probability.
BCE_EPSILON = 1e-7
CHECKPOINT_FORMAT = 2
# What a collective raises when another process of the group has gone (gloo: its socket closed).
PEER_FAILURE = re.compile(r"connection (closed|reset)|broken pipe|peer|timed out|NCCL", re.IGNORECASE)


class TrainError(Exception):
    """A problem with the command line or a file it names, with a stable code and the place."""

    def __init__(self, code: str, message: str, place: str | Path | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.place = place

    def __str__(self) -> str:
        return f"{str(self.place) + ': ' if self.place is not None else ''}{self.message} [{self.code}]"


# ------------------------------------------------------------------ metrics


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


def gauc(labels: np.ndarray, scores: np.ndarray, groups: np.ndarray) -> float | None:
    """Group AUC as Towerflow computes it (the DIN paper): sum_g n_g * AUC_g / sum_g n_g over the
    groups holding both classes, n_g a group's rows; None when no group holds both.

    One sort by (group, score) ranks every group at once: equal scores in a group share their mean rank.
    """
    rows = len(scores)
    if rows == 0:
        return None
    group_of = np.unique(groups, return_inverse=True)[1].reshape(-1)
    order = np.lexsort((scores, group_of))
    group, score, positive = group_of[order], scores[order], labels[order] > 0.5
    group_starts = np.ones(rows, dtype=bool)
    group_starts[1:] = group[1:] != group[:-1]
    run_starts = group_starts.copy()
    run_starts[1:] |= score[1:] != score[:-1]
    group_index = np.cumsum(group_starts) - 1
    first_row_of_group = np.flatnonzero(group_starts)[group_index]
    run_first = np.flatnonzero(run_starts)
    run_length = np.diff(np.append(run_first, rows))
    run_rank = run_first - first_row_of_group[run_first] + 1 + (run_length - 1) / 2
    rank = run_rank[np.cumsum(run_starts) - 1]
    count = group_index[-1] + 1
    n = np.bincount(group_index, minlength=count).astype(np.float64)
    n_pos = np.bincount(group_index, weights=positive, minlength=count)
    rank_pos = np.bincount(group_index, weights=rank * positive, minlength=count)
    n_neg = n - n_pos
    both = (n_pos > 0) & (n_neg > 0)
    if not both.any():
        return None
    aucs = (rank_pos[both] - n_pos[both] * (n_pos[both] + 1) / 2) / (n_pos[both] * n_neg[both])
    return float((n[both] * aucs).sum() / n[both].sum())


def task_loss(output: dict, prediction: torch.Tensor, label: torch.Tensor, logit: bool = False) -> torch.Tensor:
    """The output's loss in float32; prediction is its logit when logit is True (OUTPUTS' "logit")."""
    prediction = prediction.reshape(-1).float()
    if output["loss"] == "mse":
        return F.mse_loss(prediction, label)
    if logit:
        return F.binary_cross_entropy_with_logits(prediction, label)
    return F.binary_cross_entropy(prediction.clamp(BCE_EPSILON, 1 - BCE_EPSILON), label)


def metric_names() -> list[str]:
    """What --early-stopping can watch, as the app names them: loss, <task>.<metric>, mean.<metric>."""
    names = ["loss"]
    for o in OUTPUTS:
        if o["label"] is not None:
            names += [f"{o['name']}.{m}" for m in (("loss", "mse") if o["loss"] == "mse" else ("loss", "auc", "logloss", "gauc"))]
    return names + ["mean.auc", "mean.logloss", "mean.gauc", "mean.mse", "mean.loss"]


def metric_value(metrics: dict, name: str) -> float:
    """metrics: {"loss": total, "tasks": {task: {metric: value}}}; NaN where it has no value (as the app)."""
    if name == "loss":
        return metrics["loss"]
    task, _, metric = name.partition(".")
    if task == "mean":
        values = [m[metric] for m in metrics["tasks"].values() if m.get(metric) is not None]
        return sum(values) / len(values) if values else math.nan
    value = metrics["tasks"].get(task, {}).get(metric)
    return math.nan if value is None else value


def higher_is_better(name: str) -> bool:
    return name.endswith((".auc", ".gauc"))


# ------------------------------------------------------------------ learning rate


def full_schedule(args: argparse.Namespace) -> dict:
    """The schedule with every default written out, as Towerflow's summary.json records it (lrSchedule)."""
    if args.lr_schedule == "cosine":
        return {"type": "cosine", "warmupSteps": args.warmup_steps, "minLearningRate": args.min_lr}
    if args.lr_schedule == "step":
        return {"type": "step", "warmupSteps": args.warmup_steps, "everyEpochs": args.lr_step_every, "factor": args.lr_step_factor}
    return {"type": "constant", **({"warmupSteps": args.warmup_steps} if args.warmup_steps > 0 else {})}


def learning_rate_at(schedule: dict, lr: float, step: int, steps_per_epoch: int, total_steps: int) -> float:
    """The rate of global step t (from 0, across epochs), as Towerflow's app/train/lr-schedule.ts:
    warm-up lr * (t + 1) / W for t < W; then constant lr, cosine m + (lr - m)(1 + cos(pi (t - W) / max(1, T - W))) / 2,
    or step lr * g ** floor(e / k), e the 0-based epoch of step t."""
    warmup = schedule.get("warmupSteps", 0)
    if warmup > 0 and step < warmup:
        return lr * (step + 1) / warmup
    if schedule["type"] == "cosine":
        low = schedule["minLearningRate"]
        progress = (step - warmup) / max(1, total_steps - warmup)
        return low + 0.5 * (lr - low) * (1 + math.cos(math.pi * progress))
    if schedule["type"] == "step":
        epoch = step // max(1, steps_per_epoch)
        return lr * schedule["factor"] ** (epoch // schedule["everyEpochs"])
    return lr


# ------------------------------------------------------------------ files


def now() -> str:
    """The time as Towerflow's run folders write it: UTC, ISO 8601 with milliseconds."""
    seconds = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


def read_settings(path: str | Path, what: str) -> dict:
    """A JSON object the command line names (the binding, encoders.json), or a TrainError naming the file."""
    try:
        value = read_json(path)
    except FileNotFoundError:
        raise TrainError("E_TRAIN_MISSING_FILE", f"no such file (the {what})", path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise TrainError("E_TRAIN_UNREADABLE_FILE", f"cannot read the {what}: {error}", path) from None
    except json.JSONDecodeError as error:
        raise TrainError("E_TRAIN_BAD_JSON", f"the {what} is not valid JSON ({error.msg}, line {error.lineno} column {error.colno})", path) from None
    if not isinstance(value, dict):
        raise TrainError("E_TRAIN_BAD_JSON", f"the {what} is not a JSON object", path)
    return value


def load_state(file: Path, what: str) -> dict:
    """A file torch.save wrote (tensors, numbers, strings: weights_only), or a TrainError naming it."""
    if not file.is_file():
        raise TrainError("E_TRAIN_MISSING_FILE", f"no such file (the {what})", file)
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    # torch.load reports a file that is not a checkpoint in many ways: unpickling, zip, runtime, truncation.
    except (pickle.UnpicklingError, RuntimeError, OSError, EOFError, ValueError, KeyError, AttributeError) as error:
        raise TrainError("E_TRAIN_BAD_CHECKPOINT", f"cannot read the {what}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", file) from None
    if not isinstance(state, dict):
        raise TrainError("E_TRAIN_BAD_CHECKPOINT", f"the {what} holds no state dict", file)
    return state


def last_checkpoint(folder: Path) -> Path:
    found = []
    for path in folder.glob("checkpoint-*.pt"):
        match = re.fullmatch(r"checkpoint-(\d+)\.pt", path.name)
        if match:
            found.append((int(match.group(1)), path))
    if not found:
        raise TrainError("E_TRAIN_NO_CHECKPOINT", "no checkpoint-<epoch>.pt to resume from (is this a train.py --out folder?)", folder)
    return max(found)[1]


def save_atomically(value: object, file: Path) -> None:
    """torch.save through a temporary name, so an interrupted save never leaves a torn last checkpoint."""
    partial = file.with_name(file.name + ".partial")
    torch.save(value, partial)
    os.replace(partial, file)


def init_from(model: Model, source: str) -> tuple[Path, list[str], list[str]]:
    """Loads the tensors of a train.py output (its model.pt, or a checkpoint) that match model's by name and
    shape; returns the file, the names loaded and the names left as Model() made them."""
    path = Path(source)
    file = path / "model.pt" if path.is_dir() else path
    state = load_state(file, "--init-from weights")
    if isinstance(state.get("model"), dict):
        state = state["model"]  # a checkpoint-<epoch>.pt
    own = model.state_dict()
    matching = {k: v for k, v in state.items() if k in own and isinstance(v, torch.Tensor) and tuple(v.shape) == tuple(own[k].shape)}
    if not matching:
        raise TrainError("E_TRAIN_INIT_NOTHING_MATCHES", f"none of its {len(state)} tensors matches this model's by name and shape", file)
    model.load_state_dict({**own, **matching})
    return file, sorted(matching), [k for k in own if k not in matching]


# ------------------------------------------------------------------ processes


@dataclass
class Processes:
    world: int
    rank: int
    local_rank: int
    device: torch.device
    threads: int = field(default=0)

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def name(self) -> str:
        return f"train.py (rank {self.rank} of {self.world})" if self.distributed else "train.py"


def start_processes() -> Processes:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available()
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    # Intra-op threads: the launcher's OMP_NUM_THREADS where set (torchrun sets 1 per process unless
    # told otherwise); else, on CPU with several processes, one each, as each would take every core.
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        torch.set_num_threads(int(threads))
    elif world > 1 and not cuda:
        torch.set_num_threads(1)
    return Processes(world, dist.get_rank() if world > 1 else 0, local_rank, device, torch.get_num_threads())


def stop(processes: Processes, line: str) -> int:
    # One write of the whole line, so the lines of several ranks sharing a stderr never interleave.
    sys.stderr.write(f"{line}\n")
    sys.stderr.flush()
    if processes.distributed:
        sys.stdout.flush()
        # At once, without waiting in a collective the others may never join: their connections to
        # this process close, so they stop too (and torchrun ends the rest of the group).
        os._exit(1)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    processes = start_processes()
    try:
        return train(args, processes)
    except (TrainError, DataError) as error:
        return stop(processes, f"{processes.name}: {error}")
    except RuntimeError as error:
        if processes.distributed and PEER_FAILURE.search(str(error)):
            # gloo's message: "[<source file>:<line>] Read error [<peer>]: Connection reset by peer. This is typically ..."
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            reason = re.sub(r"^\[[^\]]*\.(cc|cpp|h):\d+\]\s*", "", first).split(". ")[0]
            return stop(processes, f"{processes.name}: stopped: another process of the group failed ({reason}) [E_TRAIN_PEER_FAILED]")
        raise


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, nargs="+",
                        help="training files or glob patterns (CSV/TSV, gzip or not, or .parquet): --data a.csv b.csv; under torchrun each process reads its part")
    parser.add_argument("--data-layout", choices=LAYOUTS, default="shared",
                        help="shared: every process is given the same --data; per-node: each machine its own (split across its processes)")
    parser.add_argument("--workers", type=int, help="DataLoader worker processes gathering batches (default: 0 on CPU, 2 on CUDA; see batches.py)")
    parser.add_argument("--valid", help="validation file, evaluated by process 0 after each epoch")
    parser.add_argument("--binding", required=True, help="the dataset binding (JSON), as Towerflow takes it")
    parser.add_argument("--encoders", help="encoders.json of a Towerflow run, instead of fitting them on --data")
    parser.add_argument("--epochs", type=int, default=5, help="epochs in all (with --resume: including those done)")
    parser.add_argument("--batch-size", type=int, default=256, help="rows per step on each process")
    parser.add_argument("--lr", type=float, default=0.001, help="the base learning rate")
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES, default="constant")
    parser.add_argument("--warmup-steps", type=int, default=0, help="W: steps t < W run at lr * (t + 1) / W")
    parser.add_argument("--min-lr", type=float, default=0.0, help="m: where the cosine schedule ends")
    parser.add_argument("--lr-step-every", type=int, default=1, help="k: the step schedule multiplies the rate by g every k epochs")
    parser.add_argument("--lr-step-factor", type=float, default=0.5, help="g: the step schedule's factor")
    parser.add_argument("--clip-norm", type=float, help="clip the global norm of all gradients to this before each step")
    parser.add_argument("--early-stopping", metavar="METRIC", help="stop when METRIC (loss, <task>.auc, mean.gauc, ...) has not improved for --patience epochs")
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--best-metric", metavar="METRIC",
                        help="the metric that picks the best epoch, whose weights become model.pt (default: the validation loss; --early-stopping's metric wins)")
    parser.add_argument("--loss-weights", help="task=weight,... overriding the graph's loss weights")
    parser.add_argument("--init-from", help="a train.py --out folder or checkpoint: start from its tensors that match by name and shape")
    parser.add_argument("--resume", help="a train.py --out folder: continue from its last checkpoint (--out defaults to it)")
    parser.add_argument("--amp", action="store_true", help="mixed precision on CUDA (bfloat16 where the GPU has it, else float16 with loss scaling)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", help="folder for checkpoints, model.pt, metrics.csv, summary.json")
    parser.add_argument("--torchrec", action="store_true", help="shard the embedding tables with TorchRec (see README)")
    args = parser.parse_args(argv)
    if args.out is None:
        if args.resume is None:
            parser.error("the following arguments are required: --out")
        args.out = args.resume
    return args


def check_options(args: argparse.Namespace, processes: Processes) -> None:
    positive_ints = {"--epochs": args.epochs, "--batch-size": args.batch_size, "--lr-step-every": args.lr_step_every, "--patience": args.patience}
    for flag, value in positive_ints.items():
        if value < 1:
            raise TrainError("E_TRAIN_BAD_OPTION", f"{flag} must be at least 1, not {value}")
    if args.warmup_steps < 0:
        raise TrainError("E_TRAIN_BAD_OPTION", f"--warmup-steps must be 0 or more, not {args.warmup_steps}")
    for flag, value in {"--lr": args.lr, "--lr-step-factor": args.lr_step_factor}.items():
        if not (math.isfinite(value) and value > 0):
            raise TrainError("E_TRAIN_BAD_OPTION", f"{flag} must be a positive number, not {value}")
    if not (math.isfinite(args.min_lr) and 0 <= args.min_lr <= args.lr):
        raise TrainError("E_TRAIN_BAD_OPTION", f"--min-lr must be between 0 and --lr ({args.lr}), not {args.min_lr}")
    if args.clip_norm is not None and not (math.isfinite(args.clip_norm) and args.clip_norm > 0):
        raise TrainError("E_TRAIN_BAD_OPTION", f"--clip-norm must be a positive number, not {args.clip_norm}")
    if args.early_stopping is not None and args.early_stopping not in metric_names():
        raise TrainError("E_TRAIN_BAD_OPTION", f"--early-stopping {args.early_stopping!r} is not a metric of this model; one of: {', '.join(metric_names())}")
    if args.best_metric is not None and args.best_metric not in metric_names():
        raise TrainError("E_TRAIN_BAD_OPTION", f"--best-metric {args.best_metric!r} is not a metric of this model; one of: {', '.join(metric_names())}")
    if args.resume is not None and args.init_from is not None:
        raise TrainError("E_TRAIN_BAD_OPTION", "--resume continues a run with its own weights; --init-from starts a new one: give one of them")
    if args.workers is not None and args.workers < 0:
        raise TrainError("E_TRAIN_BAD_OPTION", f"--workers must be 0 or more, not {args.workers}")
    if processes.distributed and args.encoders is None and args.resume is None:
        raise TrainError("E_TRAIN_NEEDS_ENCODERS", f"{processes.world} processes must encode with the same encoders, fitted once: run "
                         "'python fit_encoders.py --data <the training files> --binding <binding> --out encoders.json' and pass --encoders encoders.json")
    if args.amp and not processes.cuda:
        raise TrainError("E_TRAIN_AMP_NEEDS_CUDA", "--amp is mixed precision on a CUDA GPU and this process has none: train without --amp (float32 on CPU)")


def parse_loss_weights(text: str | None) -> dict[str, float]:
    weights = {o["name"]: float(o["loss_weight"]) for o in OUTPUTS if o["label"] is not None}
    for part in filter(None, (text or "").split(",")):
        name, _, value = part.partition("=")
        if name not in weights:
            raise TrainError("E_TRAIN_BAD_OPTION", f"--loss-weights names {name!r}; the trained outputs are {', '.join(weights)}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise TrainError("E_TRAIN_BAD_OPTION", f"--loss-weights gives {name} the weight {value!r}, not a number") from None
    return weights


# ------------------------------------------------------------------ training


def to_device(arrays: dict[str, np.ndarray], index: np.ndarray, device: torch.device) -> dict[str, torch.Tensor]:
    """The batch's rows of every array, moved together: on CUDA from pinned memory, without blocking the host."""
    batch = {name: torch.from_numpy(values[index]) for name, values in arrays.items()}
    if device.type == "cpu":
        return batch
    return {name: tensor.pin_memory().to(device, non_blocking=True) for name, tensor in batch.items()}


def evaluate(model: Model, inputs: dict, labels: dict, groups: np.ndarray | None, device: torch.device, batch_size: int, loss_weights: dict[str, float]) -> dict:
    """Per-task loss, AUC and GAUC (or MSE) on a whole split, on the probabilities; "loss" is their weighted sum."""
    model.eval()
    rows = len(next(iter(labels.values())))
    predictions: dict[str, list[np.ndarray]] = {o["name"]: [] for o in OUTPUTS}
    with torch.no_grad():
        for start in range(0, rows, batch_size):
            index = np.arange(start, min(rows, start + batch_size))
            for name, p in model(to_device(inputs, index, device)).items():
                predictions[name].append(p.reshape(-1).float().cpu().numpy())
    model.train()
    tasks = {}
    for output in OUTPUTS:
        if output["name"] not in labels:
            continue
        p = np.concatenate(predictions[output["name"]])
        y = labels[output["name"]]
        loss = task_loss(output, torch.from_numpy(p), torch.from_numpy(y)).item()
        if output["loss"] == "mse":
            tasks[output["name"]] = {"loss": loss, "auc": None, "mse": loss}
        else:
            tasks[output["name"]] = {"loss": loss, "auc": auc(y, p), "logloss": loss, **({"gauc": gauc(y, p, groups)} if groups is not None else {})}
    return {"loss": sum(loss_weights.get(name, 0.0) * m["loss"] for name, m in tasks.items()), "tasks": tasks}


def describe_metrics(tasks: dict) -> str:
    parts = []
    for name, m in tasks.items():
        if m.get("auc") is not None:
            parts.append(f"{name} AUC {m['auc']:.4f}" + (f" GAUC {m['gauc']:.4f}" if m.get("gauc") is not None else ""))
        else:
            parts.append(f"{name} loss {m['loss']:.4f}")
    return ", ".join(parts)


def random_state(generator: np.random.Generator) -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": generator.bit_generator.state}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_random_state(state: dict, generator: np.random.Generator) -> None:
    torch.set_rng_state(state["torch"])
    generator.bit_generator.state = state["numpy"]
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def train(args: argparse.Namespace, processes: Processes) -> int:
    check_options(args, processes)
    rank, world, device, distributed, cuda = processes.rank, processes.world, processes.device, processes.distributed, processes.cuda
    log: list[str] = []

    def say(line: str) -> None:
        """Process 0 prints the line and keeps it for log.txt; the others stay quiet."""
        if rank == 0:
            print(line, flush=True)
            log.append(f"{now()} {line}")

    started_at = now()
    resumed = None
    if args.resume is not None:
        resumed_file = last_checkpoint(Path(args.resume))
        resumed = load_state(resumed_file, "checkpoint to resume from")
        if resumed.get("format") != CHECKPOINT_FORMAT or ("optimizer" not in resumed and not resumed.get("sharded")):
            raise TrainError("E_TRAIN_BAD_CHECKPOINT", "this checkpoint cannot be resumed: it has no optimizer or random state (written by an older train.py); "
                             "--init-from starts a new run from its weights", resumed_file)
        if resumed.get("sharded") and not (args.torchrec and world == resumed.get("processes")):
            raise TrainError("E_TRAIN_BAD_CHECKPOINT", f"its tables and their optimizer state are in TorchRec's shards, one file per process: resume with --torchrec "
                             f"under torchrun with {resumed.get('processes')} processes, or start a new run from its weights with --init-from", resumed_file)
        log.extend(resumed.get("log", []))
        started_at = resumed.get("startedAt", started_at)

    torchrec = None
    if args.torchrec and not distributed:
        say("--torchrec shards the tables across processes, and this is one: start it with torchrun; training with nn.Embedding")
    elif args.torchrec:
        try:
            import torchrec_tables as torchrec
        except (ImportError, OSError) as error:  # fbgemm raises OSError when its library does not load
            say(f"--torchrec: TorchRec does not load here ({type(error).__name__}: {error}); "
                "falling back to nn.Embedding under DDP (see the README for the versions that load together)")

    binding = read_settings(args.binding, "dataset binding")
    # A resumed run encodes with the encoders it was trained with, whatever --data now holds.
    if args.encoders:
        encoders = read_settings(args.encoders, "encoders")
    elif resumed is not None and isinstance(resumed.get("encoders"), dict):
        encoders = resumed["encoders"]
    else:
        encoders = None
    try:
        # One process (check_options refuses several without --encoders) fits on all of --data.
        if encoders is None:
            encoders = fit_encoders(data_files(args.data), binding, INPUTS, OUTPUTS)
        train_x, train_y = encode_my_parts(args.data, args.data_layout, rank, world, binding, encoders, INPUTS)
        # Sharded tables answer only when every process asks, so under TorchRec every process evaluates.
        evaluates = rank == 0 or torchrec is not None
        group_column = encoders.get("group") or binding.get("group")
        valid, valid_groups = None, None
        if args.valid and evaluates and group_column:
            # GAUC's groups come from the same pass over the file as the inputs and labels.
            valid_x, valid_y, valid_groups = data.encode_file_with_groups(args.valid, binding, encoders, INPUTS, group_column)
            valid = (valid_x, valid_y)
        elif args.valid and evaluates:
            valid = encode_file(args.valid, binding, encoders, INPUTS, with_labels=True)
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        # data.py reads the binding and encoders as Towerflow writes them; another shape fails deep inside it.
        files = args.binding + (f" or {args.encoders}" if args.encoders else "")
        raise TrainError("E_TRAIN_BAD_SETTINGS", f"does not fit this model ({type(error).__name__}: {error})", files) from None
    loss_weights = parse_loss_weights(args.loss_weights)
    rows = len(next(iter(train_y.values()))) if train_y else len(next(iter(train_x.values())))
    if rows == 0:
        raise TrainError("E_DATA_NO_ROWS", "no data rows to train on (a header only?)" + (" in this process's part" if distributed else ""), " ".join(args.data))
    if valid is not None and len(next(iter(valid[1].values()))) == 0:
        raise TrainError("E_DATA_NO_ROWS", "no data rows to validate on (a header only?)", args.valid)

    torch.manual_seed(args.seed)  # every process starts from the same weights (DDP also broadcasts them)
    model = Model().to(device)
    parameters = sum(p.numel() for p in model.parameters())
    initialised = None
    if args.init_from is not None:
        file, loaded, fresh = init_from(model, args.init_from)
        initialised = str(file.resolve())
        say(f"--init-from {file}: {len(loaded)} of {len(loaded) + len(fresh)} tensors loaded; "
            f"not loaded (as Model() made them): {', '.join(fresh) if fresh else 'none'}; a fresh optimizer")
    if resumed is not None:
        model.load_state_dict(resumed["model"])
    # TorchRec sees from a batch of two rows which model input each embedding table reads.
    sample = {name: torch.from_numpy(values[:2]).to(device) for name, values in train_x.items()}
    sharded = torchrec.shard(model, device, args.lr, sample) if torchrec is not None else None
    if sharded is not None and sharded.tables:
        say(sharded.description)
        say(f"sharding plan:\n{sharded.plan}")
        trained, optimizer = sharded.model, sharded.optimizer
        if args.clip_norm is not None:
            say("--clip-norm clips the data-parallel gradients; the sharded tables update inside the backward pass (fused), unclipped")
    else:
        if sharded is not None:
            say("--torchrec: the model has no embedding table TorchRec can shard: DDP")
            sharded = None
        trained = DistributedDataParallel(model, device_ids=[processes.local_rank] if cuda else None) if distributed else model
        optimizer = torch.optim.Adam(trained.parameters(), lr=args.lr, eps=1e-7)  # tfjs Adam's epsilon
    if resumed is not None and sharded is None:
        optimizer.load_state_dict(resumed["optimizer"])
    elif resumed is not None:
        torchrec.load_shards(sharded, resumed_file.parent, resumed["epoch"])
    amp_dtype = (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16) if args.amp else None
    # float16's narrow range needs loss scaling; bfloat16 has float32's range and does not.
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    clipped = [p for p in trained.parameters() if p.requires_grad]

    def full_state() -> dict | None:
        """model.py's state dict on process 0 (the sharded tables gathered there); every process calls it."""
        if sharded is not None:
            return torchrec.full_state_dict(sharded)
        return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()} if rank == 0 else None

    # Every process steps as often as the one with the fewest batches (else the others would wait for it forever).
    steps_per_epoch, all_rows = equal_steps(rows, args.batch_size, device, distributed)
    out = Path(args.out)
    if rank == 0:
        if out.exists() and not out.is_dir():
            raise TrainError("E_TRAIN_OUT_NOT_A_FOLDER", "--out is a file, not a folder", out)
        out.mkdir(parents=True, exist_ok=True)
    engine = f"PyTorch {torch.__version__}, " + (
        f"{world} processes ({'nccl' if cuda else 'gloo'} on {device.type})" if distributed else f"one process on {device}")
    engine += f", {processes.threads} thread{'s' if processes.threads != 1 else ''} each" if device.type == "cpu" else ""
    engine += f", mixed precision ({str(amp_dtype).removeprefix('torch.')})" if amp_dtype is not None else ""
    say(f"{GRAPH_NAME}: {parameters} parameters, {all_rows} training rows"
        + (f" ({args.data_layout} data; {steps_per_epoch} steps per epoch on every process, {rows} rows here)" if distributed else "") + f"; {engine}")

    schedule = full_schedule(args)
    total_steps = steps_per_epoch * args.epochs
    metrics_rows: list[dict] = []
    samples_per_second = 0.0
    generator = np.random.default_rng(args.seed)
    step = 0
    first_epoch = 1
    best: dict | None = None  # the best epoch so far: {"epoch", "score", "metrics", "state" (process 0)}
    stopped = None
    if resumed is not None:
        first_epoch = resumed["epoch"] + 1
        step = resumed["step"]
        metrics_rows = list(resumed["metrics"])
        best = resumed.get("best")
        stopped = resumed.get("stopped")
        restore_random_state(resumed["random"], generator)
        if resumed.get("scaler") and scaler.is_enabled():
            scaler.load_state_dict(resumed["scaler"])  # float16's loss scale goes on from where it was
        say(f"resumed from {resumed_file} after epoch {resumed['epoch']} (step {step})")
        if resumed.get("processes") != world or resumed.get("batchSize") != args.batch_size:
            say(f"note: the checkpoint was trained on {resumed.get('processes')} process(es) at batch size {resumed.get('batchSize')}; "
                "the epochs from here draw other batches than an uninterrupted run")
    stopping = args.early_stopping
    # As the app (session.ts): the best epoch is picked by early stopping's metric, else --best-metric, else the loss;
    # on the validation metrics where there is a validation file, else the training ones.
    watch = args.early_stopping or args.best_metric
    # Each process shuffles its own rows each epoch; one with more rows than the steps take sees another part of them each epoch.
    feed = BatchFeed(train_x, train_y, args.batch_size, steps_per_epoch, args.seed, rank, args.workers, cuda)
    for epoch in range(first_epoch, args.epochs + 1):
        if stopped is not None:
            break
        started = time.time()
        # Summed where they are made: reading a GPU loss each step would wait for the GPU each step.
        total = torch.zeros((), device=device)
        task_totals = {name: torch.zeros((), device=device) for name in loss_weights}
        steps = 0
        rate = learning_rate_at(schedule, args.lr, step, steps_per_epoch, total_steps)
        for batch_x, batch_y in feed.epoch(epoch):
            rate = learning_rate_at(schedule, args.lr, step, steps_per_epoch, total_steps)
            if sharded is not None:
                torchrec.set_learning_rate(sharded, rate)
            else:
                for group in optimizer.param_groups:
                    group["lr"] = rate
            inputs = {name: tensor.to(device, non_blocking=True) for name, tensor in batch_x.items()}
            labels = {name: tensor.to(device, non_blocking=True) for name, tensor in batch_y.items()}
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                predictions = trained(inputs, logits=True)
            losses = {o["name"]: task_loss(o, predictions[o["name"]], labels[o["name"]], o.get("logit", False)) for o in OUTPUTS if o["name"] in loss_weights}
            loss = sum(loss_weights[name] * value for name, value in losses.items()) + l2_penalty(model).to(device)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            if args.clip_norm is not None:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(clipped, args.clip_norm)
            scaler.step(optimizer)
            scaler.update()
            total += loss.detach()
            for name, value in losses.items():
                task_totals[name] += value.detach()
            steps += 1
            step += 1
        seconds = time.time() - started
        samples_per_second = min(all_rows, steps_per_epoch * args.batch_size * world) / max(seconds, 1e-9)
        train_metrics = {"loss": total.item() / max(steps, 1), "tasks": {name: {"loss": value.item() / max(steps, 1)} for name, value in task_totals.items()}}
        line = f"epoch {epoch}/{args.epochs}: train loss {train_metrics['loss']:.4f}, {seconds:.1f} s, {samples_per_second:.0f} samples/s, lr {rate:.3g}"
        for name, m in train_metrics["tasks"].items():
            metrics_rows.append({"epoch": epoch, "split": "train", "task": name, **m})
        watched = train_metrics
        if valid is not None:
            watched = evaluate(model, valid[0], valid[1], valid_groups, device, 4096, loss_weights)
            for name, m in watched["tasks"].items():
                metrics_rows.append({"epoch": epoch, "split": "valid", "task": name, **m})
            line += "; " + describe_metrics(watched["tasks"])
        state = full_state()
        # Process 0 decides (it evaluated); every process follows, as the sharded state is gathered by all.
        # As the app: better is higher for an AUC or GAUC, lower otherwise; the first epoch is the best so far
        # whatever its score, a later one only with a finite score; an epoch with non-finite weights never is.
        decision = [None, None]
        if rank == 0:
            score = metric_value(watched, watch) if watch is not None else watched["loss"]
            if best is None:
                improved = True
            elif watch is not None and higher_is_better(watch):
                improved = math.isfinite(score) and score > best["score"]
            else:
                improved = math.isfinite(score) and score < best["score"]
            if improved and state is not None:
                improved = all(bool(torch.isfinite(v).all()) for v in state.values() if torch.is_floating_point(v))
            decision = [improved, score]
        if distributed:
            dist.broadcast_object_list(decision, src=0)
        improved, score = decision
        if improved:
            # The same tensors as the checkpoint's "model": torch.save writes them once.
            best = {"epoch": epoch, "score": score, "metrics": watched, "state": state}
        elif stopping is not None and best is not None and epoch - best["epoch"] >= args.patience:
            stopped = f"{stopping} did not improve for {args.patience} epoch{'s' if args.patience != 1 else ''}; best was epoch {best['epoch']}"
        say(line + (" *" if improved else ""))
        if sharded is not None:
            torchrec.save_shards(sharded, out, epoch)
        if state is not None:
            save_atomically({
                "format": CHECKPOINT_FORMAT, "epoch": epoch, "step": step, "model": state,
                # The shards and TorchRec's fused optimizer state are in checkpoint-<epoch>.rank-<r>.pt (torchrec_tables.py).
                **({"optimizer": optimizer.state_dict()} if sharded is None else {"sharded": True}),
                "random": random_state(generator), "scaler": scaler.state_dict() if scaler.is_enabled() else None, "metrics": metrics_rows, "log": log, "encoders": encoders,
                "best": best, "stopped": stopped, "processes": world, "batchSize": args.batch_size, "startedAt": started_at,
            }, out / f"checkpoint-{epoch}.pt")
        if stopped is not None:
            say(f"early stopping: {stopped}")

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
    # The model ends on the best epoch's weights, as in Towerflow; checkpoint-<last epoch>.pt keeps the last ones (--resume).
    state = best["state"] if best is not None else full_state()
    kept_epoch = best["epoch"] if best is not None else max((r["epoch"] for r in metrics_rows), default=0)
    if best is not None:
        say(f"best epoch {best['epoch']} ({watch or 'loss'} {best['score']:.6g}): its weights are model.pt")
    if rank == 0 and state is not None:
        save_atomically(state, out / "model.pt")
        (out / "encoders.json").write_text(json.dumps(encoders), encoding="utf-8")
        (out / "binding.json").write_text(json.dumps(binding, indent=2), encoding="utf-8")
        with open(out / "metrics.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS, restval="")
            writer.writeheader()
            writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in metrics_rows)
        last = {r["task"]: {k: v for k, v in r.items() if k not in ("epoch", "split", "task")}
                for r in metrics_rows if r["epoch"] == kept_epoch and r["split"] == "valid"}
        summary = {
            "graph": GRAPH_NAME, "epochs": args.epochs, "epochsTrained": max((r["epoch"] for r in metrics_rows), default=0),
            "processes": world, "device": device.type, "threads": processes.threads,
            "engine": engine + (", embedding tables sharded by TorchRec" if sharded is not None else ""), "torchrec": sharded is not None,
            **({"sharding": sharded.plan.splitlines()} if sharded is not None else {}),
            "trainRows": all_rows, "validRows": len(next(iter(valid[1].values()))) if valid and valid[1] else 0,
            "data": {"train": ", ".join(str(Path(f).resolve()) for f in data_files(args.data)), **({"valid": str(Path(args.valid).resolve())} if args.valid else {})},
            "options": {"optimizer": "adam", "learningRate": args.lr, "batchSize": args.batch_size * world, "epochs": args.epochs,
                        "seed": args.seed, "lossWeights": loss_weights, "lrSchedule": schedule, "clipNorm": args.clip_norm,
                        "initFrom": initialised, "amp": str(amp_dtype).removeprefix("torch.") if amp_dtype is not None else None,
                        "earlyStopping": {"metric": stopping, "patience": args.patience} if stopping is not None else None,
                        "bestMetric": args.best_metric},
            "resumedFrom": str(resumed_file.resolve()) if resumed is not None else None,
            "stopReason": "early-stopping" if stopped is not None else "completed", "keptEpoch": kept_epoch,
            # As the app's summary: the best epoch and its metrics (validation where there is a validation file).
            "bestEpoch": kept_epoch, "epochsRun": max((r["epoch"] for r in metrics_rows), default=0), **({"best": best["metrics"]} if best is not None and best.get("metrics") is not None else {}),
            "samplesPerSecond": samples_per_second, "valid": last, "maxWeightDifference": identical,
            "startedAt": started_at, "finishedAt": now(),
        }
        (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        say(f"saved {out}: 'python to_towerflow.py --checkpoint {out} --out <run folder>' writes it as a Towerflow run")
        (out / "log.txt").write_text("".join(f"{line}\n" for line in log), encoding="utf-8")
    if distributed:
        # Every rank waits here until process 0 has written its files: a rank that tore its process
        # group down while another still used it was killed by gloo's threads at exit (SIGABRT).
        dist.barrier()
        dist.destroy_process_group()
        # Every file is written and every rank is past the barrier. Left to the interpreter's exit,
        # threads of the communication libraries (gloo, TorchRec's sharded modules) that nobody joined
        # are destroyed while still joinable, and C++ aborts the process ("terminate called without an
        # active exception", exit -6; seen in a CI run of the TorchRec DIN test), which fails the job.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
