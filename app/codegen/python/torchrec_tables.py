"""TorchRec for 'train.py --torchrec': the model's embedding tables sharded across the processes.

Each FusedEmbedding of model.py (a node's private tables, held as one weight) becomes a TorchRec
EmbeddingBagCollection with one table per column; an id is a bag of one, summed, so each lookup
gives the same vector as before. DistributedModelParallel places every table whole on one process
(table-wise sharding) and trains it there with TorchRec's fused Adagrad; the rest of the model
(dense layers, and tables shared between nodes, which stay nn.Embedding) is data-parallel (DDP) and
trained with Adam. The tables start from the weights Model() gave them, and full_state_dict()
gathers them back under model.py's names, so model.pt loads into Model() as a DDP run's does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed._shard.sharded_tensor import ShardedTensor
from torchrec import (
    EmbeddingBagCollection,
    EmbeddingBagConfig,
    KeyedJaggedTensor,
    PoolingType,
)
from torchrec.distributed import DistributedModelParallel
from torchrec.distributed.embeddingbag import EmbeddingBagCollectionSharder
from torchrec.distributed.planner import (
    EmbeddingShardingPlanner,
    ParameterConstraints,
    Topology,
)
from torchrec.distributed.types import ShardingType
from torchrec.optim.apply_optimizer_in_backward import apply_optimizer_in_backward
from torchrec.optim.keyed import CombinedOptimizer, KeyedOptimizerWrapper
from torchrec.optim.optimizers import in_backward_optimizer_filter

from model import L2_PENALTIES


class ShardedTables(nn.Module):
    """FusedEmbedding's function with one TorchRec table per column: ids [B, 1] per column -> [B, columns * dim]."""

    def __init__(self, fused: nn.Module, first: int) -> None:
        super().__init__()
        weight = fused.weight.detach()
        bounds = [*fused.offsets.tolist(), weight.shape[0]]
        count = len(bounds) - 1
        # TorchRec's own names (table_<n>, feature_<n>), unique in the model; model.py's names stay on this module.
        self.tables = [f"table_{first + i}" for i in range(count)]
        self.features = [f"feature_{first + i}" for i in range(count)]
        self.initial = {table: weight[bounds[i]:bounds[i + 1]].clone() for i, table in enumerate(self.tables)}
        self.collection = EmbeddingBagCollection(
            tables=[
                EmbeddingBagConfig(name=table, feature_names=[feature], embedding_dim=weight.shape[1],
                                   num_embeddings=bounds[i + 1] - bounds[i], pooling=PoolingType.SUM)
                for i, (table, feature) in enumerate(zip(self.tables, self.features))
            ],
            device=weight.device,
        )

    def forward(self, ids: list[torch.Tensor]) -> torch.Tensor:
        # KeyedJaggedTensor holds the values feature by feature, each a bag of length 1 per row.
        values = torch.cat([i.reshape(-1).long() for i in ids])
        lengths = torch.ones(values.numel(), dtype=torch.int32, device=values.device)
        return self.collection(KeyedJaggedTensor(keys=self.features, values=values, lengths=lengths)).values()


@dataclass
class Sharded:
    model: DistributedModelParallel
    optimizer: CombinedOptimizer
    # (model.py's name of the FusedEmbedding, its replacement), in model order.
    tables: list[tuple[str, ShardedTables]]
    description: str


def shard(model: nn.Module, device: torch.device, lr: float) -> Sharded:
    """Replaces model's FusedEmbeddings (in place) and wraps it in DistributedModelParallel; every process calls it."""
    penalised = {name.rpartition(".")[0] for name, _ in L2_PENALTIES}
    tables: list[tuple[str, ShardedTables]] = []
    kept: list[str] = []
    for name, module in list(model.named_modules()):
        if type(module).__name__ != "FusedEmbedding":
            continue
        if name in penalised:
            kept.append(name)  # an L2 penalty reads its weight by name: it stays data-parallel
            continue
        parent, _, attribute = name.rpartition(".")
        replacement = ShardedTables(module, first=sum(len(t.tables) for _, t in tables))
        setattr(model.get_submodule(parent), attribute, replacement)
        tables.append((name, replacement))
    for _, t in tables:
        apply_optimizer_in_backward(torch.optim.Adagrad, t.collection.parameters(), {"lr": lr})
    world = dist.get_world_size()
    constraints = {table: ParameterConstraints(sharding_types=[ShardingType.TABLE_WISE.value]) for _, t in tables for table in t.tables}
    planner = EmbeddingShardingPlanner(topology=Topology(world_size=world, compute_device=device.type), constraints=constraints)
    plan = planner.collective_plan(model, [EmbeddingBagCollectionSharder()], dist.GroupMember.WORLD)
    sharded = DistributedModelParallel(model, device=device, plan=plan)

    # The sharder makes fresh tables: each process copies Model()'s initial rows into the shards it holds.
    state = sharded.state_dict()
    placed: dict[int, int] = {}
    with torch.no_grad():
        for name, t in tables:
            for table in t.tables:
                for shard_ in state[f"{name}.collection.embedding_bags.{table}.weight"].local_shards():
                    (row, column), (rows, columns) = shard_.metadata.shard_offsets, shard_.metadata.shard_sizes
                    shard_.tensor.copy_(t.initial[table][row:row + rows, column:column + columns])
                    placed[dist.get_rank()] = placed.get(dist.get_rank(), 0) + 1
            t.initial = {}
    counts = [None] * world
    dist.all_gather_object(counts, placed.get(dist.get_rank(), 0))

    dense = KeyedOptimizerWrapper(dict(in_backward_optimizer_filter(sharded.named_parameters())),
                                  lambda params: torch.optim.Adam(params, lr=lr, eps=1e-7))
    optimizer = CombinedOptimizer([sharded.fused_optimizer, dense])
    total = sum(len(t.tables) for _, t in tables)
    description = (f"--torchrec: {total} embedding tables of {len(tables)} node{'s' if len(tables) != 1 else ''} sharded table-wise "
                   f"by TorchRec (tables per process: {', '.join(str(c) for c in counts)}; fused Adagrad), the rest data-parallel (Adam)")
    if kept:
        description += f"; {', '.join(kept)} kept data-parallel (an L2 penalty reads its weight)"
    return Sharded(sharded, optimizer, tables, description)


def dense_state(sharded: Sharded) -> dict[str, torch.Tensor]:
    """The replicated (data-parallel) parameters and buffers: equal on every process after training."""
    return {k: v for k, v in sharded.model.state_dict().items() if not isinstance(v, ShardedTensor)}


def full_state_dict(sharded: Sharded) -> dict[str, torch.Tensor] | None:
    """The whole model under model.py's names, on process 0 (None elsewhere); every process calls it."""
    rank = dist.get_rank()
    full: dict[str, torch.Tensor] = {}
    for key, value in sharded.model.state_dict().items():
        if isinstance(value, ShardedTensor):
            gathered = torch.empty(value.size()) if rank == 0 else None
            value.gather(dst=0, out=gathered)
            if gathered is not None:
                full[key] = gathered
        else:
            full[key] = value.detach().cpu()
    if rank != 0:
        return None
    for name, t in sharded.tables:
        full[f"{name}.weight"] = torch.cat([full.pop(f"{name}.collection.embedding_bags.{table}.weight") for table in t.tables])
    return full
