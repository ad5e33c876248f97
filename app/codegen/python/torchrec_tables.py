"""TorchRec for 'train.py --torchrec': every embedding table of the model sharded across the processes.

Every table becomes a TorchRec table, which DistributedModelParallel's planner places whole on one
process (table-wise) or splits by rows over all of them (row-wise), whichever it estimates cheaper;
train.py prints the plan.
  - A FusedEmbedding of model.py (a node's private tables, held as one weight) becomes an
    EmbeddingBagCollection with one table per column: an id is a bag of one, summed, so each lookup
    gives the same vector as before.
  - An nn.Embedding (a table of one column, or one shared between nodes, such as DIN's item table,
    read by the candidate and by the history) becomes a table of one EmbeddingCollection (a vector
    per id, unpooled), with one feature per model input that reads it. The collection looks all of
    them up once per forward, before model.py's code runs; the module that stands where the
    nn.Embedding stood hands each call the rows for its ids. (Looked up call by call, a shared table
    would be updated once per call and step.)
On CUDA the tables train with the optimizer of the rest of the model, Adam with tfjs's epsilon,
fused into the backward pass by TorchRec (fbgemm's Adam): it updates the rows a batch looked up, and
their moments, where torch's Adam also decays the moments of rows the batch did not touch. fbgemm
has no fused Adam on CPU: there the tables train with its exact Adagrad, and train.py says so. The rest of
the model is data-parallel (DDP). The tables start from the weights Model() gave them, and
full_state_dict() gathers them back under model.py's names, so model.pt loads into Model() as a DDP
run's does. A table with an L2 penalty in the graph stays data-parallel (the penalty reads its weight).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed._shard.sharded_tensor import ShardedTensor
from torchrec import (
    EmbeddingBagCollection,
    EmbeddingBagConfig,
    EmbeddingCollection,
    EmbeddingConfig,
    KeyedJaggedTensor,
    PoolingType,
)
from torchrec.distributed import DistributedModelParallel
from torchrec.distributed.embedding import EmbeddingCollectionSharder
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

# The planner chooses among these for each table; both run on CPU (gloo) and GPU (nccl).
SHARDING_TYPES = [ShardingType.TABLE_WISE.value, ShardingType.ROW_WISE.value]
ADAM_EPSILON = 1e-7  # tfjs Adam's, as train.py's Adam


class FusedTables(nn.Module):
    """FusedEmbedding's function with one TorchRec table per column: ids [B, 1] per column -> [B, columns * dim]."""

    def __init__(self, fused: nn.Module, first: int) -> None:
        super().__init__()
        weight = fused.weight.detach()
        bounds = [*fused.offsets.tolist(), weight.shape[0]]
        count = len(bounds) - 1
        # TorchRec's own names (table_<n>, feature_<n>), unique in the model; model.py's names stay on this module.
        self.tables = [f"table_{first + i}" for i in range(count)]
        self.features = [f"feature_{first + i}" for i in range(count)]
        self.columns = list(fused.tables)  # model.py's names of the tables, for the plan
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


class TableLookups(nn.Module):
    """The model's nn.Embedding tables as one EmbeddingCollection, looked up once per forward.

    sites: (model.py's module name, the model input it reads) for every call model.py makes.
    """

    def __init__(self, modules: dict[str, nn.Embedding], sites: list[tuple[str, str]], first: int) -> None:
        super().__init__()
        self.names = list(modules)
        self.tables = {name: f"table_{first + i}" for i, name in enumerate(self.names)}
        # One feature per (table, input): the collection answers each with that input's rows.
        self.sites = [(name, key, f"{self.tables[name]}_{key}") for name, key in sites]
        self.initial = {self.tables[name]: m.weight.detach().clone() for name, m in modules.items()}
        self.dims = {name: m.embedding_dim for name, m in modules.items()}
        configs = [
            EmbeddingConfig(name=self.tables[name], embedding_dim=m.embedding_dim, num_embeddings=m.num_embeddings,
                            feature_names=[feature for site, _, feature in self.sites if site == name])
            for name, m in modules.items()
        ]
        # The keys in the collection's own order: table by table, each table's features in turn.
        self.features = [feature for config in configs for feature in config.feature_names]
        self.collection = EmbeddingCollection(tables=configs, device=next(iter(modules.values())).weight.device)
        self.looked_up: dict[tuple[str, int], torch.Tensor] = {}

    def look_up(self, inputs: dict[str, torch.Tensor]) -> None:
        by_feature = {feature: inputs[key] for _, key, feature in self.sites}
        ids = [by_feature[f] for f in self.features]
        values = torch.cat([i.reshape(-1).long() for i in ids])
        # Every row of an input has its full length (padding included: id 0 is a row of the table, as in nn.Embedding).
        lengths = torch.cat([torch.full((i.shape[0],), i[0].numel() if i.dim() > 1 else 1, dtype=torch.int32, device=i.device) for i in ids])
        found = self.collection(KeyedJaggedTensor(keys=self.features, values=values, lengths=lengths))
        for name, key, feature in self.sites:
            shape = (*inputs[key].shape, self.dims[name])
            self.looked_up[(name, id(inputs[key]))] = found[feature].values().reshape(shape)

    def take(self, name: str, ids: torch.Tensor) -> torch.Tensor:
        return self.looked_up[(name, id(ids))]


