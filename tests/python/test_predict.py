from __future__ import annotations

import os

import pytest

predict = pytest.importorskip("predict") if os.environ.get("TOWERFLOW_TORCH_PACKAGE") else None


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (0.5, "0.5"),
        (0.123456789, "0.1234568"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (1.5e21, "1.5e+21"),
        (123456789.0, "123456800"),
        (-2.5, "-2.5"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_js_number_writes_as_javascript_does(value, written):
    # JavaScript: String(Number((v).toPrecision(7))), e.g. String(1e-7) === "1e-7", String(1.5e21) === "1.5e+21".
    assert predict.js_number(value) == written


def test_one_thread_for_a_file_of_few_rows_unless_omp_num_threads_is_set():
    assert predict.threads_for(100_000, {}) == 1
    assert predict.threads_for(predict.ONE_THREAD_ROWS, {"OMP_NUM_THREADS": ""}) == 1
    assert predict.threads_for(predict.ONE_THREAD_ROWS + 1, {}) is None
    assert predict.threads_for(100_000, {"OMP_NUM_THREADS": "2"}) is None
