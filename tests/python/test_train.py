from __future__ import annotations

import argparse
import math
import os

import numpy as np
import pytest
import torch

train = pytest.importorskip("train") if os.environ.get("TOWERFLOW_TORCH_PACKAGE") else None


def test_auc_counts_ties_half():
    # Positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4: half) (0.4>0.1) -> 3.5 / 4.
    labels = np.array([1, 1, 0, 0], dtype=np.float32)
    scores = np.array([0.8, 0.4, 0.4, 0.1], dtype=np.float32)
    assert train.auc(labels, scores) == pytest.approx(0.875)


def test_auc_is_none_without_both_classes():
    assert train.auc(np.ones(3, dtype=np.float32), np.array([0.1, 0.2, 0.3])) is None


def test_gauc_weights_each_group_with_both_classes_by_its_rows():
    # a: positives 0.9, 0.3 vs negative 0.5 -> 1/2, 3 rows; b: 1.0, 2 rows; c: one class, left out;
    # d: a tie -> 1/2, 2 rows. GAUC = (3 * 0.5 + 2 * 1 + 2 * 0.5) / 7.
    groups = np.array(["a", "b", "a", "c", "b", "a", "d", "d"], dtype=object)
    labels = np.array([1, 0, 0, 1, 1, 1, 1, 0], dtype=np.float32)
    scores = np.array([0.9, 0.2, 0.5, 0.7, 0.8, 0.3, 0.4, 0.4], dtype=np.float32)
    assert train.gauc(labels, scores, groups) == pytest.approx(4.5 / 7)


def test_gauc_equals_the_mean_of_per_group_aucs_on_random_data():
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 40, 2000).astype(str).astype(object)
    labels = (rng.random(2000) < 0.3).astype(np.float32)
    scores = np.round(rng.random(2000), 2).astype(np.float32)  # rounded: many ties inside groups
    weighted = weight = 0.0
    for g in np.unique(groups):
        value = train.auc(labels[groups == g], scores[groups == g])
        if value is not None:
            weighted += value * (groups == g).sum()
            weight += (groups == g).sum()
    assert train.gauc(labels, scores, groups) == pytest.approx(weighted / weight, abs=1e-12)


def test_gauc_is_none_when_no_group_has_both_classes():
    assert train.gauc(np.array([1, 0], dtype=np.float32), np.array([0.1, 0.2]), np.array(["a", "b"], dtype=object)) is None


def schedule(kind: str, warmup: int = 0, min_lr: float = 0.0, every: int = 1, factor: float = 0.5) -> dict:
    args = argparse.Namespace(lr_schedule=kind, warmup_steps=warmup, min_lr=min_lr, lr_step_every=every, lr_step_factor=factor)
    return train.full_schedule(args)


@pytest.mark.parametrize(
    ("kind", "options", "step", "expected"),
    [
        # warm-up: lr * (t + 1) / W
        ("constant", {"warmup": 4}, 0, 0.0025),
        ("constant", {"warmup": 4}, 3, 0.01),
        ("constant", {"warmup": 4}, 50, 0.01),
        ("constant", {}, 0, 0.01),
        # cosine, W = 4, T = 104, m = 0.001: t = 4 is the top, t = 54 halfway (cos = 0), t = 104 the end
        ("cosine", {"warmup": 4, "min_lr": 0.001}, 4, 0.01),
        ("cosine", {"warmup": 4, "min_lr": 0.001}, 54, 0.001 + 0.5 * 0.009),
        ("cosine", {"warmup": 4, "min_lr": 0.001}, 104, 0.001),
        ("cosine", {"warmup": 4, "min_lr": 0.001}, 29, 0.001 + 0.5 * 0.009 * (1 + math.cos(math.pi * 25 / 100))),
        # step, 10 steps per epoch, k = 2, g = 0.5: epochs 0-1 at lr, 2-3 at lr / 2, 4 at lr / 4
        ("step", {"every": 2}, 19, 0.01),
        ("step", {"every": 2}, 20, 0.005),
        ("step", {"every": 2}, 45, 0.0025),
        ("step", {"warmup": 5, "every": 2}, 2, 0.006),
        ("step", {"factor": 0.1}, 30, 0.01 * 0.1**3),
    ],
)
def test_learning_rate_follows_the_shared_spec(kind, options, step, expected):
    assert train.learning_rate_at(schedule(kind, **options), 0.01, step, 10, 104) == pytest.approx(expected, rel=1e-12)


def test_schedules_are_recorded_with_every_default_as_the_app_records_them():
    assert schedule("constant") == {"type": "constant"}
    assert schedule("constant", warmup=3) == {"type": "constant", "warmupSteps": 3}
    assert schedule("cosine") == {"type": "cosine", "warmupSteps": 0, "minLearningRate": 0.0}
    assert schedule("step") == {"type": "step", "warmupSteps": 0, "everyEpochs": 1, "factor": 0.5}


def test_a_logit_loss_stays_exact_where_the_probability_would_be_clamped():
    output = {"loss": "binary_crossentropy"}
    logit, label = torch.tensor([30.0]), torch.tensor([0.0])
    # -log(1 - sigmoid(30)) = 30 + log(1 + e^-30); the probability rounds to 1 in float32 and is clamped
    # to float32(1 - 1e-7) = 1 - 2^-23, so it gives -log(2^-23) = 15.9.
    assert train.task_loss(output, logit, label, logit=True).item() == pytest.approx(30.0, rel=1e-6)
    assert train.task_loss(output, torch.sigmoid(logit), label).item() == pytest.approx(23 * math.log(2), rel=1e-5)
    middle = torch.tensor([0.3, -1.2])
    both = torch.tensor([1.0, 0.0])
    assert train.task_loss(output, middle, both, logit=True).item() == pytest.approx(train.task_loss(output, torch.sigmoid(middle), both).item(), rel=1e-6)


def test_metric_values_and_directions_as_the_app():
    metrics = {"loss": 0.9, "tasks": {"a": {"loss": 0.4, "auc": 0.7}, "b": {"loss": 0.5, "auc": None}}}
    assert train.metric_value(metrics, "loss") == 0.9
    assert train.metric_value(metrics, "a.auc") == 0.7
    assert train.metric_value(metrics, "mean.auc") == 0.7  # b has none: the mean is over the tasks that have one
    assert math.isnan(train.metric_value(metrics, "b.auc"))
    assert train.higher_is_better("mean.gauc") and train.higher_is_better("a.auc") and not train.higher_is_better("a.logloss")


def test_loss_weights_override_by_name():
    names = [o["name"] for o in train.OUTPUTS if o["label"] is not None]
    weights = train.parse_loss_weights(f"{names[0]}=2.5")
    assert weights[names[0]] == 2.5
    assert set(weights) == set(names)


def test_loss_weights_refuse_an_unknown_task():
    with pytest.raises(train.TrainError, match="--loss-weights names 'nope'"):
        train.parse_loss_weights("nope=1")
