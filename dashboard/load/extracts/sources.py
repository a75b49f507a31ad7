"""Reading a region's files as they come: CSV (UTF-8 with or without BOM, or GB18030/GBK from Chinese Excel),
gzipped CSV, xlsx and Parquet, every value as text, in batches, with each row's number in its file.

Values stay text here: the checks (``queries.intake``) parse them, so a value that does not parse is reported
with what the file said. A row with the wrong number of fields is kept as a malformed row, not dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dashboard.core.errors import UserFacingError

SUFFIXES = (".csv", ".csv.gz", ".xlsx", ".parquet")
# files a region may put in the folder that the loader cannot read: named in the refusal, never skipped quietly
UNSUPPORTED = (".xls", ".xlsb", ".xlsm", ".ods", ".zip", ".json", ".txt", ".tsv")
csv.field_size_limit(1 << 30)  # a long free-text field is a value to check, not a reason to stop reading
BATCH_ROWS = 200_000
_SNIFF_BYTES = 1 << 20


@dataclass
class SourceFile:
    path: Path
    format: str  # csv | xlsx | parquet
    encoding: str = ""  # csv only: utf-8 | utf-8-sig | gb18030
    header: list[str] = field(default_factory=list)
    trailing: int = 0  # empty names after the last column (a delimiter at the end of every line)
    malformed: list[tuple[int, int]] = field(default_factory=list)  # (row number, its number of fields)

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _suffix(path: Path) -> str | None:
    name = path.name.lower()
    return next((x for x in sorted(SUFFIXES, key=len, reverse=True) if name.endswith(x)), None)


def find_file(directory: Path, stem: str) -> SourceFile | None:
    """The file for ``stem`` (a table or a mapping's file name) in ``directory``, its suffix in any case; two
    candidates, or one in a format the loader cannot read (.xls …), is an error."""
    found = [p for p in directory.iterdir() if p.is_file() and _suffix(p) and stem_of(p) == stem]
    unreadable = [p for p in directory.iterdir() if p.is_file() and stem_of(p) == stem and _suffix(p) is None]
    unreadable = [p for p in unreadable if p.name.lower().endswith(UNSUPPORTED)]
    if unreadable and not found:
        raise UserFacingError("extract_unsupported", file=unreadable[0].name)
    if len(found) > 1:
        raise UserFacingError("extract_two_files", stem=stem, files=tuple(sorted(p.name for p in found)))
    if not found:
        return None
    path = found[0]
    suffix = _suffix(path)
    fmt = "xlsx" if suffix == ".xlsx" else "parquet" if suffix == ".parquet" else "csv"
    return SourceFile(path, fmt)


def data_files(directory: Path) -> list[Path]:
    """Every file in the folder (what the loader did not read is listed in the report as ignored)."""
    return sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))


def stem_of(path: Path) -> str:
    name = path.name
    lower = name.lower()
    for suffix in sorted((*SUFFIXES, *UNSUPPORTED), key=len, reverse=True):
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _open_binary(path: Path, counter: _Counting | None = None):
    raw = open(path, "rb")  # noqa: SIM115 (closed by the caller through the wrapper)
    if counter is not None:
        counter.raw = raw
        raw = counter
    return gzip.GzipFile(fileobj=raw) if path.name.lower().endswith(".gz") else raw


class _Counting(io.RawIOBase):
    """A file wrapper that lets the progress bar see how far into the (compressed) file the reader is."""

    def __init__(self) -> None:
        self.raw = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self.raw.readinto(buffer)

    def tell(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.raw.close()
        super().close()


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the start of the file decodes strictly as UTF-8, else GB18030.

    A strict decode decides it: GBK/GB18030 Chinese text is practically never valid UTF-8, and GB18030 is a
    superset of GBK and GB2312, so one fallback reads all three. (A statistical detector would be a guess
    where a rule is certain.)
    """
    with _open_binary(path) as fh:
        sample = fh.read(_SNIFF_BYTES)
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is not evidence against UTF-8
        if exc.start < len(sample) - 4:
            return "gb18030"
    return "utf-8"


# what a damaged or mislabelled file raises while it is opened or read (a .xlsx that is not a zip archive,
# a .parquet that is not Parquet, a gzip cut short)
UNREADABLE = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    zipfile.BadZipFile,
    pa.ArrowException,
    csv.Error,
    ElementTree.ParseError,
)


