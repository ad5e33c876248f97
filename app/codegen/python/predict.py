"""Predicts every output of the model for each row of a data file, as 'towerflow predict' does.

    python predict.py --run <towerflow run folder> --data new.csv --out predictions.csv
    python predict.py --checkpoint <train.py --out folder> --data new.csv --out predictions.csv

The run's trained weights (run/model, tfjs layers format) load into model.Model; its encoders.json
and binding.json encode the file exactly as Towerflow encoded the training data. The CSV has one
column per output, in the model's output order, numbers written as Towerflow writes them (7
significant digits).

Threads: where OMP_NUM_THREADS is unset and the file has at most ONE_THREAD_ROWS rows, torch runs on
one thread. The forward pass is a small share of the time there (census MMoE, one thread: about 0.5 s
of forward for 100,000 rows against 2.7 s of reading and encoding), and on a busy machine torch's
threads wait for each other: on 2 loaded cores, 100,000 rows took 10.0-11.1 s with one thread and
13.3-24.2 s with two. Set OMP_NUM_THREADS to choose.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import torch

from data import DataError, encode_file, read_json
from model import INPUTS, OUTPUTS, Model, load_tfjs_weights

# Up to this many rows (and OMP_NUM_THREADS unset), one torch thread: threading does not pay there.
ONE_THREAD_ROWS = 1_000_000


def threads_for(rows: int, environ: dict[str, str]) -> int | None:
    """The torch thread count predict.py sets for a file of `rows` rows: 1 for a file of at most
    ONE_THREAD_ROWS rows where OMP_NUM_THREADS is unset, else None (torch's own choice, or the variable's)."""
    return 1 if not environ.get("OMP_NUM_THREADS") and rows <= ONE_THREAD_ROWS else None


def js_number(value: float) -> str:
    """A float32 prediction as 'towerflow predict' writes it: 7 significant digits, JavaScript's notation."""
    if not np.isfinite(value):
        return "NaN" if np.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    rounded = float(f"{value:.7g}")
    if rounded == 0:
        return "0"
    sign = "-" if rounded < 0 else ""
    # repr gives the shortest digits that read back as the same double, as JavaScript's String(number).
    shortest, _, exp = repr(abs(rounded)).partition("e")
    whole, _, fraction = shortest.partition(".")
    every = whole + fraction
    mantissa = every.lstrip("0")
    point = len(whole) + int(exp or 0) - (len(every) - len(mantissa))  # value = 0.<mantissa> * 10 ** point
    mantissa = mantissa.rstrip("0")
    if 0 < point <= 21:
        if len(mantissa) <= point:
            return sign + mantissa + "0" * (point - len(mantissa))
        return f"{sign}{mantissa[:point]}.{mantissa[point:]}"
    if -6 < point <= 0:
        return f"{sign}0.{'0' * -point}{mantissa}"
    e = point - 1
    body = mantissa[0] + (f".{mantissa[1:]}" if len(mantissa) > 1 else "")
    return f"{sign}{body}e{'+' if e > 0 else '-'}{abs(e)}"


def js_numbers(values: np.ndarray) -> list[str]:
    """js_number for a column: Python's '%.7g' is JavaScript's text wherever it writes no exponent
    (|x| from 1e-4 up to 1e7 after rounding), which is almost every probability; the rest go one by one."""
    written = [f"{v:.7g}" for v in values.tolist()]
    return [js_number(v) if "e" in w or "n" in w or w == "-0" else w for v, w in zip(values.tolist(), written)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="a Towerflow run folder (graph.json, binding.json, encoders.json, model/)")
    source.add_argument("--checkpoint", help="a train.py output folder (model.pt, binding.json, encoders.json)")
    parser.add_argument("--data", required=True, help="the CSV/TSV file to predict, gzip or not, or a .parquet file")
    parser.add_argument("--out", help="the CSV to write (default: standard output)")
    parser.add_argument("--batch-size", type=int, default=4096)
    args = parser.parse_args(argv)

    folder = Path(args.run or args.checkpoint)
    try:
        binding = read_json(folder / "binding.json")
        encoders = read_json(folder / "encoders.json")
        # Neither labels nor the GAUC group are needed to predict.
        binding = {**binding, "labels": {}}
        inputs, _ = encode_file(args.data, binding, encoders, INPUTS, with_labels=False)
    except (DataError, OSError, ValueError, KeyError) as error:
        print(f"predict.py: {error}", file=sys.stderr)
        return 1

    model = Model()
    try:
        if args.run:
            load_tfjs_weights(model, folder / "model")
        else:
            model.load_state_dict(torch.load(folder / "model.pt", map_location="cpu", weights_only=True))
    except (OSError, ValueError, RuntimeError) as error:
        print(f"predict.py: {error}", file=sys.stderr)
        return 1
    model.eval()

    rows = len(next(iter(inputs.values()))) if inputs else 0
    threads = threads_for(rows, dict(os.environ))
    if threads is not None:
        torch.set_num_threads(threads)
    columns: dict[str, list[np.ndarray]] = {o["name"]: [] for o in OUTPUTS}
    with torch.inference_mode():
        for start in range(0, rows, args.batch_size):
            batch = {name: torch.from_numpy(values[start:start + args.batch_size]) for name, values in inputs.items()}
            for name, prediction in model(batch).items():
                columns[name].append(prediction.reshape(-1).numpy())
    values = {name: np.concatenate(parts) if parts else np.zeros(0, np.float32) for name, parts in columns.items()}
    texts = [js_numbers(values[name].astype(np.float64)) for name in columns]
    text = "\n".join([",".join(columns), *map(",".join, zip(*texts))]) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {rows} predictions of {', '.join(columns)} to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
