from __future__ import annotations

import os

import numpy as np
import pytest

data = pytest.importorskip("data") if os.environ.get("TOWERFLOW_TORCH_PACKAGE") else None
predict = pytest.importorskip("predict") if os.environ.get("TOWERFLOW_TORCH_PACKAGE") else None


def test_right_aligned_keeps_each_rows_last_values_left_padded():
    # Rows 0..2 hold [5, 6, 7], [], [8]; width 2: row 0 keeps its last two.
    out = data._right_aligned(np.array([0, 0, 0, 2]), np.array([5, 6, 7, 8]), 3, 2)
    assert out.tolist() == [[6, 7], [0, 0], [0, 8]]


def test_shares_of_gives_whole_files_when_there_are_enough_else_a_share_of_each():
    assert data.shares_of(["a", "b", "c"], 1, 2) == [("b", data.WHOLE)]
    assert data.shares_of(["a", "b", "c"], 0, 2) == [("a", data.WHOLE), ("c", data.WHOLE)]
    assert data.shares_of(["a"], 2, 3) == [("a", data.Share(2, 3))]
    assert data.shares_of(["a", "b"], 0, 1) == [("a", data.WHOLE), ("b", data.WHOLE)]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_byte_ranges_cut_at_line_starts_and_cover_the_data(tmp_path, ending):
    file = tmp_path / "t.csv"
    rows = [f"{i},word{i}" for i in range(50)]
    file.write_bytes(("a,b" + ending + ending.join(rows) + ending).encode())
    table = data.open_table(str(file))
    assert table.has_header
    text = file.read_bytes()
    ranges = [table.byte_range(data.Share(i, 4)) for i in range(4)]
    assert ranges[0][0] == len(b"a,b" + ending.encode())
    assert ranges[-1][1] == len(text)
    for (_, end), (start, _) in zip(ranges, ranges[1:]):
        assert end == start
        assert text[start - 1:start] == ending[-1].encode()
    lines = [line for i in range(4) for line, _ in table.rows(data.Share(i, 4))]
    assert lines == list(range(2, 52))


def test_lines_before_counts_cr_lf_and_crlf_as_one_each(tmp_path):
    file = tmp_path / "t.txt"
    file.write_bytes(b"a\r\nb\nc\rd\r\n")
    assert [data._lines_before(str(file), n) for n in (0, 3, 5, 7, 10)] == [0, 1, 2, 3, 4]


def test_js_numbers_writes_each_value_as_js_number_does():
    values = np.array([0.5, -0.0, 1e-5, 0.12345678, 123456789.0, float("nan"), 9999999.5, 1e-4])
    assert predict.js_numbers(values) == [predict.js_number(v) for v in values.tolist()]
