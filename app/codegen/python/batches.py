"""What each process of train.py trains on: its rows of the data, in batches through a DataLoader.

Under torchrun a process reads only its part of the training data (data.shares_of), in one of two
layouts:
  - "shared": every process is given the same --data (one file, a glob, or a list; on a shared file
    system): with at least as many files as processes each process takes whole files (file k goes to
    process k % world), else every file is split by rows across all processes (data.Share);
  - "per-node": each machine is given its own --data (files on its own disk): the machine's files are
    split the same way across its local processes only.
Shares may differ in size (machines with files of 4,000 and 3,000 rows). Every process must take the
same number of optimizer steps, or the one with more batches waits forever for a gradient
all-reduce that the others never join; so the steps of an epoch are the fewest any process has
(equal_steps: one all-reduce of the local counts at the start), and a larger share covers a fresh
random part of its rows each epoch (DDP's join context would instead let the larger shares run on
alone, their last steps averaged over fewer processes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, Sampler

from data import Share, data_files, encode_files, shares_of

LAYOUTS = ("shared", "per-node")


def my_parts(patterns: list[str], layout: str, rank: int, world: int) -> list[tuple[str, Share]]:
    """The (file, share) parts this process reads, for the layout (see the module docstring)."""
    files = data_files(patterns)
    if layout == "per-node":
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        return shares_of(files, local_rank, local_world)
    return shares_of(files, rank, world)


def encode_my_parts(patterns: list[str], layout: str, rank: int, world: int, binding: dict, encoders: dict,
                    inputs: list[dict]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """This process's rows of the training data (my_parts), encoded: inputs and labels by name."""
    return encode_files(my_parts(patterns, layout, rank, world), binding, encoders, inputs, with_labels=True)


def equal_steps(rows: int, batch_size: int, device: torch.device, distributed: bool) -> tuple[int, int]:
    """(steps per epoch, rows in all): the fewest batches any process has, so every process steps as
    often as the others; and the sum of the processes' rows."""
    steps = (rows + batch_size - 1) // batch_size
    if not distributed:
        return steps, rows
    counts = torch.tensor([steps, rows], dtype=torch.int64, device=device)
    fewest = counts.clone()
    dist.all_reduce(fewest, op=dist.ReduceOp.MIN)
    dist.all_reduce(counts, op=dist.ReduceOp.SUM)
    return int(fewest[0]), int(counts[1])


class _Batches(Dataset):
    """Batch `step` of epoch `epoch`: rows of this process's shuffle for the epoch (a permutation
    keyed by seed, epoch and rank, so a resumed run draws the batches an uninterrupted one would),
    as tensors by name. Computed where it is asked for: in a DataLoader worker, or in this process."""

    def __init__(self, inputs: dict[str, np.ndarray], labels: dict[str, np.ndarray], batch_size: int, seed: int, rank: int) -> None:
        self.inputs, self.labels, self.batch_size, self.seed, self.rank = inputs, labels, batch_size, seed, rank
        self.rows = len(next(iter(labels.values()))) if labels else len(next(iter(inputs.values())))
        self._order: tuple[int, np.ndarray] | None = None

    def order(self, epoch: int) -> np.ndarray:
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, np.random.default_rng([self.seed, epoch, self.rank]).permutation(self.rows))
        return self._order[1]

    def __len__(self) -> int:
        return (self.rows + self.batch_size - 1) // self.batch_size

    def __getitem__(self, key: tuple[int, int]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        epoch, step = key
        index = self.order(epoch)[step * self.batch_size:(step + 1) * self.batch_size]
        return ({name: torch.from_numpy(values[index]) for name, values in self.inputs.items()},
                {name: torch.from_numpy(values[index]) for name, values in self.labels.items()})


class _EpochSteps(Sampler):
    """(epoch, step) for the epoch's steps; iterated in this process, so setting the epoch reaches persistent workers."""

    def __init__(self, steps: int) -> None:
        self.steps, self.epoch = steps, 1

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((self.epoch, step) for step in range(self.steps))

    def __len__(self) -> int:
        return self.steps


class BatchFeed:
    """The batches of each epoch through one DataLoader: `workers` processes (kept from epoch to
    epoch) gather them while the model steps, into pinned memory on CUDA. Default workers: 0 on CPU,
    where gathering a batch takes microseconds and a worker only adds the hand-over (a 7,000-row
    census epoch at batch 128 on this project's 2-core test machine: 0.6 s in-process, 2.3-5.4 s
    with 2 workers started per epoch); 2 on CUDA, to overlap gathering and copying with the GPU."""

    def __init__(self, inputs: dict[str, np.ndarray], labels: dict[str, np.ndarray], batch_size: int, steps: int,
                 seed: int, rank: int, workers: int | None, cuda: bool) -> None:
        self.workers = (2 if cuda else 0) if workers is None else workers
        self.steps = _EpochSteps(steps)
        self.loader = DataLoader(_Batches(inputs, labels, batch_size, seed, rank), batch_size=None, sampler=self.steps,
                                 num_workers=self.workers, pin_memory=cuda, persistent_workers=self.workers > 0)

    def epoch(self, epoch: int) -> DataLoader:
        self.steps.epoch = epoch
        return self.loader
