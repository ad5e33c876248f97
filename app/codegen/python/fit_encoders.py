"""Fits the encoders once, for every process and machine of a cluster to share.

    python fit_encoders.py --data train.csv --binding binding.json --out encoders.json
    python fit_encoders.py --data 'parts/*.csv.gz' --data more.parquet --binding binding.json --out encoders.json

Vocabularies, hash tables and mean/std are fitted on every row of the files (in the order named,
each pattern's matches sorted) by Towerflow's rules, and written as a Towerflow run's encoders.json:
for one file, the encoders.json 'towerflow train' writes when all of that file is training data.
The files are streamed a block at a time, so they may be larger than memory. Then

    torchrun ... train.py --data ... --encoders encoders.json

gives every process the same ids and scaling (train.py refuses several processes without it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from data import DataError, data_files, fit_encoders, read_json
from model import INPUTS, OUTPUTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, action="append", help="a training file or glob pattern (CSV/TSV, gzip or not, .parquet); repeat for more")
    parser.add_argument("--binding", required=True, help="the dataset binding (JSON), as Towerflow takes it")
    parser.add_argument("--out", required=True, help="the encoders.json to write")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        files = data_files(args.data)
        encoders = fit_encoders(files, read_json(args.binding), INPUTS, OUTPUTS)
    except (DataError, OSError, ValueError) as error:
        print(f"fit_encoders.py: {error}", file=sys.stderr)
        return 1
    Path(args.out).write_text(json.dumps(encoders, indent=2), encoding="utf-8")
    print(f"fitted {len(encoders['inputs'])} inputs on {len(files)} file{'s' if len(files) != 1 else ''} in {time.perf_counter() - started:.1f} s: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
