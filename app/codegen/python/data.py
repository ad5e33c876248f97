"""Reads CSV/TSV files (gzip or not) and Parquet files, and encodes them for model.py, by Towerflow's rules.

The same rules as Towerflow's data pipeline (app/data in the Towerflow source), so a model trained
in Towerflow and one trained here see identical inputs:
  - the separator is detected from the first lines (, tab ; |), gzip from the bytes, and a header
    row from its cells (or set by the binding's "header"); "?" and empty cells are missing;
  - a .parquet file names its own columns; its cells read as Towerflow reads them: numbers as
    JavaScript writes them (4.0 is "4"), booleans "1"/"0", strings trimmed, null and NaN missing;
    nested and date/time columns are refused by name;
  - categorical ids: a vocabulary of the most frequent values (then by value), id 0 for missing or
    unseen, or FNV-1a hashing into the table ("encoding": "hash");
  - numbers: standardised (population std), optionally of log1p(x); missing is the mean (0);
  - id lists: the most recent max_length known ids, left-padded with 0 ("?" and empty tokens are
    missing); the lists of one behaviour sequence (INPUTS' "group", encoders.json's "sequences":
    DIN's item history and the genres of those items) keep a position in all of them or in none,
    kept only where every list has a known id, so item p stays paired with its own genres;
  - labels by rule: equals / atLeast / 0-1 column / numeric / all / any.
Encoders come from a Towerflow run's encoders.json, or are fitted here on the training rows
(fit_encoders, or fit_encoders.py for many files) and saved in the same format.

Encoding is columnar: pyarrow parses the file in blocks of BLOCK_BYTES (Parquet: 65,536 rows) and
each column is encoded whole with pyarrow compute and numpy. Where a block breaks a rule (a word in
a numeric column, a missing label, a row of the wrong width ...), the file is read again row by row
by the rules above only to say where: the error names file, line and column. A process of a cluster
reads only its Share of a file (see Share).
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pyarrow.types as pt

MISSING = ("?", "")
SEPARATORS = (",", "\t", ";", "|")
DECIMAL_PATTERN = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
DECIMAL = re.compile(DECIMAL_PATTERN)
FLOAT32_MAX = 3.4028234663852886e38
# pyarrow parses a text file in blocks of this many bytes (on its threads); memory follows the block.
BLOCK_BYTES = 16 << 20
PARQUET_BATCH_ROWS = 65536


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


class _Unsure(Exception):
    """A block breaks a rule somewhere: the row-by-row reader finds where (and raises DataError)."""


# How many reads went through whole columns and how many fell back to the row-by-row reader (tests
# and benches check that a clean file never falls back).
READS = {"columns": 0, "rows": 0}


# ------------------------------------------------------------------ which rows a process reads


@dataclass(frozen=True)
class Share:
    """Part `index` of `count` of a file's rows, for one process of a cluster (0 of 1: every row).

    The parts are disjoint and cover the file; each is read without reading the others where the
    format allows:
      - plain CSV/TSV: the data's bytes from index/count to (index+1)/count, each row going to the
        part its first byte falls in (the cut moves on to the next line end); a file whose quoted
        cells hold line breaks must be split into files (or given as Parquet) first;
      - gzip: rows i with i % count == index (a gzip stream cannot be entered midway, so every
        process decompresses and parses the file but encodes and keeps only its rows);
      - Parquet: rows index*n//count up to (index+1)*n//count, from the row groups that hold them.
    """

    index: int = 0
    count: int = 1


WHOLE = Share()


def data_files(patterns: list[str] | str) -> list[str]:
    """Files named or matched by glob patterns, in the order given (each pattern's matches sorted)."""
    files: list[str] = []
    for pattern in [patterns] if isinstance(patterns, str) else patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise DataError("E_DATA_FILE_NOT_FOUND", "no file matches this pattern", pattern)
        files.extend(m for m in matches if m not in files)
    return files


def shares_of(files: list[str], index: int, count: int) -> list[tuple[str, Share]]:
    """What process `index` of `count` reads: whole files when there are at least as many files as
    processes (file k goes to process k % count), else its Share of every file."""
    if count <= 1:
        return [(f, WHOLE) for f in files]
    if len(files) >= count:
        return [(f, WHOLE) for f in files[index::count]]
    return [(f, Share(index, count)) for f in files]


# ------------------------------------------------------------------ reading tables


@dataclass
class Table:
    file: str
    columns: list[str]
    separator: str
    has_header: bool
    compressed: bool = False
    # The byte offset of the first data row in a plain text file: after a byte order mark and the header.
    data_start: int = 0
    _size: int = field(default=-1, repr=False)

    def rows(self, share: Share = WHOLE) -> Iterator[tuple[int, dict[str, str | None]]]:
        """(line, values by column) for every data row of the share; values trimmed, missing markers as None."""
        if share.count > 1 and not self.compressed:
            start, end = self.byte_range(share)
            with open(self.file, "rb") as raw:
                raw.seek(start)
                text = raw.read(end - start).decode("utf-8", errors="replace")
            handle, line_base, skip_header, every = io.StringIO(text, newline=""), _lines_before(self.file, start), False, None
        else:
            handle, line_base, skip_header, every = _open_text(self.file), 0, self.has_header, share if share.count > 1 else None
        with handle:
            reader = csv.reader(handle, delimiter=self.separator)
            first, row = True, -1
            for fields in _bounded(reader, self.file, line_base):
                line = line_base + reader.line_num
                if len(fields) == 0 or (len(fields) == 1 and fields[0].strip() == ""):
                    continue
                if first:
                    first = False
                    if skip_header:
                        continue
                row += 1
                if every is not None and row % every.count != every.index:
                    continue
                fields = [f.strip() for f in fields]
                if len(fields) != len(self.columns):
                    raise DataError("E_DATA_COLUMN_COUNT", f"expected {len(self.columns)} fields, got {len(fields)}", self.file, line)
                yield line, {c: (None if v in MISSING else v) for c, v in zip(self.columns, fields)}

    def byte_range(self, share: Share) -> tuple[int, int]:
        """The bytes [start, end) of a plain file that hold the share's rows."""
        if self._size < 0:
            self._size = os.path.getsize(self.file)
        span = self._size - self.data_start

        def cut(part: int) -> int:
            if part <= 0:
                return self.data_start
            if part >= share.count:
                return self._size
            return _record_start(self.file, self.data_start + span * part // share.count, self._size)

        return cut(share.index), cut(share.index + 1)

    def blocks(self, columns: list[str], share: Share = WHOLE) -> Iterator[dict[str, pa.Array]]:
        """The share's rows in blocks, each a column (as read: strings, untrimmed) by name; needs at least one column."""
        position = {c: i for i, c in enumerate(self.columns)}
        names = [f"f{i}" for i in range(len(self.columns))]
        wanted = [names[position[c]] for c in columns]
        read = pa_csv.ReadOptions(column_names=names, block_size=BLOCK_BYTES, use_threads=True)
        parse = pa_csv.ParseOptions(delimiter=self.separator, quote_char='"', double_quote=True, escape_char=False,
                                    newlines_in_values=True, ignore_empty_lines=True)
        convert = pa_csv.ConvertOptions(column_types=dict.fromkeys(wanted, pa.string()), include_columns=wanted,
                                        strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[])
        # gzip: Python's reader (concatenated members, as Towerflow); every process parses the stream
        # and keeps its rows. Plain: the share's bytes, mapped, after the header.
        every = share if self.compressed and share.count > 1 else None
        skip_header = self.compressed and self.has_header
        seen = 0
        with self._source(share) as source:
            try:
                reader = pa_csv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
            except StopIteration:  # pyarrow: an empty source has no first block
                return
            for batch in reader:
                if skip_header and batch.num_rows > 0:
                    batch, skip_header = batch.slice(1), False
                if every is not None:
                    keep = np.flatnonzero((np.arange(batch.num_rows) + seen) % every.count == every.index)
                    seen += batch.num_rows
                    batch = batch.take(pa.array(keep))
                if batch.num_rows > 0:
                    yield {c: batch.column(w) for c, w in zip(columns, wanted)}


    def _source(self, share: Share):
        if self.compressed:
            return gzip.open(self.file, "rb")
        start, end = self.byte_range(share)
        mapped = pa.memory_map(self.file)
        mapped.seek(start)
        return pa.BufferReader(mapped.read_buffer(end - start))


# As Towerflow: a cell longer than this is refused with its place, not buffered (one 200 MiB line
# in a small gzip would otherwise take all memory).
MAX_CELL_CHARS = 256 * 1024
csv.field_size_limit(MAX_CELL_CHARS)


def _bounded(reader, file: str, line_base: int = 0) -> Iterator[list[str]]:
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            code = "E_DATA_CELL_TOO_LONG" if "field larger" in str(error) else "E_DATA_CSV_SYNTAX"
            raise DataError(code, f"cannot read a row: {error}", file, line_base + reader.line_num) from None
        yield fields


def _open_text(file: str):
    with open(file, "rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    # utf-8-sig drops a byte order mark; newline="" lets csv see CR, LF and CRLF line endings.
    return opener(file, "rt", encoding="utf-8-sig", newline="")


def _record_start(file: str, offset: int, size: int) -> int:
    """The start of the first line that begins at or after offset (CR, LF and CRLF end lines)."""
    with open(file, "rb") as raw:
        raw.seek(offset - 1)
        at = offset - 1
        while True:
            chunk = raw.read(1 << 16)
            if not chunk:
                return size
            ends = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
            if ends:
                end = at + min(ends)
                if chunk[min(ends)] == 0x0D:
                    raw.seek(end + 1)
                    return end + 2 if raw.read(1) == b"\n" else end + 1
                return end + 1
            at += len(chunk)


def _lines_before(file: str, offset: int) -> int:
    """How many lines end before offset, as csv counts them (CR, LF and CRLF each end one)."""
    count, previous = 0, b""
    with open(file, "rb") as raw:
        left = offset
        while left > 0:
            chunk = raw.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
            joined = previous + chunk
            count += chunk.count(b"\n") + chunk.count(b"\r") - joined.count(b"\r\n")
            previous = chunk[-1:]
    return count


def _data_start(file: str, has_header: bool) -> int:
    """The byte offset of the first data row of a plain text file: after the byte order mark and,
    with a header, after the first line that is not blank."""
    with open(file, "rb") as raw:
        head = raw.read(1 << 20)
    at = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    if not has_header:
        return at
    for match in re.finditer(rb"[^\r\n]*(?:\r\n|\n|\r|$)", head[at:]):
        if match.group().strip():
            return at + match.end()
    return len(head)


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
    with open(file, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    return Table(file, names, separator, has_header, compressed, 0 if compressed else _data_start(file, has_header))


class ParquetTable(Table):
    """A Parquet file, read 65,536 rows at a time; its columns are named by the file."""

    def _row_range(self, share: Share) -> tuple[int, int]:
        rows = pq.ParquetFile(self.file).metadata.num_rows
        return rows * share.index // share.count, rows * (share.index + 1) // share.count

    def rows(self, share: Share = WHOLE) -> Iterator[tuple[int, dict[str, str | None]]]:
        """(row number, values by column), cells as Towerflow reads them: see _parquet_text."""
        low, high = self._row_range(share)
        row = 0
        # In batches, as Towerflow reads slices: memory follows the batch, not the row group.
        for batch in pq.ParquetFile(self.file).iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=self.columns):
            cells = [batch.column(c).to_pylist() for c in self.columns]
            for values in zip(*cells):
                row += 1
                if not low < row <= high:
                    continue
                texts = [_parquet_text(v) for v in values]
                for column, text in zip(self.columns, texts):
                    if text is not None and len(text) > MAX_CELL_CHARS:
                        raise DataError("E_DATA_CELL_TOO_LONG", f"a cell of {len(text)} characters, longer than the {MAX_CELL_CHARS} a cell may hold", self.file, row, column)
                yield row, {c: (None if t is None or t in MISSING else t) for c, t in zip(self.columns, texts)}

    def blocks(self, columns: list[str], share: Share = WHOLE) -> Iterator[dict[str, pa.Array]]:
        """The share's rows in batches, each column in its Parquet type, read only from the row groups that hold them."""
        parquet = pq.ParquetFile(self.file)
        low, high = self._row_range(share)
        groups, first, at = [], None, 0
        for group in range(parquet.num_row_groups):
            size = parquet.metadata.row_group(group).num_rows
            if at < high and at + size > low:
                groups.append(group)
                first = at if first is None else first
            at += size
        if not groups:
            return
        at = first
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, row_groups=groups, columns=columns):
            start, stop = max(low - at, 0), min(high - at, batch.num_rows)
            at += batch.num_rows
            if stop > start:
                part = batch.slice(start, stop - start)
                yield {c: part.column(c) for c in columns}


def _open_parquet(file: str) -> ParquetTable:
    """As Towerflow: the file's own column names ("header" and "columns" do not apply); nested and
    non-tabular columns (lists, structs, maps, dates, timestamps, binary) are refused by name."""
    try:
        schema = pq.read_schema(file)
    except (OSError, ValueError, pa.ArrowException) as error:
        raise DataError("E_DATA_NOT_PARQUET", f"not a readable Parquet file: {error}", file) from None
    for column in schema:
        kind = column.type.value_type if pt.is_dictionary(column.type) else column.type
        nested = "a list" if pt.is_list(kind) or pt.is_large_list(kind) or pt.is_fixed_size_list(kind) else "a map" if pt.is_map(kind) else "a struct" if pt.is_struct(kind) else None
        if nested is not None:
            raise DataError("E_DATA_PARQUET_UNSUPPORTED", f"a nested column ({nested}), which cannot be one cell of a table", file, None, column.name)
        if not (pt.is_integer(kind) or pt.is_floating(kind) or pt.is_boolean(kind) or pt.is_string(kind) or pt.is_large_string(kind) or pt.is_decimal(kind) or pt.is_binary(kind)):
            raise DataError("E_DATA_PARQUET_UNSUPPORTED", f"a {kind} column; int, float, bool, string and decimal columns are read: drop or convert it when writing the file", file, None, column.name)
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


# ------------------------------------------------------------------ columns as Towerflow reads them


def _plain(array: pa.Array) -> pa.Array:
    return array.dictionary_decode() if pt.is_dictionary(array.type) else array


def _missing_as_null(texts: pa.Array) -> pa.Array:
    """Trimmed texts with "" and "?" as null."""
    trimmed = pc.utf8_trim_whitespace(texts)
    missing = pc.is_in(trimmed, value_set=pa.array(MISSING, pa.string()))
    return pc.if_else(missing, pa.scalar(None, pa.string()), trimmed)


def column_texts(array: pa.Array) -> pa.Array:
    """A column's cells as Towerflow's text (strings trimmed, numbers as JavaScript writes them,
    booleans "1"/"0"), missing ones null; a cell past MAX_CELL_CHARS is _Unsure."""
    array = _plain(array)
    kind = array.type
    if pt.is_string(kind) or pt.is_large_string(kind):
        texts = array
    elif pt.is_boolean(kind):
        texts = pc.if_else(array, "1", "0")
    elif pt.is_integer(kind):
        texts = pc.cast(array, pa.string())
    elif pt.is_floating(kind):
        # The shortest digits that read back as the number, JavaScript's notation: per distinct value.
        values = array.to_numpy(zero_copy_only=False).astype(np.float64)
        distinct, where = np.unique(values, return_inverse=True)
        words = [None if math.isnan(v) else _js_number_text(v) for v in distinct.tolist()]
        texts = pa.array(words, pa.string()).take(pa.array(where.reshape(-1)))
        return pc.if_else(pc.is_null(array), pa.scalar(None, pa.string()), texts)
    else:  # binary, decimal: as the row-by-row reader reads them
        texts = pa.array([_parquet_text(v) for v in array.to_pylist()], pa.string())
    if len(texts) > 0 and (pc.max(pc.utf8_length(texts)).as_py() or 0) > MAX_CELL_CHARS:
        raise _Unsure
    return _missing_as_null(texts)


def column_numbers(array: pa.Array, log1p: bool) -> np.ndarray:
    """A numeric column as float64, NaN where missing (log1p applied where asked); _Unsure where a
    cell is not a finite number in plain decimal notation, or log1p meets a negative one."""
    array = _plain(array)
    kind = array.type
    if pt.is_integer(kind) or pt.is_floating(kind) or pt.is_boolean(kind):
        values = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
        if pt.is_floating(kind) and np.isinf(values).any():
            raise _Unsure  # Towerflow reads "Infinity", which is not a number
    else:
        texts = column_texts(array)
        plain = pc.match_substring_regex(texts, DECIMAL_PATTERN)
        if pc.any(pc.invert(plain.fill_null(True))).as_py():
            raise _Unsure
        values = pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
        if np.isinf(values).any():
            raise _Unsure
    if log1p:
        if (values < 0).any():
            raise _Unsure
        # math.log1p for each distinct value: numpy's log1p may differ from it (and from Towerflow) in the last bit.
        present = ~np.isnan(values)
        distinct, where = np.unique(values[present], return_inverse=True)
        values[present] = np.array([math.log1p(v) for v in distinct.tolist()], dtype=np.float64)[where.reshape(-1)]
    return values


def column_id_lists(array: pa.Array, separator: str) -> tuple[np.ndarray, pa.Array]:
    """An id-list column as the number of tokens per row (0 for a missing cell) and the tokens of
    all rows in order, trimmed, missing ones ("" and "?") null."""
    lists = pc.split_pattern(column_texts(array), pattern=separator)
    lengths = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    return lengths, _missing_as_null(pc.list_flatten(lists))


def _right_aligned(row_of: np.ndarray, values: np.ndarray, rows: int, width: int) -> np.ndarray:
    """[rows, width] int64: each row's last `width` values (row_of ascending), left-padded with 0."""
    out = np.zeros((rows, width), dtype=np.int64)
    if len(values) == 0 or width == 0:
        return out
    ends = np.cumsum(np.bincount(row_of, minlength=rows))
    from_end = ends[row_of] - 1 - np.arange(len(values))
    kept = from_end < width
    out[row_of[kept], width - 1 - from_end[kept]] = values[kept]
    return out


def _counts(texts: pa.Array) -> Iterator[tuple[str, int]]:
    counted = pc.value_counts(texts.drop_null())
    return zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist())


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
        self._value_set: pa.Array | None = None

    @staticmethod
    def fit(counts: dict[str, int], table_size: int, min_frequency: int = 1) -> Vocabulary:
        # By count (descending), then by value in UTF-16 code-unit order, as JavaScript sorts strings.
        kept = sorted((v for v, n in counts.items() if n >= min_frequency), key=lambda v: (-counts[v], v.encode("utf-16-be", "surrogatepass")))
        return Vocabulary(kept[: max(0, table_size - 1)])

    def encode(self, value: str | None) -> int:
        return 0 if value is None else self.index.get(value, 0)

    def encode_column(self, texts: pa.Array) -> np.ndarray:
        """Trimmed texts (missing null) as int64 ids."""
        if self._value_set is None:
            self._value_set = pa.array(self.values, pa.string())
        found = pc.index_in(texts, value_set=self._value_set)
        return pc.fill_null(pc.add(found, 1), 0).to_numpy(zero_copy_only=False).astype(np.int64)

    def to_json(self) -> dict:
        return {"type": "vocabulary", "values": self.values}


class Hashing:
    def __init__(self, buckets: int) -> None:
        self.buckets = buckets

    def encode(self, value: str | None) -> int:
        if value is None or value == "":
            return 0
        return 1 + fnv1a32(value) % (self.buckets - 1)

    def encode_column(self, texts: pa.Array) -> np.ndarray:
        """Trimmed texts (missing null) as int64 buckets: each distinct value hashed once."""
        coded = pc.dictionary_encode(texts)
        buckets = [self.encode(v) for v in coded.dictionary.to_pylist()]
        lookup = np.array([*buckets, 0], dtype=np.int64)
        return lookup[pc.fill_null(coded.indices, len(buckets)).to_numpy(zero_copy_only=False)]

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

    def encode_values(self, values: np.ndarray) -> np.ndarray:
        """column_numbers' values as float32 z-scores, missing (NaN) as 0; _Unsure past the float32 range."""
        z = (values - self.mean) / self.std
        z[np.isnan(values)] = 0.0
        if (np.abs(z) > FLOAT32_MAX).any():
            raise _Unsure
        return z.astype(np.float32)

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

    def add_all(self, values: np.ndarray) -> None:
        """add() for each value in order (Towerflow's order and rounding, so its mean and std to the bit)."""
        count, scale, mean, m2 = self.count, self.scale, self.mean_scaled, self.m2_scaled
        for value in values.tolist():
            if abs(value) > scale:
                wider = 2.0 ** min(1023, math.ceil(math.log2(abs(value))))
                ratio = scale / wider
                mean *= ratio
                m2 *= ratio * ratio
                scale = wider
            count += 1
            x = value / scale
            delta = x - mean
            mean += delta / count
            m2 += delta * (x - mean)
        self.count, self.scale, self.mean_scaled, self.m2_scaled = count, scale, mean, m2

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

    def encode_column(self, lengths: np.ndarray, tokens: pa.Array) -> np.ndarray:
        """column_id_lists' lengths and tokens as [rows, max_length] ids."""
        codes = self.ids.encode_column(tokens)
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        known = codes != 0
        return _right_aligned(row_of[known], codes[known], len(lengths), self.max_length)

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

    def encode_columns(self, lists: list[tuple[np.ndarray, pa.Array, np.ndarray]]) -> list[np.ndarray]:
        """encode() for whole columns: per list, column_id_lists' lengths and tokens and whether each
        cell is present; _Unsure where the present lists of a row differ in length."""
        rows = len(lists[0][0])
        lengths = np.stack([length for length, _, _ in lists])
        present = np.stack([cell for _, _, cell in lists])
        expected = lengths[np.argmax(present, axis=0), np.arange(rows)]
        if (present & (lengths != expected)).any():
            raise _Unsure
        # A row keeps positions only where every list has a cell (a missing one is all unknown ids);
        # those rows' tokens line up position by position across the lists.
        complete = present.all(axis=0)
        row_of = np.repeat(np.arange(rows), np.where(complete, expected, 0))
        codes = [coder.ids.encode_column(tokens.filter(pa.array(np.repeat(complete, length))))
                 for (length, tokens, _), coder in zip(lists, self.lists)]
        known = np.logical_and.reduce([c != 0 for c in codes])
        return [_right_aligned(row_of[known], c[known], rows, coder.max_length) for c, coder in zip(codes, self.lists)]


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


def fit_encoders(files: str | list[str], binding: dict, inputs: list[dict], outputs: list[dict]) -> dict:
    """Fits the encoders on every row of the files (in order), as Towerflow does on its training
    rows; returns them as encoders.json holds them. Streams: memory follows a block and the counts."""
    files = [files] if isinstance(files, str) else list(files)
    tables = [open_bound(file, binding) for file in files]
    counts: dict[str, dict[str, int]] = {}
    stats: dict[str, RunningStats] = {}
    try:
        for table in tables:
            _fit_columns(table, binding, inputs, counts, stats)
        READS["columns"] += 1
    except (_Unsure, pa.ArrowException):
        READS["rows"] += 1
        counts, stats = {}, {}
        for table in tables:
            _fit_rows(table, binding, inputs, counts, stats)
    return _fitted(binding, inputs, outputs, counts, stats)


def _fit_columns(table: Table, binding: dict, inputs: list[dict], counts: dict, stats: dict) -> None:
    features = binding.get("features", {})
    needed = _needed(table, [data_column(binding, c) for spec in inputs for c in (spec["columns"] if spec["kind"] == "numeric" else spec["columns"][:1])])
    for block in table.blocks(needed):
        for spec in inputs:
            if spec["kind"] == "numeric":
                for column in spec["columns"]:
                    source = data_column(binding, column)
                    if source in block:
                        values = column_numbers(block[source], features.get(column, {}).get("log", False))
                        stats.setdefault(column, RunningStats()).add_all(values[~np.isnan(values)])
                continue
            column = spec["columns"][0]
            source = data_column(binding, column)
            counter = counts.setdefault(spec["vocab"], {})
            if source not in block:
                continue
            if spec["kind"] == "sequence":
                texts = column_id_lists(block[source], features.get(column, {}).get("separator", "|"))[1]
            else:
                texts = column_texts(block[source])
            for value, n in _counts(texts):
                counter[value] = counter.get(value, 0) + n


def _fit_rows(table: Table, binding: dict, inputs: list[dict], counts: dict, stats: dict) -> None:
    """_fit_columns row by row: slow, run only to find where a block broke a rule (it raises there)."""
    features = binding.get("features", {})
    for line, values in table.rows():
        for spec in inputs:
            if spec["kind"] == "numeric":
                for column in spec["columns"]:
                    source = data_column(binding, column)
                    value = Numeric.read(values.get(source), features.get(column, {}).get("log", False), (table.file, line, source))
                    if value is not None:
                        stats.setdefault(column, RunningStats()).add(value)
                continue
            column = spec["columns"][0]
            raw = values.get(data_column(binding, column))
            counter = counts.setdefault(spec["vocab"], {})
            tokens = split_ids(raw, features.get(column, {}).get("separator", "|")) if spec["kind"] == "sequence" else ([] if raw is None else [raw])
            for token in tokens:
                counter[token] = counter.get(token, 0) + 1


def _fitted(binding: dict, inputs: list[dict], outputs: list[dict], counts: dict, stats: dict) -> dict:
    features = binding.get("features", {})
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
                # Hashed where the binding asks, or where an auto-sized column reached its cap (model.py's INPUTS say so).
                Hashing(spec["vocab_size"]) if options.get("encoding") == "hash" or spec.get("encoding") == "hash"
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


def _needed(table: Table, columns: list[str]) -> list[str]:
    """The table's columns among these, each once, in table order; at least one, so blocks count rows."""
    wanted = set(columns)
    return [c for c in table.columns if c in wanted] or table.columns[:1]


@dataclass
class _Plan:
    """What encoding a file needs: per input its spec, data columns and encoders; the behaviour groups; the label rules."""

    built: list[tuple[dict, list[str], list]]
    groups: list[tuple[list[str], list[str], IdListGroup]]
    grouped: set[str]
    rules: dict[str, dict]


def _plan(table: Table, encoders: dict, inputs: list[dict], with_labels: bool) -> _Plan:
    built = []
    for spec in inputs:
        entry = encoders["inputs"].get(spec["name"])
        if entry is None:
            raise DataError("E_DATA_BAD_ENCODER_JSON", f'the encoders have nothing for model input "{spec["name"]}"; the graph changed since they were fitted')
        built.append((spec, entry["columns"], [encoder_from_json(e) for e in entry["encoders"]]))
    missing = [c for _, columns, _ in built for c in columns if c not in table.columns]
    if missing:
        raise DataError("E_DATA_MISSING_COLUMN", "the file has no such column; map it in the dataset binding", table.file, None, missing[0])
    # Runs saved without "sequences" encoded their lists one by one, and are read as they were trained.
    by_name = {spec["name"]: (spec, columns, coders) for spec, columns, coders in built}
    groups = []
    for names in encoders.get("sequences", []):
        if len(names) < 2 or any(n not in by_name or not isinstance(by_name[n][2][0], IdList) for n in names):
            raise DataError("E_DATA_BAD_ENCODER_JSON", f"the encoders group {names!r} as one behaviour sequence, but not all of them are id-list inputs")
        groups.append((names, [by_name[n][1][0] for n in names], IdListGroup([by_name[n][2][0] for n in names])))
    grouped = {n for names, _, _ in groups for n in names}
    return _Plan(built, groups, grouped, encoders.get("labels", {}) if with_labels else {})


def encode_file(file: str, binding: dict, encoders: dict, inputs: list[dict], with_labels: bool,
                share: Share = WHOLE) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The share's rows of file (every row by default) as model inputs (int64 ids, float32 values,
    by INPUTS name) and labels (float32, by output)."""
    arrays, labels, _ = _encode_file(file, binding, encoders, inputs, with_labels, share, None)
    return arrays, labels


def encode_file_with_groups(file: str, binding: dict, encoders: dict, inputs: list[dict], group: str,
                            share: Share = WHOLE) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """encode_file with labels, plus the group column of every row (GAUC's groups: users) as text,
    missing as "", as Towerflow groups rows; read in the same pass and blocks as the inputs."""
    arrays, labels, groups = _encode_file(file, binding, encoders, inputs, True, share, group)
    return arrays, labels, groups


def _encode_file(file: str, binding: dict, encoders: dict, inputs: list[dict], with_labels: bool,
                 share: Share, group_column: str | None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray | None]:
    table = open_bound(file, binding)
    plan = _plan(table, encoders, inputs, with_labels)
    if group_column is not None and group_column not in table.columns:
        raise DataError("E_DATA_MISSING_COLUMN", "the file has no such column (the binding's GAUC group)", file, None, group_column)
    try:
        rows, labels, groups = _encode_columns(table, share, plan, group_column)
        READS["columns"] += 1
    except (_Unsure, pa.ArrowException):
        READS["rows"] += 1
        rows, labels, groups = _encode_rows(table, share, plan, group_column)
    arrays = {
        spec["name"]: np.asarray(rows[spec["name"]], dtype=np.float32 if spec["dtype"] == "float32" else np.int64).reshape(-1, *spec["shape"])
        for spec, _, _ in plan.built
    }
    return arrays, {name: np.asarray(v, dtype=np.float32) for name, v in labels.items()}, groups


def encode_files(parts: list[tuple[str, Share]], binding: dict, encoders: dict, inputs: list[dict],
                 with_labels: bool) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """encode_file for each (file, share), the rows one after another."""
    encoded = [encode_file(file, binding, encoders, inputs, with_labels, share) for file, share in parts]
    if len(encoded) == 1:
        return encoded[0]
    inputs_of = {name: np.concatenate([x[name] for x, _ in encoded]) for name in encoded[0][0]}
    labels_of = {name: np.concatenate([y[name] for _, y in encoded]) for name in encoded[0][1]}
    return inputs_of, labels_of


def _encode_columns(table: Table, share: Share, plan: _Plan, group_column: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray | None]:
    label_columns = [c for rule in plan.rules.values() for c in _rule_columns(rule)]
    if any(c not in table.columns for c in label_columns):
        raise _Unsure  # the row-by-row reader names the column at the first row
    needed = _needed(table, [c for _, columns, _ in plan.built for c in columns] + label_columns + ([group_column] if group_column is not None else []))
    parts: dict[str, list[np.ndarray]] = {spec["name"]: [] for spec, _, _ in plan.built}
    label_parts: dict[str, list[np.ndarray]] = {name: [] for name in plan.rules}
    group_parts: list[np.ndarray] = []
    for block in table.blocks(needed, share):
        if group_column is not None:
            group_parts.append(pc.fill_null(column_texts(block[group_column]), "").to_numpy(zero_copy_only=False).astype(object))
        for names, columns, group in plan.groups:
            lists = []
            for column, coder in zip(columns, group.lists):
                lengths, tokens = column_id_lists(block[column], coder.separator)
                lists.append((lengths, tokens, lengths > 0))
            for name, encoded in zip(names, group.encode_columns(lists)):
                parts[name].append(encoded)
        for spec, columns, coders in plan.built:
            if spec["name"] in plan.grouped:
                continue
            if spec["kind"] == "numeric":
                features = [coder.encode_values(column_numbers(block[c], coder.log1p)) for c, coder in zip(columns, coders)]
                parts[spec["name"]].append(np.stack(features, axis=1))
            elif spec["kind"] == "sequence":
                parts[spec["name"]].append(coders[0].encode_column(*column_id_lists(block[columns[0]], coders[0].separator)))
            else:
                parts[spec["name"]].append(coders[0].encode_column(column_texts(block[columns[0]]))[:, None])
        for name, rule in plan.rules.items():
            label_parts[name].append(_label_column(rule, block))
    rows = {name: np.concatenate(p) if p else np.zeros((0,)) for name, p in parts.items()}
    groups = (np.concatenate(group_parts) if group_parts else np.zeros(0, dtype=object)) if group_column is not None else None
    return rows, {name: np.concatenate(p) if p else np.zeros(0, np.float32) for name, p in label_parts.items()}, groups


def _encode_rows(table: Table, share: Share, plan: _Plan, group_column: str | None = None) -> tuple[dict[str, list], dict[str, list], np.ndarray | None]:
    """_encode_columns row by row: slow, run only to find where a block broke a rule (it raises there)."""
    rows: dict[str, list] = {spec["name"]: [] for spec, _, _ in plan.built}
    labels: dict[str, list] = {name: [] for name in plan.rules}
    groups: list[str] = []
    file = table.file
    for line, values in table.rows(share):
        if group_column is not None:
            groups.append(values.get(group_column) or "")
        for names, columns, group in plan.groups:
            for name, encoded in zip(names, group.encode([values.get(c) for c in columns], (file, line, columns))):
                rows[name].append(encoded)
        for spec, columns, coders in plan.built:
            if spec["name"] in plan.grouped:
                continue
            if spec["kind"] == "numeric":
                rows[spec["name"]].append([coder.encode(values.get(c), (file, line, c)) for c, coder in zip(columns, coders)])
            elif spec["kind"] == "sequence":
                rows[spec["name"]].append(coders[0].encode(values.get(columns[0])))
            else:
                rows[spec["name"]].append([coders[0].encode(values.get(columns[0]))])
        for name, rule in plan.rules.items():
            labels[name].append(label_value(rule, values, (file, line)))
    return rows, labels, np.asarray(groups, dtype=object) if group_column is not None else None


def _rule_columns(rule: dict) -> list[str]:
    if "all" in rule or "any" in rule:
        return [c for r in rule.get("all", rule.get("any", [])) for c in _rule_columns(r)]
    return [rule["column"]]


def _label_column(rule: dict, block: dict[str, pa.Array]) -> np.ndarray:
    """label_value for a whole column; _Unsure where a row's label is missing or breaks its rule."""
    if "all" in rule or "any" in rule:
        parts = [_label_column(r, block) for r in rule.get("all", rule.get("any", []))]
        return (np.minimum.reduce if "all" in rule else np.maximum.reduce)(parts)
    array = block[rule["column"]]
    if "equals" in rule:
        texts = column_texts(array)
        if texts.null_count > 0:
            raise _Unsure
        return pc.equal(texts, str(rule["equals"]).strip()).to_numpy(zero_copy_only=False).astype(np.float32)
    values = column_numbers(array, False)
    if np.isnan(values).any():
        raise _Unsure
    if "atLeast" in rule:
        return (values >= rule["atLeast"]).astype(np.float32)
    if not rule.get("numeric") and not np.isin(values, (0.0, 1.0)).all():
        raise _Unsure
    return values.astype(np.float32)


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
