"""The data bench's pandas peer: census read and encoded as Towerflow's prepareData does, timed.

    python pandas_ingest.py BINDING.json FILE [--engine c|pyarrow] [--validation 0.2] [--seed 1]

Prints one JSON line: seconds, rows, maxRss (bytes), versions and the same digest Towerflow's side
computes (bench/data-ready.ts readyDigest), so the bench can check both did the same work.

The same semantics as Towerflow (app/data/prepare.ts, encoders.ts, split.ts), written as a pandas
user would: read_csv with the binding's column names (header-less), only the columns the model
needs, `?` and '' as missing, values trimmed; then
  - categorical columns: int32 codes in frequency order (count descending, then value ascending),
    counted on the training rows, at most vocabSize - 1 = 63 values, 0 for missing and unseen;
  - numeric columns: float, log1p where the binding says so, standardised to float32 with the
    training rows' mean and population std (std 0 -> 1), missing -> 0 (the mean);
  - labels: 1.0 where the trimmed value equals the binding's `equals`, a missing label is an error;
  - split: the row's uniform draw hashUniform(seed, index) (app/data/hash.ts, vectorised here)
    below 1 - validation is a training row, as Towerflow's streaming splitter.
Then the train and validation arrays, as Towerflow hands them to training.
"""

import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd

# The MMoE template's inputs (scripts/template-definitions.ts): 32 categorical, 7 numeric.
CATEGORICAL = [
    "class_worker", "det_ind_code", "det_occ_code", "education", "hs_college", "major_ind_code", "major_occ_code",
    "race", "hisp_origin", "sex", "union_member", "unemp_reason", "full_or_part_emp", "tax_filer_stat",
    "region_prev_res", "state_prev_res", "det_hh_fam_stat", "det_hh_summ", "mig_chg_msa", "mig_chg_reg",
    "mig_move_reg", "mig_same", "mig_prev_sunbelt", "fam_under_18", "country_father", "country_mother",
    "country_self", "citizenship", "own_or_self", "vet_question", "vet_benefits", "year",
]
NUMERIC = ["age", "wage_per_hour", "capital_gains", "capital_losses", "stock_dividends", "num_emp", "weeks_worked"]
VOCAB_SIZE = 64

M32 = np.uint32(0xFFFFFFFF)


def fmix32(h):
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def hash_uniform(seed, rows):
    """app/data/hash.ts hashUniform(seed, i) for i in 0..rows-1 (rows < 2^32, so the high word is 0)."""
    with np.errstate(over="ignore"):
        h0 = fmix32(np.uint32((seed & 0xFFFFFFFF) ^ 0x9E3779B9))
        h = fmix32(h0 ^ np.arange(rows, dtype=np.uint32))
        h = fmix32((h * np.uint32(0x27D4EB2D)) ^ np.uint32(0))
    return h.astype(np.float64) / 4294967296.0


def trimmed_codes(series):
    """Category codes after trimming the categories (so 'x ' and 'x' are one value), -1 for missing."""
    categories = series.cat.categories.astype(str).str.strip()
    codes = series.cat.codes.to_numpy().astype(np.int32)
    unique, inverse = np.unique(np.asarray(categories, dtype=object), return_inverse=True)
    lookup = np.append(inverse.astype(np.int32), np.int32(-1))  # code -1 stays -1
    codes = lookup[codes]
    if "" in unique:
        empty = int(np.searchsorted(unique, ""))
        codes[codes == empty] = -1
    return codes, unique


def encode_categorical(series, train):
    codes, values = trimmed_codes(series)
    counts = np.bincount(codes[train & (codes >= 0)], minlength=len(values))
    order = sorted((i for i in range(len(values)) if counts[i] > 0), key=lambda i: (-counts[i], values[i]))
    kept = order[: VOCAB_SIZE - 1]
    remap = np.zeros(len(values) + 1, dtype=np.int32)  # last slot: missing (-1)
    remap[kept] = np.arange(1, len(kept) + 1, dtype=np.int32)
    return remap[codes], len(kept)