def read_header(source: SourceFile) -> list[str]:
    """The file's column names, trimmed; an empty or duplicated name is an error people can fix."""
    try:
        return _read_header(source)
    except UserFacingError:
        raise
    except UNREADABLE as exc:
        raise UserFacingError("extract_unreadable", file=source.path.name, reason=_reason(exc)) from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _read_header(source: SourceFile) -> list[str]:
    if source.format == "csv":
        source.encoding = detect_encoding(source.path)
        with (
            _open_binary(source.path) as fh,
            io.TextIOWrapper(fh, encoding=source.encoding, newline="") as text,
        ):
            try:
                header = next(csv.reader(text), [])
            except UnicodeDecodeError:
                raise UserFacingError("extract_bad_encoding", file=source.path.name) from None
    elif source.format == "xlsx":
        header = [_cell_text(v) for v in next(_xlsx_rows(source.path), ())]
    else:
        header = list(pq.ParquetFile(source.path).schema_arrow.names)
    header = [h.strip() for h in header]
    while header and not header[-1]:
        header.pop()
        source.trailing += 1
    if not header:
        raise UserFacingError("extract_no_header", file=source.path.name)
    seen = set()
    for position, name in enumerate(header, start=1):
        if not name or name in seen:
            # named by position only: a file without a header row would put a person's data in the message
            raise UserFacingError("extract_bad_header", file=source.path.name, column=position)
        seen.add(name)
    source.header = header
    return header


def read_batches(
    source: SourceFile, progress: Callable[[int], None], exact: bool = False
) -> Iterator[pa.Table]:
    """Arrow tables of text columns ``c0…cN`` plus ``_line`` (the row's number in the file, the header
    being row 1, as Excel numbers them). ``progress`` receives bytes read so far.

    CSV is read by Arrow's parallel reader, which skips a row with the wrong number of fields without
    saying where it was: when ``source.malformed`` is not empty afterwards, the caller discards the batches
    and reads again with ``exact=True`` (row by row), so every row keeps its true number.
    """
    try:
        if source.format == "xlsx":
            yield from _xlsx_batches(source, progress)
        elif source.format == "parquet":
            yield from _parquet_batches(source, progress)
        elif exact:
            source.malformed.clear()
            yield from _csv_rows(source, progress)
        else:
            yield from _csv_fast(source, progress)
    except UnicodeDecodeError:
        raise UserFacingError("extract_bad_encoding", file=source.path.name) from None
    except UNREADABLE as exc:
        raise UserFacingError("extract_unreadable", file=source.path.name, reason=_reason(exc)) from None


def _names(source: SourceFile) -> list[str]:
    return [f"c{i}" for i in range(len(source.header))]


def _numbered(columns: dict[str, pa.Array], first_line: int, rows: int) -> pa.Table:
    lines = pa.array(range(first_line, first_line + rows), pa.int64())
    return pa.table({"_line": lines, **columns})


def _csv_fast(source: SourceFile, progress) -> Iterator[pa.Table]:
    names = _names(source)
    parsed = names + [f"_trailing{i}" for i in range(source.trailing)]
    counter = _Counting()

    def invalid(row) -> str:
        source.malformed.append((0, row.actual_columns))
        return "skip"

    with _open_binary(source.path, counter) as fh:
        try:
            reader = _open_csv(fh, source, parsed, invalid)
        except pa.ArrowInvalid as exc:
            if "skip initial" in str(exc):
                return  # a header and no row, without a final line break: an empty table, not an error
            raise
        line = 2
        try:
            yield from _fast_batches(reader, source, names, line, counter, progress)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise UserFacingError(
                "extract_unreadable", file=source.path.name, reason=str(exc)[:200]
            ) from None