class LookedUp(nn.Module):
    """Stands where an nn.Embedding stood: hands each call the rows TableLookups found for its ids."""

    def __init__(self, lookups: TableLookups, name: str) -> None:
        super().__init__()
        self.__dict__["lookups"] = lookups  # not a submodule: the model holds it once, as torchrec_lookups
        self.name = name

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lookups.take(self.name, ids)


@dataclass
class Sharded:
    model: DistributedModelParallel
    optimizer: CombinedOptimizer
    # (model.py's name of the FusedEmbedding, its replacement), in model order.
    fused: list[tuple[str, FusedTables]]
    lookups: TableLookups | None
    description: str
    plan: str

    @property
    def tables(self) -> int:
        return sum(len(t.tables) for _, t in self.fused) + (len(self.lookups.tables) if self.lookups else 0)


def embedding_calls(model: nn.Module, sample: dict[str, torch.Tensor]) -> dict[str, list[str | None]]:
    """For each nn.Embedding of model, the model input each of its calls reads (None: a computed tensor)."""
    calls: dict[str, list[str | None]] = {}
    by_identity = {id(tensor): key for key, tensor in sample.items()}
    handles = [
        module.register_forward_pre_hook(lambda m, args, name=name: calls.setdefault(name, []).append(by_identity.get(id(args[0]))))
        for name, module in model.named_modules() if type(module) is nn.Embedding
    ]
    was_training = model.training
    model.eval()  # eval: batch norm and Dice keep their running statistics as they are
    with torch.no_grad():
        model(sample)
    model.train(was_training)
    for handle in handles:
        handle.remove()
    return calls


def shard(model: nn.Module, device: torch.device, lr: float, sample: dict[str, torch.Tensor]) -> Sharded:
    """Replaces model's tables (in place) and wraps it in DistributedModelParallel; every process calls it.

    sample: a batch of model inputs, to see which inputs each nn.Embedding reads.
    """
    penalised = {name.rpartition(".")[0] for name, _ in L2_PENALTIES}
    kept: list[str] = []
    fused: list[tuple[str, FusedTables]] = []
    for name, module in list(model.named_modules()):
        if type(module).__name__ != "FusedEmbedding":
            continue
        if name in penalised:
            kept.append(name)  # an L2 penalty reads its weight by name: it stays data-parallel
            continue
        parent, _, attribute = name.rpartition(".")
        replacement = FusedTables(module, first=sum(len(t.tables) for _, t in fused))
        setattr(model.get_submodule(parent), attribute, replacement)
        fused.append((name, replacement))

    calls = embedding_calls(model, sample)
    tables: dict[str, nn.Embedding] = {}
    for name, inputs in calls.items():
        if name in penalised:
            kept.append(name)
        elif None in inputs:
            kept.append(name + " (it looks up computed ids)")
        else:
            tables[name] = model.get_submodule(name)
    lookups = None
    if tables:
        sites = [(name, key) for name in tables for key in dict.fromkeys(calls[name])]
        lookups = TableLookups(tables, sites, first=sum(len(t.tables) for _, t in fused))
        model.torchrec_lookups = lookups
        for name in tables:
            parent, _, attribute = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, attribute, LookedUp(lookups, name))
        forward = model.forward

        def forward_with_lookups(inputs: dict[str, torch.Tensor], *args, **kwargs):
            lookups.look_up(inputs)
            try:
                return forward(inputs, *args, **kwargs)
            finally:
                lookups.looked_up.clear()

        model.forward = forward_with_lookups

    collections = [t.collection for _, t in fused] + ([lookups.collection] if lookups else [])
    # fbgemm fuses Adam into its GPU kernels only; on CPU its nearest is exact Adagrad, and train.py says so.
    fused_optimizer, options = (torch.optim.Adam, {"lr": lr, "eps": ADAM_EPSILON}) if device.type == "cuda" else (torch.optim.Adagrad, {"lr": lr})
    for collection in collections:
        apply_optimizer_in_backward(fused_optimizer, collection.parameters(), options)
    world = dist.get_world_size()
    names = [table for _, t in fused for table in t.tables] + (list(lookups.tables.values()) if lookups else [])
    constraints = {table: ParameterConstraints(sharding_types=SHARDING_TYPES) for table in names}
    planner = EmbeddingShardingPlanner(topology=Topology(world_size=world, compute_device=device.type), constraints=constraints)
    plan = planner.collective_plan(model, [EmbeddingBagCollectionSharder(), EmbeddingCollectionSharder()], dist.GroupMember.WORLD)
    sharded = DistributedModelParallel(model, device=device, plan=plan)

    # The sharder makes fresh tables: each process copies Model()'s initial rows into the shards it holds.
    state = sharded.state_dict()
    initial = {**{table: rows for _, t in fused for table, rows in t.initial.items()}, **(lookups.initial if lookups else {})}
    with torch.no_grad():
        for key, value in state.items():
            table = key.split(".")[-2]
            if isinstance(value, ShardedTensor) and table in initial:
                for local in value.local_shards():
                    (row, column), (rows, columns) = local.metadata.shard_offsets, local.metadata.shard_sizes
                    local.tensor.copy_(initial[table][row:row + rows, column:column + columns])
    for _, t in fused:
        t.initial = {}
    if lookups:
        lookups.initial = {}

    dense = KeyedOptimizerWrapper(dict(in_backward_optimizer_filter(sharded.named_parameters())),
                                  lambda params: torch.optim.Adam(params, lr=lr, eps=ADAM_EPSILON))
    optimizer = CombinedOptimizer([sharded.fused_optimizer, dense])
    placement = describe_plan(plan, {**{table: f"{name}[{column}]" for name, t in fused for table, column in zip(t.tables, t.columns)},
                                     **({table: name for name, table in lookups.tables.items()} if lookups else {})})
    fused_name = "Adam" if fused_optimizer is torch.optim.Adam else "Adagrad (fbgemm has no fused Adam on CPU; on CUDA the tables train with Adam)"
    description = (f"--torchrec: {len(names)} embedding tables sharded by TorchRec's planner ({placement['summary']}; "
                   f"fused {fused_name}), the rest data-parallel (Adam)")
    if kept:
        description += f"; kept data-parallel: {', '.join(kept)}"
    return Sharded(sharded, optimizer, fused, lookups, description, placement["plan"])


