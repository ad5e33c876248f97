"""Reads CSV/TSV files (gzip or not) and Parquet files, and encodes them for model.py, by Towerflow's rules.

The same rules as Towerflow's data pipeline (app/data in the Towerflow source), so a model trained
in Towerflow and one trained here see identical inputs:
  - the separator is detected from the first lines (, tab ; |), gzip from the bytes, and a header
    row from its cells (or set by the binding's "header"); "?" and empty cells are missing;
  - a .parquet file (read with pyarrow, 65,536 rows at a time) names its own columns; its cells
    read as Towerflow reads them: numbers as JavaScript writes them (4.0 is "4"), booleans "1"/"0",
    strings trimmed, null and NaN missing; nested and date/time columns are refused by name;
  - categorical ids: a vocabulary of the most frequent values (then by value), id 0 for missing or
    unseen, or FNV-1a hashing into the table ("encoding": "hash");
  - numbers: standardised (population std), optionally of log1p(x); missing is the mean (0);
  - id lists: the most recent max_length known ids, left-padded with 0 ("?" and empty tokens are
    missing); the lists of one behaviour sequence (INPUTS' "group", encoders.json's "sequences":
    DIN's item history and the genres of those items) keep a position in all of them or in none,
    kept only where every list has a known id, so item p stays paired with its own genres;
  - labels by rule: equals / atLeast / 0-1 column / numeric / all / any.
Encoders come from a Towerflow run's encoders.json, or are fitted here on the training rows
(fit_encoders) and saved in the same format.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

MISSING = ("?", "")
SEPARATORS = (",", "\t", ";", "|")
DECIMAL = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
FLOAT32_MAX = 3.4028234663852886e38


class DataError(Exception):
    """A problem with the data, with a stable code and the place: file, line and column."""

    def __init__(self, code: str, message: str, file: str | None = None, line: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        place = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        column = f'column "{self.column}": ' if self.column is not None else ""
        return f"{place + ': ' if place else ''}{column}{self.message} [{self.code}]"


def parse_number(text: str) -> float | None:
    """The finite number written in plain decimal notation, else None (no 'inf', '0x1f', '1_000')."""
    if not DECIMAL.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


# ------------------------------------------------------------------ reading tables


@dataclass
class Table:
    file: str
    columns: list[str]
    separator: str
    has_header: bool

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        """(line, values by column) for every data row; values trimmed, missing markers as None."""
        with _open_text(self.file) as handle:
            reader = csv.reader(handle, delimiter=self.separator)
            first = True
            for fields in _bounded(reader, self.file):
                line = reader.line_num
                if len(fields) == 0 or (len(fields) == 1 and fields[0].strip() == ""):
                    continue
                if first:
                    first = False
                    if self.has_header:
                        continue
                fields = [f.strip() for f in fields]
                if len(fields) != len(self.columns):
                    raise DataError("E_DATA_COLUMN_COUNT", f"expected {len(self.columns)} fields, got {len(fields)}", self.file, line)
                yield line, {c: (None if v in MISSING else v) for c, v in zip(self.columns, fields)}


# As Towerflow: a cell longer than this is refused with its place, not buffered (one 200 MiB line
# in a small gzip would otherwise take all memory).
MAX_CELL_CHARS = 256 * 1024
csv.field_size_limit(MAX_CELL_CHARS)


def _bounded(reader, file: str) -> Iterator[list[str]]:
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            code = "E_DATA_CELL_TOO_LONG" if "field larger" in str(error) else "E_DATA_CSV_SYNTAX"
            raise DataError(code, f"cannot read a row: {error}", file, reader.line_num) from None
        yield fields


def _open_text(file: str):
    with open(file, "rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    # utf-8-sig drops a byte order mark; newline="" lets csv see CR, LF and CRLF line endings.
    return opener(file, "rt", encoding="utf-8-sig", newline="")


def open_table(file: str, header: bool | str = "auto", columns: list[str] | None = None) -> Table:
    """Opens a table: separator, header and column names as Towerflow decides them."""
    if not Path(file).is_file():
        raise DataError("E_DATA_FILE_NOT_FOUND", "file not found or not a regular file", file)
    if file.lower().endswith(".parquet"):
        return _open_parquet(file)
    with _open_text(file) as handle:
        head = handle.read(64 * 1024)
    if head.strip() == "":
        raise DataError("E_DATA_EMPTY", "the file is empty", file)
    separator = _detect_separator(head, truncated=len(head) >= 64 * 1024)
    sample = []
    for fields in csv.reader(head.splitlines(), delimiter=separator):
        if fields and not (len(fields) == 1 and fields[0].strip() == ""):
            sample.append([f.strip() for f in fields])
        if len(sample) >= 20:
            break
    first = sample[0]
    has_header = _looks_like_header(first, sample[1:]) if header == "auto" else bool(header)
    names = list(columns) if columns is not None else (first if has_header else [f"c{i + 1}" for i in range(len(first))])
    if len(set(names)) != len(names):
        raise DataError("E_DATA_DUPLICATE_COLUMN", "a column name appears more than once", file, 1)
    if len(names) != len(first):
        raise DataError("E_DATA_COLUMN_COUNT", f"{len(names)} column names were given but the first row has {len(first)} fields", file, 1)
    return Table(file, names, separator, has_header)


class ParquetTable(Table):
    """A Parquet file (read with pyarrow, 65,536 rows at a time); its columns are named by the file."""

    def rows(self) -> Iterator[tuple[int, dict[str, str | None]]]:
        """(row number, values by column), cells as Towerflow reads them: see _parquet_text."""
        import pyarrow.parquet as pq

        row = 0
        # In batches, as Towerflow reads slices: memory follows the batch, not the row group.
        for batch in pq.ParquetFile(self.file).iter_batches(batch_size=65536, columns=self.columns):
            cells = [batch.column(c).to_pylist() for c in self.columns]
            for values in zip(*cells):
                row += 1
                texts = [_parquet_text(v) for v in values]
                for column, text in zip(self.columns, texts):
                    if text is not None and len(text) > MAX_CELL_CHARS:
                        raise DataError("E_DATA_CELL_TOO_LONG", f"a cell of {len(text)} characters, longer than the {MAX_CELL_CHARS} a cell may hold", self.file, row, column)
                yield row, {c: (None if t is None or t in MISSING else t) for c, t in zip(self.columns, texts)}


def _open_parquet(file: str) -> ParquetTable:
    """As Towerflow: the file's own column names ("header" and "columns" do not apply); nested and
    non-tabular columns (lists, structs, maps, dates, timestamps, binary) are refused by name."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
        import pyarrow.types as pt
    except ImportError:
        raise DataError("E_DATA_PARQUET_READ", "reading Parquet needs pyarrow: pip install pyarrow", file) from None
    try:
        schema = pq.read_schema(file)
    except (OSError, ValueError, pa.ArrowException) as error:
        raise DataError("E_DATA_NOT_PARQUET", f"not a readable Parquet file: {error}", file) from None
    for field in schema:
        kind = field.type.value_type if pt.is_dictionary(field.type) else field.type
        nested = "a list" if pt.is_list(kind) or pt.is_large_list(kind) or pt.is_fixed_size_list(kind) else "a map" if pt.is_map(kind) else "a struct" if pt.is_struct(kind) else None
        if nested is not None:
            raise DataError("E_DATA_PARQUET_UNSUPPORTED", f"a nested column ({nested}), which cannot be one cell of a table", file, None, field.name)
        if not (pt.is_integer(kind) or pt.is_floating(kind) or pt.is_boolean(kind) or pt.is_string(kind) or pt.is_large_string(kind) or pt.is_decimal(kind) or pt.is_binary(kind)):
            raise DataError("E_DATA_PARQUET_UNSUPPORTED", f"a {kind} column; int, float, bool, string and decimal columns are read: drop or convert it when writing the file", file, None, field.name)
    if len(set(schema.names)) != len(schema.names):
        raise DataError("E_DATA_DUPLICATE_COLUMN", "a column name appears more than once", file)
    return ParquetTable(file, list(schema.names), ",", True)