def encode_numeric(values, train, log1p, column):
    x = values.to_numpy(dtype=np.float64)
    if log1p:
        if np.any(x < 0):
            raise ValueError(f'column "{column}": log1p needs values >= 0')
        x = np.log1p(x)
    fit = x[train]
    fit = fit[~np.isnan(fit)]
    mean = float(fit.mean()) if fit.size else 0.0
    std = float(fit.std()) if fit.size else 0.0
    std = std if std > 0 else 1.0
    z = (x - mean) / std
    z[np.isnan(z)] = 0.0
    return z.astype(np.float32), mean, std


def main():
    args = argparse.ArgumentParser()
    args.add_argument("binding")
    args.add_argument("file")
    args.add_argument("--engine", default="c")
    args.add_argument("--validation", type=float, default=0.2)
    args.add_argument("--seed", type=int, default=1)
    opts = args.parse_args()
    with open(opts.binding) as f:
        binding = json.load(f)
    labels = {name: rule for name, rule in binding["labels"].items()}
    features = binding.get("features", {})
    label_columns = sorted({rule["column"] for rule in labels.values()})
    needed = [c for c in binding["columns"] if c in set(CATEGORICAL) | set(NUMERIC) | set(label_columns)]

    started = time.perf_counter()
    dtypes = {c: "category" for c in CATEGORICAL + label_columns}
    dtypes.update({c: "float64" for c in NUMERIC})
    # pyarrow's engine has no skipinitialspace: its missing markers carry the space, categories are
    # trimmed below either way, and its number parser takes the leading space.
    spaced = {} if opts.engine == "pyarrow" else {"skipinitialspace": True}
    frame = pd.read_csv(
        opts.file,
        header=None,
        names=binding["columns"],
        # pyarrow's engine mixes up usecols with names on a header-less file: it reads all 42 columns.
        usecols=None if opts.engine == "pyarrow" else needed,
        dtype=dtypes,
        na_values=["?", "", " ?", " "] if opts.engine == "pyarrow" else ["?", ""],
        keep_default_na=False,
        engine=opts.engine,
        **spaced,
    )
    read_seconds = time.perf_counter() - started
    rows = len(frame)
    train = hash_uniform(opts.seed, rows) < 1 - opts.validation
    valid = ~train

    ids = np.empty((rows, len(CATEGORICAL)), dtype=np.int32)
    vocab = {}
    for c, column in enumerate(CATEGORICAL):
        ids[:, c], vocab[column] = encode_categorical(frame[column], train)
    numeric = np.empty((rows, len(NUMERIC)), dtype=np.float32)
    stats = {}
    for c, column in enumerate(NUMERIC):
        numeric[:, c], mean, std = encode_numeric(frame[column], train, features.get(column, {}).get("log", False), column)
        stats[column] = (mean, std)
    label_arrays = {}
    for name, rule in labels.items():
        codes, values = trimmed_codes(frame[rule["column"]])
        if np.any(codes < 0):
            line = int(np.argmax(codes < 0)) + 1
            raise ValueError(f'line {line}: column "{rule["column"]}": the label value is missing')
        positive = np.asarray(values == str(rule["equals"]).strip(), dtype=np.float32)
        label_arrays[name] = positive[codes]
    split = {
        "train": (ids[train], numeric[train], {n: a[train] for n, a in label_arrays.items()}),
        "valid": (ids[valid], numeric[valid], {n: a[valid] for n, a in label_arrays.items()}),
    }
    seconds = time.perf_counter() - started

    train_ids, train_numeric, train_labels = split["train"]
    valid_ids, _, valid_labels = split["valid"]
    digest = {
        "train": int(train.sum()),
        "valid": int(valid.sum()),
        "categorical": {
            column: {"vocab": vocab[column], "trainSum": int(train_ids[:, c].sum(dtype=np.int64)), "validSum": int(valid_ids[:, c].sum(dtype=np.int64))}
            for c, column in enumerate(CATEGORICAL)
        },
        "numeric": {
            column: {"mean": stats[column][0], "std": stats[column][1], "trainSum": float(train_numeric[:, c].sum(dtype=np.float64))}
            for c, column in enumerate(NUMERIC)
        },
        "labels": {name: {"train": float(train_labels[name].sum()), "valid": float(valid_labels[name].sum())} for name in labels},
    }
    print(json.dumps({
        "rows": rows,
        "seconds": seconds,
        "readSeconds": read_seconds,
        "rowsPerSecond": rows / seconds,
        "maxRss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "engine": opts.engine,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "digest": digest,
    }))


if __name__ == "__main__":
    main()
