from __future__ import annotations

import os

import numpy as np
import pytest

train = pytest.importorskip("train") if os.environ.get("TOWERFLOW_TORCH_PACKAGE") else None


def test_auc_counts_ties_half():
    # Positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4: half) (0.4>0.1) -> 3.5 / 4.
    labels = np.array([1, 1, 0, 0], dtype=np.float32)
    scores = np.array([0.8, 0.4, 0.4, 0.1], dtype=np.float32)
    assert train.auc(labels, scores) == pytest.approx(0.875)


def test_auc_is_none_without_both_classes():
    assert train.auc(np.ones(3, dtype=np.float32), np.array([0.1, 0.2, 0.3])) is None


def test_loss_weights_override_by_name():
    names = [o["name"] for o in train.OUTPUTS if o["label"] is not None]
    weights = train.parse_loss_weights(f"{names[0]}=2.5")
    assert weights[names[0]] == 2.5
    assert set(weights) == set(names)


def test_loss_weights_refuse_an_unknown_task():
    with pytest.raises(SystemExit, match="--loss-weights names 'nope'"):
        train.parse_loss_weights("nope=1")