def describe_plan(plan, names: dict[str, str]) -> dict[str, str]:
    """The plan, a line per table (model.py's name, how it is sharded, on which ranks), and a summary."""
    lines, kinds = [], {}
    for module, parameters in plan.plan.items():
        for table, sharding in parameters.items():
            kinds[sharding.sharding_type] = kinds.get(sharding.sharding_type, 0) + 1
            lines.append(f"  {names.get(table, table)} ({module}.{table}): {sharding.sharding_type}, ranks {sharding.ranks}, kernel {sharding.compute_kernel}")
    return {"plan": "\n".join(lines), "summary": ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))}


def set_learning_rate(sharded: Sharded, rate: float) -> None:
    """The rate of the next step, for the dense optimizer and the fused tables (whose update runs in the backward pass)."""
    for group in sharded.optimizer.param_groups:
        group["lr"] = rate
    # A fused optimizer's step() only hands its rate to the kernels: the backward about to run uses it.
    sharded.model.fused_optimizer.step()


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
    for name, t in sharded.fused:
        full[f"{name}.weight"] = torch.cat([full.pop(f"{name}.collection.embedding_bags.{table}.weight") for table in t.tables])
    if sharded.lookups is not None:
        for name, table in sharded.lookups.tables.items():
            full[f"{name}.weight"] = full.pop(f"torchrec_lookups.collection.embeddings.{table}.weight")
    return full


def save_shards(sharded: Sharded, folder: Path, epoch: int) -> Path:
    """This process's shards and their fused optimizer state, for --resume: checkpoint-<epoch>.rank-<r>.pt."""
    folder.mkdir(parents=True, exist_ok=True)  # on a machine of its own, process 0 did not make it
    file = folder / f"checkpoint-{epoch}.rank-{dist.get_rank()}.pt"
    torch.save({"model": sharded.model.state_dict(), "optimizer": sharded.optimizer.state_dict()}, file)
    return file


def load_shards(sharded: Sharded, folder: Path, epoch: int) -> None:
    """What save_shards wrote on this process (the same number of processes); every process calls it."""
    file = folder / f"checkpoint-{epoch}.rank-{dist.get_rank()}.pt"
    # ShardedTensors are not among the types torch.load(weights_only=True) admits; train.py wrote this file itself.
    state = torch.load(file, map_location="cpu", weights_only=False)
    sharded.model.load_state_dict(state["model"])
    # A KeyedOptimizer loads only into state it has: the dense Adam makes its state at its first step,
    # so it takes one with zero gradients (a zero Adam update: the weights stay as loaded) first.
    sharded.optimizer.init_state()
    sharded.optimizer.zero_grad()
    sharded.optimizer.load_state_dict(state["optimizer"])
