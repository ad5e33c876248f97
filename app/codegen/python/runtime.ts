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
  DinActivationUnit: String.raw`
class DinActivationUnit(nn.Module):
    """DIN's local activation unit (Zhou et al. 2018; tfjs: DinActivationUnit).

    Scores each history position from [q, k, q - k, q * k] with a small MLP: query [B, d],
    keys [B, L, d], mask [B, L] -> scores [B, L]. Padding positions score 0. The paper keeps raw
    scores (no softmax), so the pooled vector keeps the intensity of the user's interest; with
    softmax=True the scores are normalised over the real positions instead.
    """

    def __init__(self, dim: int, hidden: list[int], activation: str, softmax: bool) -> None:
        super().__init__()
        widths = [4 * dim, *hidden, 1]
        self.layers = nn.ModuleList(nn.Linear(widths[i], widths[i + 1]) for i in range(len(widths) - 1))
        self.activation = activation
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
                h = activation(self.activation, h)
        scores = h.squeeze(2)
        if not self.softmax:
            return scores * mask
        masked = torch.where(mask > 0, scores, torch.full_like(scores, -1e9))
        return torch.softmax(masked, dim=1) * mask`,
};

/** The order helpers appear in model.py, whichever node asked first; DinActivationUnit calls activation. */
export const TORCH_HELPER_ORDER: readonly TorchHelperName[] = ['activation', 'padding_mask', 'gate_mixture', 'weighted_sum', 'masked_pooling', 'FusedEmbedding', 'DinActivationUnit'];

/** Helpers a helper needs. */
export const TORCH_HELPER_NEEDS: Partial<Record<TorchHelperName, TorchHelperName[]>> = { DinActivationUnit: ['activation'] };
