#!/usr/bin/env bash
# Creates (or reuses) the project-local Python environment the PyTorch export is tested in, and
# prints the path of its python on the last line of stdout.
#
#   scripts/python-env.sh              .venv-torch/: torch, numpy, ruff, pytest, pandas, pyarrow (latest from
#                                      PyPI; pandas and pyarrow: the data bench's peer and Parquet fixtures;
#                                      pytest: tests/python, the export's pure functions)
#   scripts/python-env.sh --torchrec   .venv-torchrec/: the versions that load together on CPU
#                                      (torch 2.14.1 + fbgemm-gpu-cpu 1.9.0 + torchrec 1.9.2; see
#                                      README "Scale out": torch 2.15 and fbgemm-gpu-cpu 1.9.0 do not)
#
# Exit status: 0 ready; 3 no python3 >= 3.9 with venv; 4 an install failed (its log is printed).
# PyPI's torch wheel is the CUDA build and pulls its CUDA libraries even on CPU: the first run takes
# a few minutes and a few GB; later runs only check that the packages import (a second or two).
set -uo pipefail
cd "$(dirname "$0")/.."

flavour=torch
if [ "${1:-}" = "--torchrec" ]; then flavour=torchrec; fi
venv="${TOWERFLOW_PYTHON_ENV:-.venv-$flavour}"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "no $python on PATH: install Python 3.9 or later" >&2
  exit 3
fi
if ! "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
  echo "$python is older than 3.9 or has no venv module" >&2
  exit 3
fi

if [ "$flavour" = torch ]; then
  check='import torch, numpy; import ruff, pytest; import pandas, pyarrow'
  packages=(torch numpy ruff pytest pandas pyarrow)
else
  check='import torch, fbgemm_gpu, torchrec, numpy, pyarrow; import ruff'
  packages=()
fi

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
  echo "$PWD/$venv/bin/python"
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
{
  "$python" -m venv "$venv" &&
    "$venv/bin/python" -m pip install --quiet --upgrade pip &&
    if [ "$flavour" = torch ]; then
      "$venv/bin/python" -m pip install --quiet "${packages[@]}"
    else
      # torchrec declares the CUDA fbgemm-gpu; on CPU it goes in without dependencies, with what it imports.
      "$venv/bin/python" -m pip install --quiet torch==2.14.1 fbgemm-gpu-cpu==1.9.0 numpy pyarrow ruff &&
        "$venv/bin/python" -m pip install --quiet --no-deps torchrec==1.9.2 &&
        "$venv/bin/python" -m pip install --quiet tensordict pyvers orjson cloudpickle importlib_metadata \
          torchmetrics==1.0.3 lightning-utilities pyre-extensions typing-inspect mypy-extensions iopath pyyaml
    fi
} >"$log" 2>&1
status=$?
if [ $status -ne 0 ] || ! "$venv/bin/python" -c "$check" >>"$log" 2>&1; then
  echo "could not set up $venv:" >&2
  tail -n 30 "$log" >&2
  exit 4
fi
echo "$PWD/$venv/bin/python"
