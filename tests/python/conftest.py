"""pytest for the fixed files of the PyTorch export (app/codegen/python/*.py).

They import model.py, which Towerflow generates per graph, so they run inside an exported package:
TOWERFLOW_TORCH_PACKAGE names its folder (tests/unit/codegen/python-sources.test.ts exports MMoE's
and sets it). Without it every test here is skipped, with that reason.
"""

from __future__ import annotations

import os
import sys

import pytest

PACKAGE = os.environ.get("TOWERFLOW_TORCH_PACKAGE")


def pytest_collection_modifyitems(config, items):
    if PACKAGE:
        return
    skip = pytest.mark.skip(reason="TOWERFLOW_TORCH_PACKAGE is not set: run through tests/unit/codegen/python-sources.test.ts, which exports a package")
    for item in items:
        item.add_marker(skip)


if PACKAGE:
    sys.path.insert(0, PACKAGE)