def _parquet_text(value: object) -> str | None:
    """A Parquet value as the text Towerflow gives it: numbers as JavaScript writes them (4.0 is
    "4", so a categorical column pandas stored as float keeps Towerflow's vocabulary), booleans "1"
    and "0", strings trimmed; None and NaN are missing."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    number = float(value)
    if math.isnan(number):
        return None
    return _js_number_text(number)


def _js_number_text(x: float) -> str:
    """JavaScript's String(x): the shortest round-trip digits, positional from 1e-6 to 1e21."""
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    digits = repr(x)
    if 1e-6 <= abs(x) < 1e21:
        if "e" in digits or "E" in digits:
            digits = format(Decimal(digits), "f")
        return digits.removesuffix(".0")
    mantissa, exponent = digits.split("e")
    mantissa = mantissa.removesuffix(".0")
    power = int(exponent)
    return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def _count_outside_quotes(line: str, separator: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == separator and not quoted:
            count += 1
    return count


def _detect_separator(text: str, truncated: bool) -> str:
    lines = re.split(r"\r\n|\n|\r", text)
    if truncated and len(lines) > 1:
        lines.pop()
    sampled = [line for line in lines if line.strip() != ""][:20]
    best, best_score, best_consistent = ",", 0, False
    for candidate in SEPARATORS:
        counts = [_count_outside_quotes(line, candidate) for line in sampled]
        low = min(counts) if counts else 0
        if low == 0:
            continue
        consistent = all(c == low for c in counts)
        better = True if consistent and not best_consistent else (consistent == best_consistent and low > best_score)
        if better:
            best, best_score, best_consistent = candidate, low, consistent
    return best


def _looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    if any(cell in ("", "?") or parse_number(cell) is not None for cell in first):
        return False
    if len(set(first)) != len(first):
        return False
    for c in range(len(first)):
        below = [row[c] for row in rest if c < len(row) and row[c] not in ("", "?")]
        if below and all(parse_number(v) is not None for v in below):
            return True
    return all(all(c >= len(row) or row[c] != cell for row in rest) for c, cell in enumerate(first))


# ------------------------------------------------------------------ encoders


def fnv1a32(text: str) -> int:
    """FNV-1a, 32 bits, over the UTF-8 bytes: the buckets Towerflow's hash encoder gives."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8", "surrogatepass"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def list_tokens(value: str | None, separator: str) -> list[str | None]:
    """Tokens by position, trimmed; a missing token ("" or "?", as for cells) is None."""
    if value is None:
        return []
    return [None if t.strip() in MISSING else t.strip() for t in value.split(separator)]


def split_ids(value: str | None, separator: str) -> list[str]:
    return [t for t in list_tokens(value, separator) if t is not None]


class Vocabulary:
    """values[i] encodes to i + 1; 0 is missing or unseen."""

    def __init__(self, values: list[str]) -> None:
        self.values = list(values)
        self.index = {v: i + 1 for i, v in enumerate(self.values)}

    @staticmethod
    def fit(counts: dict[str, int], table_size: int, min_frequency: int = 1) -> Vocabulary:
        # By count (descending), then by value in UTF-16 code-unit order, as JavaScript sorts strings.
        kept = sorted((v for v, n in counts.items() if n >= min_frequency), key=lambda v: (-counts[v], v.encode("utf-16-be", "surrogatepass")))
        return Vocabulary(kept[: max(0, table_size - 1)])

    def encode(self, value: str | None) -> int:
        return 0 if value is None else self.index.get(value, 0)

    def to_json(self) -> dict:
        return {"type": "vocabulary", "values": self.values}


class Hashing:
    def __init__(self, buckets: int) -> None:
        self.buckets = buckets

    def encode(self, value: str | None) -> int:
        if value is None or value == "":
            return 0
        return 1 + fnv1a32(value) % (self.buckets - 1)

    def to_json(self) -> dict:
        return {"type": "hash", "buckets": self.buckets}


class Numeric:
    """(x - mean) / std, of log1p(x) when log1p; missing encodes to 0 (the mean)."""

    def __init__(self, mean: float, std: float, log1p: bool) -> None:
        self.mean = mean
        self.std = std if std > 0 else 1.0
        self.log1p = log1p

    @staticmethod
    def read(raw: str | None, log1p: bool, where: tuple) -> float | None:
        if raw is None:
            return None
        value = parse_number(raw)
        if value is None:
            raise DataError("E_DATA_NOT_NUMERIC", f"expected a number, got {raw!r}", *where)
        if log1p:
            if value < 0:
                raise DataError("E_DATA_NEGATIVE_FOR_LOG", f"log1p needs values >= 0, got {raw!r}", *where)
            value = math.log1p(value)
        return value

    def encode(self, raw: str | None, where: tuple) -> float:
        value = Numeric.read(raw, self.log1p, where)
        if value is None:
            return 0.0
        z = (value - self.mean) / self.std
        if abs(z) > FLOAT32_MAX:
            raise DataError("E_DATA_NUMBER_OUT_OF_RANGE", f"{raw!r} standardises beyond the float32 range", *where)
        return z

    def to_json(self) -> dict:
        return {"type": "numeric", "mean": self.mean, "std": self.std, "log1p": self.log1p}


class RunningStats:
    """Welford's mean and population std, on values scaled by a power of two so squares never overflow."""

    def __init__(self) -> None:
        self.count, self.scale, self.mean_scaled, self.m2_scaled = 0, 1.0, 0.0, 0.0

    def add(self, value: float) -> None:
        magnitude = abs(value)
        if magnitude > self.scale:
            scale = 2.0 ** min(1023, math.ceil(math.log2(magnitude)))
            ratio = self.scale / scale
            self.mean_scaled *= ratio
            self.m2_scaled *= ratio * ratio
            self.scale = scale
        self.count += 1
        x = value / self.scale
        delta = x - self.mean_scaled
        self.mean_scaled += delta / self.count
        self.m2_scaled += delta * (x - self.mean_scaled)

    def encoder(self, log1p: bool) -> Numeric:
        mean = self.mean_scaled * self.scale if self.count > 0 else 0.0
        std = math.sqrt(self.m2_scaled / self.count) * self.scale if self.count > 0 else 0.0
        return Numeric(mean, std, log1p)


class IdList:
    """An id list as max_length ids: the most recent known ids, left-padded with 0."""

    def __init__(self, ids: Vocabulary | Hashing, separator: str, max_length: int) -> None:
        self.ids, self.separator, self.max_length = ids, separator, max_length

    def encode(self, raw: str | None) -> list[int]:
        codes = [c for c in (self.ids.encode(t) for t in split_ids(raw, self.separator)) if c != 0]
        kept = codes[max(0, len(codes) - self.max_length):]
        return [0] * (self.max_length - len(kept)) + kept

    def to_json(self) -> dict:
        return {"type": "idlist", "separator": self.separator, "maxLength": self.max_length, "padding": "left", "ids": self.ids.to_json()}


class IdListGroup:
    """The id lists of one behaviour sequence: a position is kept in every list when every list has a known id there, else in none."""

    def __init__(self, lists: list[IdList]) -> None:
        self.lists = lists

    def encode(self, raws: list[str | None], where: tuple) -> list[list[int]]:
        tokens = [list_tokens(raw, coder.separator) for raw, coder in zip(raws, self.lists)]
        present = [i for i, raw in enumerate(raws) if raw is not None]
        expected = len(tokens[present[0]]) if present else 0
        for i in present:
            if len(tokens[i]) != expected:
                raise DataError("E_DATA_SEQUENCE_LENGTHS", f"this id list has {len(tokens[i])} entries but another list of its behaviour sequence has {expected}", where[0], where[1], where[2][i])
        # A missing cell is a list of unknown ids.
        kept = [p for p in range(expected) if all(coder.ids.encode(t[p] if p < len(t) else None) != 0 for t, coder in zip(tokens, self.lists))]
        rows = []
        for t, coder in zip(tokens, self.lists):
            window = kept[max(0, len(kept) - coder.max_length):]
            rows.append([0] * (coder.max_length - len(window)) + [coder.ids.encode(t[p]) for p in window])
        return rows


def encoder_from_json(spec: dict):
    kind = spec.get("type")
    if kind == "vocabulary":
        return Vocabulary(spec["values"])
    if kind == "hash":
        return Hashing(int(spec["buckets"]))
    if kind == "numeric":
        return Numeric(float(spec["mean"]), float(spec["std"]), bool(spec["log1p"]))
    if kind == "idlist":
        return IdList(encoder_from_json(spec["ids"]), spec["separator"], int(spec["maxLength"]))
    raise DataError("E_DATA_BAD_ENCODER_JSON", f"unknown encoder type {kind!r}")


# ------------------------------------------------------------------ labels


def label_value(rule: dict, values: dict[str, str | None], where: tuple) -> float:
    """A row's label by its rule (see the module docstring); a missing label is an error, never a 0."""
    if "all" in rule:
        return min(label_value(r, values, where) for r in rule["all"])
    if "any" in rule:
        return max(label_value(r, values, where) for r in rule["any"])
    column = rule["column"]
    place = (where[0], where[1], column)
    if column not in values:
        raise DataError("E_DATA_MISSING_COLUMN", "the label column is not in the table", *place)
    raw = values[column]
    if raw is None:
        raise DataError("E_DATA_MISSING_LABEL", "the label value is missing", *place)
    if "equals" in rule:
        return 1.0 if raw.strip() == str(rule["equals"]).strip() else 0.0
    value = parse_number(raw)
    if value is None:
        raise DataError("E_DATA_NOT_NUMERIC", f"expected a numeric label, got {raw!r}", *place)
    if "atLeast" in rule:
        return 1.0 if value >= rule["atLeast"] else 0.0
    if rule.get("numeric"):
        return value
    if value not in (0, 1):
        raise DataError("E_DATA_LABEL_NOT_BINARY", f"labels outside {{0,1}}: got {raw!r}", *place)
    return value


def label_rules(binding: dict, outputs: list[dict]) -> dict[str, dict]:
    """The rule of each trained output: the binding's, else its label column (0/1, or raw for MSE)."""
    rules = {}
    for output in outputs:
        if output["label"] is None:
            continue
        default = {"column": output["label"], "numeric": True} if output["loss"] == "mse" else {"column": output["label"]}
        rules[output["name"]] = binding.get("labels", {}).get(output["name"], default)
    return rules


# ------------------------------------------------------------------ fitting and encoding


def data_column(binding: dict, graph_column: str) -> str:
    return binding.get("features", {}).get(graph_column, {}).get("column", graph_column)


def open_bound(file: str, binding: dict) -> Table:
    return open_table(file, binding.get("header", "auto"), binding.get("columns"))


def fit_encoders(file: str, binding: dict, inputs: list[dict], outputs: list[dict]) -> dict:
    """Fits the encoders on the rows of file, as Towerflow does; returns them as encoders.json holds them."""
    table = open_bound(file, binding)
    features = binding.get("features", {})
    counts: dict[str, dict[str, int]] = {}
    stats: dict[str, RunningStats] = {}
    for line, values in table.rows():
        for spec in inputs:
            if spec["kind"] == "numeric":
                for column in spec["columns"]:
                    source = data_column(binding, column)
                    value = Numeric.read(values.get(source), features.get(column, {}).get("log", False), (file, line, source))
                    if value is not None:
                        stats.setdefault(column, RunningStats()).add(value)
                continue
            column = spec["columns"][0]
            raw = values.get(data_column(binding, column))
            counter = counts.setdefault(spec["vocab"], {})
            tokens = split_ids(raw, features.get(column, {}).get("separator", "|")) if spec["kind"] == "sequence" else ([] if raw is None else [raw])
            for token in tokens:
                counter[token] = counter.get(token, 0) + 1
    vocabularies: dict[str, Vocabulary | Hashing] = {}
    fitted: dict[str, dict] = {}
    for spec in inputs:
        if spec["kind"] == "numeric":
            encoders = [stats.get(c, RunningStats()).encoder(features.get(c, {}).get("log", False)).to_json() for c in spec["columns"]]
            fitted[spec["name"]] = {"columns": [data_column(binding, c) for c in spec["columns"]], "encoders": encoders}
            continue
        column = spec["columns"][0]
        options = features.get(column, {})
        if spec["vocab"] not in vocabularies:
            vocabularies[spec["vocab"]] = (
                Hashing(spec["vocab_size"]) if options.get("encoding") == "hash"
                else Vocabulary.fit(counts.get(spec["vocab"], {}), spec["vocab_size"], options.get("minFrequency", 1))
            )
        ids = vocabularies[spec["vocab"]]
        encoder = IdList(ids, options.get("separator", "|"), spec["max_length"]) if spec["kind"] == "sequence" else ids
        fitted[spec["name"]] = {"columns": [data_column(binding, column)], "encoders": [encoder.to_json()]}
    result = {"format": "towerflow.encoders", "version": 1, "inputs": fitted, "labels": label_rules(binding, outputs)}
    if binding.get("group"):
        result["group"] = binding["group"]
    groups: dict[str, list[str]] = {}
    for spec in inputs:
        if spec["kind"] == "sequence" and spec.get("group") is not None:
            groups.setdefault(spec["group"], []).append(spec["name"])
    if groups:
        result["sequences"] = list(groups.values())
    return result


def encode_file(file: str, binding: dict, encoders: dict, inputs: list[dict], with_labels: bool) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every row of file as model inputs (int64 ids, float32 values, by INPUTS name) and labels (float32, by output)."""
    table = open_bound(file, binding)
    built = []
    for spec in inputs:
        entry = encoders["inputs"].get(spec["name"])
        if entry is None:
            raise DataError("E_DATA_BAD_ENCODER_JSON", f'the encoders have nothing for model input "{spec["name"]}"; the graph changed since they were fitted')
        built.append((spec, entry["columns"], [encoder_from_json(e) for e in entry["encoders"]]))
    missing = [c for _, columns, _ in built for c in columns if c not in table.columns]
    if missing:
        raise DataError("E_DATA_MISSING_COLUMN", "the file has no such column; map it in the dataset binding", file, None, missing[0])
    # Runs saved without "sequences" encoded their lists one by one, and are read as they were trained.
    by_name = {spec["name"]: (spec, columns, coders) for spec, columns, coders in built}
    groups = []
    for names in encoders.get("sequences", []):
        if len(names) < 2 or any(n not in by_name or not isinstance(by_name[n][2][0], IdList) for n in names):
            raise DataError("E_DATA_BAD_ENCODER_JSON", f"the encoders group {names!r} as one behaviour sequence, but not all of them are id-list inputs")
        groups.append((names, [by_name[n][1][0] for n in names], IdListGroup([by_name[n][2][0] for n in names])))
    grouped = {n for names, _, _ in groups for n in names}
    rules = encoders.get("labels", {}) if with_labels else {}
    rows: dict[str, list] = {spec["name"]: [] for spec, _, _ in built}
    labels: dict[str, list] = {name: [] for name in rules}
    for line, values in table.rows():
        for names, columns, group in groups:
            for name, encoded in zip(names, group.encode([values.get(c) for c in columns], (file, line, columns))):
                rows[name].append(encoded)
        for spec, columns, coders in built:
            if spec["name"] in grouped:
                continue
            if spec["kind"] == "numeric":
                rows[spec["name"]].append([coder.encode(values.get(c), (file, line, c)) for c, coder in zip(columns, coders)])
            elif spec["kind"] == "sequence":
                rows[spec["name"]].append(coders[0].encode(values.get(columns[0])))
            else:
                rows[spec["name"]].append([coders[0].encode(values.get(columns[0]))])
        for name, rule in rules.items():
            labels[name].append(label_value(rule, values, (file, line)))
    arrays = {
        spec["name"]: np.asarray(rows[spec["name"]], dtype=np.float32 if spec["dtype"] == "float32" else np.int64).reshape(-1, *spec["shape"])
        for spec, _, _ in built
    }
    return arrays, {name: np.asarray(v, dtype=np.float32) for name, v in labels.items()}


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