def _open_csv(fh, source: SourceFile, names: list[str], invalid):
    return pacsv.open_csv(
        fh,
        read_options=pacsv.ReadOptions(
            skip_rows=1, column_names=names, encoding=source.encoding, block_size=16 << 20
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=invalid, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _fast_batches(reader, source: SourceFile, names: list[str], line: int, counter, progress):
    for batch in reader:
        table = pa.Table.from_batches([batch])
        extras = table.column_names[len(names) :]
        if any(pc.any(pc.not_equal(table[n], "")).as_py() for n in extras) or any(
            pc.any(pc.match_substring_regex(table[n], "[\r\n]")).as_py() for n in names
        ):
            # a line break inside a value: a legitimate quoted one, or a stray quote that swallowed the rows
            # after it. The exact reader tells them apart by the lines each record spans.
            source.malformed.append((0, 0))
            return
        yield _numbered({n: table[n] for n in names}, line, table.num_rows)
        line += table.num_rows
        progress(counter.tell())


def _csv_rows(source: SourceFile, progress) -> Iterator[pa.Table]:
    width = len(source.header)
    counter = _Counting()
    with (
        _open_binary(source.path, counter) as fh,
        io.TextIOWrapper(fh, encoding=source.encoding, newline="") as text,
    ):
        reader = csv.reader(text)
        next(reader, None)
        rows: list[list[str]] = []
        lines: list[int] = []
        line = 1  # rows are counted as records, as the fast reader counts them
        previous_end = reader.line_num
        for row in reader:
            spanned = reader.line_num - previous_end  # physical lines this record took
            previous_end = reader.line_num
            if not row or not any(row):
                continue  # a blank line is not a row (the fast reader skips it too)
            line += 1
            if (spanned > 1 or any("\n" in v or "\r" in v for v in row)) and _swallowed(row, width):
                # a value with a line break: most often a stray quote that swallowed the rows after it. Each
                # line it spans counts as a malformed row, so the rows it swallowed are counted, not lost;
                # its text is not copied (an identifier in it could not be masked)
                source.malformed.extend((line + i, len(row)) for i in range(max(spanned, 1)))
                line += max(spanned, 1) - 1
                continue
            # the only extra fields allowed: the empty ones every line has when the header ends in a delimiter
            # (an unquoted comma in a name would otherwise shift every later column, an ID into another)
            if len(row) != width and not (len(row) == width + source.trailing and not any(row[width:])):
                source.malformed.append((line, len(row)))
                continue
            rows.append(row[:width])
            lines.append(line)
            if len(rows) >= BATCH_ROWS:
                yield _rows_table(rows, lines, width)
                rows, lines = [], []
                progress(counter.tell())
        if rows:
            yield _rows_table(rows, lines, width)


def _swallowed(row: list[str], width: int) -> bool:
    """Whether a record with a line break in a value is a stray quote that swallowed the rows after it,
    rather than a correctly quoted remark or address: a swallowed line looks like a row (many commas)."""
    commas = max(2, (width - 1) // 2)
    return any(
        part.count(",") >= commas
        for value in row
        if "\n" in value or "\r" in value
        for part in value.replace("\r", "\n").split("\n")[1:]
    )


def _rows_table(rows: list[list[str]], lines: list[int], width: int) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    arrays = {f"c{i}": pa.array(columns[i], pa.string()) for i in range(width)}
    return pa.table({"_line": pa.array(lines, pa.int64()), **arrays})


def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        for other in book.worksheets[1:]:
            other.reset_dimensions()
            if any(any(v is not None for v in row) for row in other.iter_rows(max_row=5, values_only=True)):
                # exporters split tables past Excel's row limit across sheets: reading one would lose rows
                raise UserFacingError("xlsx_many_sheets", file=path.name, sheet=other.title)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the stored dimension may understate the rows; read until the last one
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xlsx_batches(source: SourceFile, progress) -> Iterator[pa.Table]:
    width = len(source.header)
    rows: list[list[str]] = []
    lines: list[int] = []
    rows_iter = _xlsx_rows(source.path)
    next(rows_iter, None)
    for number, values in enumerate(rows_iter, start=2):
        texts = [_cell_text(v).strip() for v in values]
        if not any(texts):
            continue  # Excel keeps formatted but empty rows at the end of a sheet: they are not rows
        if len(texts) > width and any(texts[width:]):
            source.malformed.append((number, len(texts)))
            continue
        texts = (texts + [""] * width)[:width]
        rows.append(texts)
        lines.append(number)
        if len(rows) >= BATCH_ROWS:
            yield _rows_table(rows, lines, width)
            rows, lines = [], []
    if rows:
        yield _rows_table(rows, lines, width)
    progress(source.size)


def _parquet_batches(source: SourceFile, progress) -> Iterator[pa.Table]:
    names = _names(source)
    parquet = pq.ParquetFile(source.path)
    line = 2
    done = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        columns = {n: _as_text(batch.column(i)) for i, n in enumerate(names)}
        yield _numbered(columns, line, batch.num_rows)
        line += batch.num_rows
        done += batch.nbytes
        progress(min(done, source.size))
    progress(source.size)


def _as_text(array: pa.Array) -> pa.Array:
    if pa.types.is_timestamp(array.type):
        # whole seconds: Arrow's %S writes the fraction of a ms/us/ns timestamp, which no date format reads
        array = pc.strftime(
            pc.cast(array, pa.timestamp("s", array.type.tz), safe=False), format="%Y-%m-%d %H:%M:%S"
        )
    elif pa.types.is_boolean(array.type):
        array = pc.if_else(array, "true", "false")
    elif not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    return pc.fill_null(array, "")
