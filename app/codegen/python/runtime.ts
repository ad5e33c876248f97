import type { TorchHelperName } from '../../nodes/define-node';

/**
 * The Python twins of Towerflow's custom tfjs layers (app/compile/layers), carried by a generated
 * model.py when its graph uses them. Each computes what its tfjs layer computes, in the same order
 * of operations where that matters for float32 results; the equivalence tests (predict.py against
 * `towerflow predict`) hold them to it. Written with String.raw: Python's backslashes stay as typed.
 */
export const TORCH_HELPERS: Record<TorchHelperName, string> = {
  activation: String.raw`
def activation(name: str, x: torch.Tensor) -> torch.Tensor:
    """The activations Towerflow's graphs name, as tfjs computes them."""
    if name == "relu":
        return torch.relu(x)
    if name == "elu":
        return F.elu(x)
    if name == "selu":
        return torch.selu(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "swish":
        return F.silu(x)
    if name == "linear":
        return x
    if name in ("prelu", "dice"):
        raise ValueError(f"activation {name!r} learns alpha per unit: it is a module (nn.PReLU, Dice), not a function")
    raise ValueError(f"unknown activation {name!r}")`,
  padding_mask: String.raw`
def padding_mask(ids: torch.Tensor) -> torch.Tensor:
    """ids [B, L] (0 = padding) -> float mask [B, L], 1 where a real id stands (tfjs: PaddingMask)."""
    return (ids != 0).to(torch.float32)`,
  gate_mixture: String.raw`
def gate_mixture(weights: torch.Tensor, experts: list[torch.Tensor]) -> torch.Tensor:
    """Sum_i weights_i * expert_i (tfjs: GateMixture).

    weights [B, E]; each expert [B, d] (one expert) or [B, n, d] (n stacked), E in all, in edge order.
    """
    stacked = torch.cat([e.unsqueeze(1) if e.dim() == 2 else e for e in experts], dim=1)
    # [B, 1, E] x [B, E, d]: one batched matmul, as the tfjs layer does.
    return torch.bmm(weights.unsqueeze(1), stacked).squeeze(1)`,
  weighted_sum: String.raw`
def weighted_sum(weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """[weights [B, L], values [B, L, d]] -> Sum_l weights_l * values_l, [B, d] (tfjs: WeightedSum)."""
    return (weights.unsqueeze(2) * values).sum(dim=1)`,
  masked_pooling: String.raw`
def masked_pooling(values: torch.Tensor, mask: torch.Tensor, mode: str) -> torch.Tensor:
    """Sum or mean over the real positions of [B, L, d], [B, d] (tfjs: MaskedPooling).

    An all-padding sequence pools to zeros (the mean divides by at least 1).
    """
    summed = (values * mask.unsqueeze(2)).sum(dim=1)
    if mode == "sum":
        return summed
    return summed / mask.sum(dim=1, keepdim=True).clamp(min=1)`,
  FusedEmbedding: String.raw`
class FusedEmbedding(nn.Module):
    """Several embedding tables of one width held as ONE weight [sum of rows, dim] (tfjs: FusedEmbedding).

    Table t is the block of rows starting at offset_t, so the columns' ids become one lookup of
    id + offset: the same function as one nn.Embedding per column, flattened and concatenated, with
    one gather (and one gradient) instead of one per column. Ids must lie in [0, rows) of their own
    table, as the encoders guarantee (0 = missing or unseen).
    """

    def __init__(self, tables: list[tuple[str, int]], dim: int) -> None:
        super().__init__()
        self.tables = [name for name, _ in tables]
        rows = [size for _, size in tables]
        self.weight = nn.Parameter(torch.empty(sum(rows), dim))
        offsets = [sum(rows[:i]) for i in range(len(rows))]
        # Not saved with the weights: the offsets follow from the table sizes.
        self.register_buffer("offsets", torch.tensor(offsets, dtype=torch.long), persistent=False)
        # Each block starts as its table alone would: uniform in [-0.05, 0.05].
        nn.init.uniform_(self.weight, -0.05, 0.05)

    def forward(self, ids: list[torch.Tensor]) -> torch.Tensor:
        rows = torch.cat([i.reshape(-1, 1).long() for i in ids], dim=1) + self.offsets
        return F.embedding(rows, self.weight).flatten(1)`,
  Dice: String.raw`
class Dice(nn.Module):
    """DIN's data-adaptive activation (Zhou et al. 2018; tfjs: Dice), per unit of the last axis.

    p(s) * s + (1 - p(s)) * alpha * s with p(s) = sigmoid((s - mean) / sqrt(var + eps)): a PReLU whose
    bend follows the data. Training: the batch's mean and variance over every axis but the last, and
    the running averages step toward them (running = 0.99 * running + 0.01 * batch, BatchNorm1d's
    momentum=0.01 without affine weights); the running variance takes the batch's biased variance, as
    tfjs does (BatchNorm1d would take the unbiased one). Eval: the running averages. alpha starts at 0.
    """

    def __init__(self, units: int, eps: float = 1e-9, momentum: float = 0.01) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(units))
        self.register_buffer("running_mean", torch.zeros(units))
        self.register_buffer("running_var", torch.ones(units))
        self.eps = eps
        self.momentum = momentum

    def extra_repr(self) -> str:
        return f"{self.alpha.numel()}, eps={self.eps}, momentum={self.momentum}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            dims = tuple(range(x.dim() - 1))
            mean = x.mean(dim=dims)
            var = x.var(dim=dims, correction=0)
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var, self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        p = torch.sigmoid((x - mean) * torch.rsqrt(var + self.eps))
        return p * x + (1 - p) * self.alpha * x`,
  DinActivationUnit: String.raw`
class DinActivationUnit(nn.Module):
    """DIN's local activation unit (Zhou et al. 2018; tfjs: DinActivationUnit).

    Scores each history position from [q, k, q - k, q * k] with a small MLP: query [B, d],
    keys [B, L, d], mask [B, L] -> scores [B, L]. Padding positions score 0. The paper keeps raw
    scores (no softmax), so the pooled vector keeps the intensity of the user's interest; with
    softmax=True the scores are normalised over the real positions instead.

    activation: the hidden layers' activation by name, or one module per hidden layer (nn.PReLU or
    Dice, each with its alpha) applied to [B * L, units], so Dice's statistics span the batch and
    every position, padding included (as tfjs's DinActivationUnit and DeepCTR's Dice).
    """

    def __init__(self, dim: int, hidden: list[int], activation: str | list[nn.Module], softmax: bool) -> None:
        super().__init__()
        widths = [4 * dim, *hidden, 1]
        self.layers = nn.ModuleList(nn.Linear(widths[i], widths[i + 1]) for i in range(len(widths) - 1))
        self.activation = activation if isinstance(activation, str) else None
        self.activations = None if isinstance(activation, str) else nn.ModuleList(activation)
        self.softmax = softmax
        for layer in self.layers:
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        q = query.unsqueeze(1).expand_as(keys)
        h = torch.cat([q, keys, q - keys, q * keys], dim=2)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                if self.activations is None:
                    h = activation(self.activation, h)
                else:
                    h = self.activations[i](h.reshape(-1, h.shape[-1])).reshape(h.shape)
        scores = h.squeeze(2)
        if not self.softmax:
            return scores * mask
        masked = torch.where(mask > 0, scores, torch.full_like(scores, -1e9))
        return torch.softmax(masked, dim=1) * mask`,
};

/** The order helpers appear in model.py, whichever node asked first; DinActivationUnit calls activation (and may hold Dice modules). */
export const TORCH_HELPER_ORDER: readonly TorchHelperName[] = ['activation', 'padding_mask', 'gate_mixture', 'weighted_sum', 'masked_pooling', 'FusedEmbedding', 'Dice', 'DinActivationUnit'];

/** Helpers a helper needs. */
export const TORCH_HELPER_NEEDS: Partial<Record<TorchHelperName, TorchHelperName[]>> = { DinActivationUnit: ['activation'] };
