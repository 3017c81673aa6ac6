"""Streaming Arrow readers for every supported log format.

An uncompressed JSON-lines file is read whole by DuckDB (see `wholefile`); other logs are read in large
byte chunks cut at line ends, each parsed by DuckDB's JSON or pyarrow's CSV reader (only the selected
columns) or polars' regex extraction. Only when a chunk is irregular (malformed line, header, blank line,
type change) is it re-read line by line, so bad lines can be counted and reported with their numbers
without losing the good ones.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

import duckdb
import numpy as np
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import zstandard

from accord.sweep import formats, observations, wholefile

CHUNK = 8 << 20
_GZ = b"\x1f\x8b"
_ZST = b"\x28\xb5\x2f\xfd"


class LogError(Exception):
    """A log cannot be read at all (missing, unreadable, unknown format): the sweep stops."""


@dataclass
class Malformed:
    file: str
    line: int
    reason: str


@dataclass
class Batch:
    """Parsed events: columns line, ts (µs since epoch, UTC; or ts_raw, the text) and one Utf8 column per
    field."""

    frame: pl.DataFrame
    roles: dict[str, str]
    nbytes: int
    malformed: list[Malformed] = field(default_factory=list)
    lines: int = 0  # lines of the log this batch covers (good, bad and blank)


class _Counting(io.RawIOBase):
    """Counts compressed bytes consumed, so progress is reported against the file size on disk."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self.raw.read(len(b))
        n = len(data)
        b[:n] = data
        self.count += n
        return n


class _Range(io.RawIOBase):
    """The bytes [start, end) of a file, so a byte-range task reads only its own share."""

    def __init__(self, raw: BinaryIO, start: int, end: int) -> None:
        raw.seek(start)
        self.raw, self.left = raw, end - start

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self.raw.read(min(len(b), self.left))
        n = len(data)
        b[:n] = data
        self.left -= n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_log(path: str, byte_range: tuple[int, int] | None = None) -> tuple[BinaryIO, _Counting]:
    """Open a log (or `-` for stdin), decompressing gzip/zstd by magic bytes rather than by name."""
    try:
        raw: BinaryIO = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise LogError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    if byte_range is not None:
        raw = _Range(raw, *byte_range)  # type: ignore[assignment]
    counting = _Counting(raw)
    buffered = io.BufferedReader(counting, 1 << 20)
    magic = buffered.peek(4)[:4]
    if magic.startswith(_GZ):
        return gzip.GzipFile(fileobj=buffered), counting  # type: ignore[return-value]
    if magic == _ZST:
        return zstandard.ZstdDecompressor().stream_reader(buffered), counting  # type: ignore[return-value]
    return buffered, counting


def compressed(path: str) -> bool:
    """gzip or zstd by magic bytes: such files cannot be split into byte ranges or read by path."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    return magic.startswith(_GZ) or magic == _ZST


def _chunks(stream: BinaryIO, size: int, path: str, line: int = 1) -> Iterator[tuple[bytes, int]]:
    """Yield (chunk ending at a newline, number of its first line)."""
    rest = b""
    while True:
        try:
            data = stream.read(size)
        except (OSError, EOFError, zstandard.ZstdError) as exc:
            raise LogError(f"{path}: cannot read: {exc}") from exc
        if not data:
            break
        data = rest + data
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        chunk, rest = data[: cut + 1], data[cut + 1 :]
        yield chunk, line
        line += chunk.count(b"\n")
    if rest:
        yield rest + b"\n", line


def _splits(parts: list[str]) -> list[tuple[str, ...]]:
    """Every way of writing a dotted path as JSON keys, nested first: a.b.c, a{b.c}, a.b{c}, "a.b.c".

    ECS producers write `{"source": {"ip": ...}}`, `{"source.ip": ...}` or a mixture."""
    if len(parts) == 1:
        return [(parts[0],)]
    out = []
    for i in range(1, len(parts) + 1):
        head = ".".join(parts[:i])
        if i == len(parts):
            out.append((head,))
        else:
            out.extend((head, *rest) for rest in _splits(parts[i:]))
    return out


def _key_paths(fields: list[str], dotted: bool) -> tuple[dict[str, list[tuple[str, ...]]], dict[str, str]]:
    """Key paths read for each field and the DuckDB column spec (every leaf read as text).

    A spelling that conflicts with another field's (a key both leaf and object) is dropped, unless it is
    the nested one, which is an error as before."""
    tree: dict = {}
    alts: dict[str, list[tuple[str, ...]]] = {}

    def fits(keys: tuple[str, ...]) -> bool:
        node = tree
        for k in keys[:-1]:
            node = node.get(k, {})
            if not isinstance(node, dict):
                return False
        return not isinstance(node.get(keys[-1]), dict)

    for f in fields:
        parts = f.split(".")
        spellings = _splits(parts) if dotted else [tuple(parts)]
        alts[f] = []
        for n, keys in enumerate(spellings):
            if not fits(keys):
                if n == 0:
                    raise LogError(f"field {f} conflicts with another mapped field")
                continue
            node = tree
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = "VARCHAR"
            alts[f].append(keys)

    def typ(v: object) -> str:
        if isinstance(v, dict):
            return "STRUCT(" + ", ".join(f'"{k}" {typ(x)}' for k, x in v.items()) + ")"
        return str(v)

    return alts, {k: typ(v) for k, v in tree.items()}


def _q(text: str, quote: str) -> str:
    return quote + text.replace(quote, quote * 2) + quote


def _duck_expr(keys: tuple[str, ...]) -> str:
    expr = _q(keys[0], '"')
    for sub in keys[1:]:
        expr = f"struct_extract({expr}, {_q(sub, chr(39))})"
    return expr


def _json_value(obj: dict, alts: list[tuple[str, ...]], keep_lists: bool) -> str | None:
    """The line-by-line twin of the DuckDB select: first spelling with a scalar (or, for list roles,
    any) value; lists and objects as JSON text, as DuckDB renders them."""
    for keys in alts:
        cur: object = obj
        for part in keys:
            if not isinstance(cur, dict):
                cur = None
                break
            cur = cur.get(part)
        if cur is None:
            continue
        if isinstance(cur, dict | list):
            if keep_lists:
                return orjson.dumps(cur).decode()
            continue
        if isinstance(cur, bool):
            return str(cur).lower()
        return str(cur)
    return None


def _starts_odd(arr: pa.Array) -> np.ndarray:
    """Per value: does it start with `[` or `{` (nulls: whatever bytes their slot spans)."""
    if arr.type == pa.string_view():  # 16 bytes per value: the length, then the first bytes (inline, prefix)
        views = np.frombuffer(arr.buffers()[1], np.uint8, len(arr) * 16, arr.offset * 16).reshape(-1, 16)
        return (views[:, :4].view(np.int32)[:, 0] > 0) & ((views[:, 4] | 32) == 123)
    width = {pa.string(): np.int32, pa.large_string(): np.int64}.get(arr.type)
    if width is None:  # other string types: the Arrow kernels
        flag = pc.or_(pc.starts_with(arr, "["), pc.starts_with(arr, "{"))
        return np.asarray(pc.fill_null(flag, False), np.bool_)
    _, offsets, data = arr.buffers()
    if data is None or not data.size:
        return np.zeros(len(arr), np.bool_)
    offs = np.frombuffer(offsets, width, len(arr) + 1, arr.offset * np.dtype(width).itemsize)
    text = np.frombuffer(data, np.uint8)
    first = text[np.minimum(offs[:-1], len(text) - 1)]
    return (offs[1:] > offs[:-1]) & ((first | 32) == 123)  # `[` is 91, `{` is 123: 91 | 32 == 123


def _loads(raw: bytes) -> dict | None:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _frame(lines: list[int] | pa.Array, cols: dict[str, object]) -> pl.DataFrame:
    data = {"line": pl.Series("line", lines, dtype=pl.Int64)}
    for name, values in cols.items():
        data[name] = pl.Series(name, values, dtype=pl.Utf8)
    return pl.DataFrame(data)


Fetch = Callable[[list[int]], list[bytes]]  # line numbers -> their text
_ODD = "__accord_odd__"  # the name of the flag series: some value of the row starts with [ or {


class _Reader:
    """Turns chunks into frames; subclasses implement the fast and the line-by-line path."""

    def __init__(self, path: str, roles: dict[str, str], time_field: str | None) -> None:
        self.path, self.roles, self.time_field = path, roles, time_field

    @property
    def fields(self) -> list[str]:
        names = list(self.roles)
        if self.time_field and self.time_field not in names:
            names.append(self.time_field)
        return names

    def parse(self, chunk: bytes, first: int) -> tuple[pl.DataFrame | None, list[Malformed]]:
        raise NotImplementedError


class _JsonReader(_Reader):
    def __init__(
        self,
        path: str,
        roles: dict[str, str],
        time_field: str | None,
        dotted: bool,
        threads: int | None = None,
    ) -> None:
        super().__init__(path, roles, time_field)
        self.alts, self.columns = _key_paths(self.fields, dotted)
        # list-valued roles (e-mail recipients) keep arrays as JSON text; the others see no scalar there
        self.lists = {f for f in self.fields if formats.LIST_ROLES.intersection([roles.get(f)])}
        exprs = []
        for f in self.fields:
            alts = [_duck_expr(k) for k in self.alts[f]]
            expr = alts[0] if len(alts) == 1 else "coalesce(" + ", ".join(alts) + ")"
            exprs.append(f"{expr} AS {_q(f, chr(34))}")
        self.scalar_fields = [f for f in self.fields if f not in self.lists]
        self.sql = ", ".join(exprs)
        # string views: polars takes them as they are (Arrow's offset strings it copies, a tenth of a read)
        config = {"arrow_output_version": "1.4", "produce_arrow_string_view": True}
        self.con = duckdb.connect(config={**config, "threads": threads} if threads else config)

    def odd_rows(self, table: pa.Table | pa.RecordBatch) -> pl.Series:
        """Rows where some scalar field starts with `[` or `{`: DuckDB renders an array or object as
        JSON text, which reads the same as such a string. Tested on the Arrow buffers (the first byte
        of each value): the same test inside the query cost a third of DuckDB's parse. A flagged row
        is only re-read from its line, so flagging more than needed (a null slot's bytes) is harmless."""
        flag = np.zeros(table.num_rows, np.bool_)
        for name in self.scalar_fields:
            col = table.column(name)
            if col.null_count == len(col):
                continue
            chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
            flag |= np.concatenate([_starts_odd(chunk) for chunk in chunks])
        return pl.Series(_ODD, flag)

    def scalars(self, df: pl.DataFrame, first: int, fetch: Fetch, flag: pl.Series) -> pl.DataFrame:
        """Number the rows from `first`. The rare rows whose `flag` is set (see `odd_rows`) are decided
        from their line, parsed again as the line-by-line reader does (`fetch` gives the text of lines
        by number)."""
        line = pl.int_range(first, first + df.height, dtype=pl.Int64).alias("line")
        fields = list(df.columns)
        scalar = [c for c in fields if c not in self.lists]
        if not flag.any():
            return df.select(line, *fields)
        rows = flag.arg_true()
        texts = fetch([first + r for r in rows.to_list()])
        objs = [_loads(raw) for raw in texts]
        fixed = []
        for c in fields:
            col = df[c]
            if c in scalar:
                cells = col.gather(rows)
                odd = (cells.str.starts_with("[") | cells.str.starts_with("{")).fill_null(False)
                if odd.any():
                    at = rows.filter(odd)
                    got = [objs[i] for i in odd.arg_true().to_list()]
                    col = col.clone()
                    col.scatter(at, [None if o is None else _json_value(o, self.alts[c], False) for o in got])
            fixed.append(col)
        return pl.DataFrame(fixed).select(line, *fields)

    def parse(self, chunk: bytes, first: int) -> tuple[pl.DataFrame | None, list[Malformed]]:
        n = chunk.count(b"\n")
        try:  # DuckDB's NDJSON reader: blank lines are skipped, so a short frame sends us to the slow path
            rel = self.con.read_json(io.BytesIO(chunk), format="newline_delimited", columns=self.columns)
            table = rel.select(self.sql).to_arrow_table()
            df = pl.from_arrow(table)
        except duckdb.Error:
            df = None
        if isinstance(df, pl.DataFrame) and df.height == n:
            lines_of = lambda lines: [chunk.split(b"\n")[i - first] for i in lines]  # noqa: E731
            return self.scalars(df, first, lines_of, self.odd_rows(table)), []
        bad: list[Malformed] = []
        lines: list[int] = []
        cols: dict[str, list] = {f: [] for f in self.fields}
        for i, raw in enumerate(chunk.split(b"\n")[:n]):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                bad.append(Malformed(self.path, first + i, f"invalid JSON: {exc}"))
                continue
            if not isinstance(obj, dict):
                bad.append(Malformed(self.path, first + i, "not a JSON object"))
                continue
            lines.append(first + i)
            for f in self.fields:
                cols[f].append(_json_value(obj, self.alts[f], f in self.lists))
        return _frame(lines, cols), bad


class _DelimitedReader(_Reader):
    """CSV with a header line, or Zeek TSV whose `#fields` header names the columns."""

    def __init__(self, path: str, roles: dict[str, str], time_field: str | None, zeek: bool) -> None:
        super().__init__(path, roles, time_field)
        self.zeek = zeek
        self.columns: list[str] | None = None
        self.sep = "\t" if zeek else ","

    def _arrow(self, data: bytes) -> pa.Table:
        wanted = [f for f in self.fields if f in (self.columns or [])]
        return pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(column_names=self.columns, block_size=len(data) + 1),
            parse_options=pcsv.ParseOptions(delimiter=self.sep, quote_char=False if self.zeek else '"'),
            convert_options=pcsv.ConvertOptions(
                include_columns=wanted,
                column_types={c: pa.string() for c in wanted},
                null_values=["-", "(empty)", ""] if self.zeek else [""],
                strings_can_be_null=True,
            ),
        )

    def _table_frame(self, table: pa.Table, lines: list[int] | pa.Array) -> pl.DataFrame:
        cols = {
            f: (table.column(f) if f in table.column_names else pa.nulls(table.num_rows, pa.string()))
            for f in self.fields
        }
        return _frame(
            lines, {k: v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v for k, v in cols.items()}
        )

    def parse(self, chunk: bytes, first: int) -> tuple[pl.DataFrame | None, list[Malformed]]:
        n = chunk.count(b"\n")
        clean = self.columns is not None and not chunk.startswith(b"#") and b"\n#" not in chunk
        clean = clean and b"\n\n" not in chunk and not chunk.startswith(b"\n")
        if clean:
            try:
                table = self._arrow(chunk)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                table = None
            if table is not None and table.num_rows == n:
                return self._table_frame(table, pa.array(np.arange(first, first + n, dtype=np.int64))), []
        return self._slow(chunk, first, n)

    def _slow(self, chunk: bytes, first: int, n: int) -> tuple[pl.DataFrame | None, list[Malformed]]:
        bad: list[Malformed] = []
        frames: list[pl.DataFrame] = []
        good: list[bytes] = []
        good_lines: list[int] = []

        def flush() -> None:
            if good:
                frames.append(self._table_frame(self._arrow(b"\n".join(good) + b"\n"), good_lines.copy()))
                good.clear()
                good_lines.clear()

        for i, raw in enumerate(chunk.split(b"\n")[:n]):
            line = raw.rstrip(b"\r")
            if not line.strip():
                continue
            text = line.decode("utf-8", "replace")
            if self.zeek and text.startswith("#"):
                key, _, value = text.partition(self.sep if not text.startswith("#separator") else " ")
                if key == "#separator":
                    self.sep = value.strip().encode().decode("unicode_escape")
                elif key == "#fields":
                    flush()
                    self.columns = value.split(self.sep)
                continue
            if self.columns is None:
                if self.zeek:
                    bad.append(Malformed(self.path, first + i, "data line before the #fields header"))
                else:
                    self.columns = next(csv.reader([text]))
                continue
            count = len(text.split(self.sep)) if self.zeek else len(next(csv.reader([text]), []))
            if count != len(self.columns):
                bad.append(Malformed(self.path, first + i, f"{count} fields, expected {len(self.columns)}"))
                continue
            good.append(line)
            good_lines.append(first + i)
        try:
            flush()
        except (
            pa.ArrowInvalid,
            pa.ArrowTypeError,
        ) as exc:  # e.g. unbalanced quotes: keep line-level accuracy
            frames, bad = [], bad + [Malformed(self.path, ln, f"unparsable: {exc}") for ln in good_lines]
        if not frames:
            return None, bad
        return pl.concat(frames, how="vertical"), bad


class _CombinedReader(_Reader):
    def parse(self, chunk: bytes, first: int) -> tuple[pl.DataFrame | None, list[Malformed]]:
        lines = pl.Series("raw", chunk.decode("utf-8", "replace").split("\n")[: chunk.count(b"\n")])
        df = pl.DataFrame({"raw": lines}).with_row_index("i")
        df = df.with_columns(
            pl.col("raw").str.strip_chars_end("\r").str.extract_groups(formats.COMBINED_RE).alias("g")
        )
        df = df.unnest("g")
        blank = df["raw"].str.strip_chars() == ""
        bad_rows = df.filter(pl.col("remote").is_null() & ~blank)
        bad = [Malformed(self.path, first + int(i), "not a combined log line") for i in bad_rows["i"]]
        ok = df.filter(pl.col("remote").is_not_null())
        out = ok.select(
            (pl.col("i").cast(pl.Int64) + first).alias("line"),
            *[pl.col(f).cast(pl.Utf8).alias(f) for f in self.fields],
        )
        return out, bad


_ISO = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%d/%b/%Y:%H:%M:%S %z",
)


def _epoch(col: pl.Expr) -> pl.Expr:
    epoch = col.str.extract_groups(r"^\s*(\d{1,12})(?:\.(\d{1,6})\d*)?\s*$")
    secs = epoch.struct.field("1").cast(pl.Int64, strict=False)
    frac = epoch.struct.field("2").fill_null("0").str.pad_end(6, "0").cast(pl.Int64, strict=False)
    return secs * 1_000_000 + frac


def parse_time(values: pl.Series) -> pl.Series:
    """Timestamps (ISO 8601, combined log, or epoch seconds with a fraction) -> exact µs since epoch.

    Formats are tried in turn on the values still unparsed, so a uniform log pays for one format only."""
    frame = pl.DataFrame({"v": values.cast(pl.Utf8)})
    out = pl.Series("ts", [None] * len(values), dtype=pl.Int64)
    todo = values.is_not_null()
    parsers = [
        pl.col("v").str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC").dt.epoch("us")
        for f in _ISO
    ]
    for parser in [*parsers, _epoch(pl.col("v"))]:
        if not todo.any():
            break
        got = frame.select(pl.when(todo).then(parser).alias("ts"))["ts"]
        out = out.fill_null(got)
        todo = todo & out.is_null()
    return out


class UrlParts(NamedTuple):
    """Where a format logs the parts of a request's URL. `target` is the request target (a path, or a
    whole URL for a proxy request); `ports` the fields with its port, first found first (the Host
    header's or the URL's, then the connection's server port); `scheme` the field with the scheme (None:
    a cleartext `http` request); `path` and `query` the fields that make the target when it is not
    logged whole (ECS `url.path`, `url.query`)."""

    target: str
    host: str
    ports: tuple[str, ...]
    scheme: str | None = None
    path: str | None = None
    query: str | None = None

    def fields(self) -> list[str]:
        """The fields read only to build the URL (besides the target)."""
        return [f for f in (self.host, *self.ports, self.scheme, self.path, self.query) if f]


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _url_absolute(frame: pl.DataFrame, parts: UrlParts) -> pl.DataFrame:
    """Rebuild the URL the client asked for from its logged parts: scheme + `://` + host + `:port` +
    target. The port is the Host header's or the URL's, else the connection's server port (`parts.ports`),
    left out when it is the scheme's default (80 for http, 443 for https); a port that is no number makes
    a URL `normalize.url` rejects. An IPv6 host gets its brackets; a host that has a port keeps it. The
    target is the logged one when it starts with `/`, else (none logged) path + `?query`; an absolute
    target is the URL as it is."""
    cols = frame.columns
    if parts.host not in cols:
        return frame
    h = pl.col(parts.host)
    target = pl.col(parts.target) if parts.target in cols else pl.lit(None, pl.Utf8)
    if parts.path and parts.path in cols:  # ECS may log only the parts
        path = pl.col(parts.path)
        if parts.query and parts.query in cols:
            q = pl.col(parts.query)
            path = pl.when(q.is_not_null() & (q != "")).then(path + "?" + q).otherwise(path)
        target = pl.coalesce(target, path)
    elif parts.target not in cols:
        return frame
    scheme = pl.lit("http")
    if parts.scheme and parts.scheme in cols:
        scheme = pl.col(parts.scheme).str.strip_chars().str.to_lowercase().fill_null("http")
    pieces: list[pl.Expr] = [scheme, pl.lit("://"), h]
    has_port: pl.Expr | None = None
    if frame[parts.host].str.contains(":", literal=True).any():  # rare: checked per batch, not per row
        colons = h.str.count_matches(":", literal=True)
        bracketed = h.str.starts_with("[")
        pieces[2] = pl.when((colons > 1) & ~bracketed).then(pl.lit("[") + h + pl.lit("]")).otherwise(h)
        has_port = pl.when(bracketed).then(h.str.contains("]:", literal=True)).otherwise(colons == 1)
    ports = [pl.col(f) for f in parts.ports if f in cols]
    if ports:
        port = pl.coalesce(ports)
        if parts.scheme:
            default = scheme.replace_strict(_DEFAULT_PORTS, default=None, return_dtype=pl.Utf8)
            with_port = port.ne_missing(default)
        else:
            with_port = port != _DEFAULT_PORTS["http"]  # null where there is no port: an empty part below
        if has_port is not None:
            with_port = with_port & ~has_port
        pieces.append(pl.when(with_port).then(pl.lit(":") + port))
    relative = target.str.starts_with("/") & h.is_not_null()
    rows = frame.select(pl.arg_where(relative)).to_series()  # the requests: a few of a log's events
    if rows.is_empty():
        return frame if parts.target in cols else frame.with_columns(target.alias(parts.target))
    built = frame[rows].select(pl.concat_str([*pieces, target], ignore_nulls=True))
    whole = frame.select(target.alias(parts.target)).to_series()
    return frame.with_columns(whole.scatter(rows, built.to_series()))


def resolve_roles(fmt: str, mapping: dict[str, str] | None) -> dict[str, str]:
    roles = dict(formats.PRESETS[fmt])
    roles.update(mapping or {})
    return roles


# Formats that log a request's URL in parts (CSV: with the ECS names or the common column names)
_ECS_URL = UrlParts(
    "url.original", "url.domain", ("url.port", "destination.port"), "url.scheme", "url.path", "url.query"
)
URL_PARTS: dict[str, tuple[UrlParts, ...]] = {
    "eve": (UrlParts("http.url", "http.hostname", ("http.http_port", "dest_port")),),
    "zeek": (UrlParts("uri", "host", ("id.resp_p",)),),
    "ndjson": (_ECS_URL,),
    "csv": (_ECS_URL, UrlParts("url", "host", ("dst_port", "dest_port"))),
}


def needed_roles(fmt: str, roles: dict[str, str], kinds: frozenset[str] | None) -> dict[str, str]:
    """The fields some lookup of `kinds` can use (None: all). Fields nobody looks up are not read: on
    EVE with the usual indicator kinds that is a quarter of the parse and most of the Arrow copy."""
    keep = {f: r for f, r in roles.items() if observations.needed(r, kinds)}
    for parts in URL_PARTS.get(fmt, ()):
        if parts.target not in keep:
            continue
        for f in parts.fields():  # the Host and the port make a logged request target an absolute URL
            if f not in keep:  # read for the URL only, not looked up (the host keeps its role)
                keep[f] = roles.get(f, formats.AUX) if f == parts.host else formats.AUX
    return keep


BATCH_ROWS = 1 << 19  # rows per batch on the whole-file path: per-batch costs vanish, memory stays small


class _Finish:
    """What every parsed frame goes through: times, absolute URLs, the selected columns, a Batch."""

    def __init__(self, fmt: str, reader: _Reader, tfield: str | None, parse_times: bool) -> None:
        self.fmt, self.reader, self.tfield, self.parse_times = fmt, reader, tfield, parse_times

    def __call__(self, frame: pl.DataFrame | None, nbytes: int, bad: list[Malformed], lines: int) -> Batch:
        reader, tfield = self.reader, self.tfield
        if frame is None:
            frame = _frame([], {f: [] for f in reader.fields})
        has_time = bool(tfield) and tfield in frame.columns
        if self.parse_times:
            ts = parse_time(frame[tfield]) if has_time else pl.lit(None, pl.Int64)
            frame = frame.with_columns(ts.alias("ts"))
            tcol = "ts"
        else:  # parsed later, for the few events that match
            raw = pl.col(tfield).cast(pl.Utf8) if has_time else pl.lit(None, pl.Utf8)
            frame = frame.with_columns(raw.alias("ts_raw"))
            tcol = "ts_raw"
        for parts in URL_PARTS.get(self.fmt, ()):
            frame = _url_absolute(frame, parts)
        roles_now = {f: r for f, r in reader.roles.items() if f in frame.columns and r != formats.AUX}
        return Batch(frame.select("line", tcol, *roles_now), roles_now, nbytes, bad, lines)


def read_log(
    path: str,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    time_field: str | None = None,
    chunk_size: int = CHUNK,
    parse_times: bool = True,
    byte_range: tuple[int, int] | None = None,
    kinds: frozenset[str] | None = None,
    threads: int | None = None,
) -> Iterator[Batch]:
    """Stream a log as batches. Raises LogError for an unreadable file or unknown format.

    Without `parse_times` the frame carries the time text as `ts_raw` (the sweep parses matched events
    only). `byte_range` reads the lines starting in [start, end) of an uncompressed file, numbered from 1.
    `kinds` (the object paths the indicators look up) leaves out the fields none of them can use;
    `threads` caps DuckDB's parser (None: all cores)."""
    if path != "-" and not Path(path).is_file():
        raise LogError(f"{path}: no such file")
    stream, counting = open_log(path, byte_range)
    chunks = _chunks(stream, chunk_size, path)
    first = next(chunks, None)
    if first is None:
        return
    if fmt == "auto":
        detected = formats.detect(first[0][:65536])
        if detected is None:
            raise LogError(f"{path}: cannot detect the log format (use --format)")
        fmt = detected
    if fmt not in formats.FORMATS:
        raise LogError(f"unknown format {fmt!r} (one of auto, {', '.join(formats.FORMATS)})")
    roles = needed_roles(fmt, resolve_roles(fmt, mapping), kinds)
    tfield = time_field or formats.TIME_FIELDS[fmt]
    reader: _Reader
    if fmt in ("eve", "ndjson"):
        reader = _JsonReader(path, roles, tfield, dotted=fmt == "ndjson", threads=threads)
    elif fmt in ("zeek", "csv"):
        reader = _DelimitedReader(path, roles, tfield, zeek=fmt == "zeek")
        if fmt == "csv":
            header, _, body = first[0].partition(b"\n")
            reader.columns = next(csv.reader([header.decode("utf-8", "replace").strip()]))
            if tfield is None:
                tfield = next((c for c in formats.CSV_TIME_CANDIDATES if c in reader.columns), None)
                reader.time_field = tfield
            built = {p.target for p in URL_PARTS["csv"] if p.path in reader.columns}  # URLs made from parts
            reader.roles = {f: r for f, r in roles.items() if f in reader.columns or f in built}
            first = (body, first[1] + 1)
    else:
        reader = _CombinedReader(path, roles, tfield)
    finish = _Finish(fmt, reader, tfield, parse_times)
    if isinstance(reader, _JsonReader) and path != "-" and byte_range is None and not compressed(path):
        stream.close()
        yield from _whole_file(path, reader, finish, chunk_size)
        return
    yield from _chunked(_iter_first(first, chunks), counting, reader, finish)


def _chunked(
    chunks: Iterator[tuple[bytes, int]], counting: _Counting, reader: _Reader, finish: _Finish, sent: int = 0
) -> Iterator[Batch]:
    for chunk, line in chunks:
        frame, bad = reader.parse(chunk, line) if chunk else (None, [])
        nbytes = counting.count - sent
        sent = counting.count
        yield finish(frame, nbytes, bad, chunk.count(b"\n"))


def _whole_file(path: str, reader: _JsonReader, finish: _Finish, chunk_size: int) -> Iterator[Batch]:
    """DuckDB reads the file by path (see `wholefile`); from a line it rejects on, chunks take over."""
    n_lines = wholefile.clean_lines(path)
    size = Path(path).stat().st_size
    done = sent = 0
    if n_lines is not None:
        fetch = wholefile.LineFetcher(path)
        try:
            for rb in wholefile.batches(reader.con, path, reader.columns, reader.sql, BATCH_ROWS):
                df = pl.from_arrow(rb)
                assert isinstance(df, pl.DataFrame)
                frame = reader.scalars(df, done + 1, fetch, reader.odd_rows(rb))
                done += df.height
                nbytes = size * done // n_lines - sent
                sent += nbytes
                yield finish(frame, nbytes, [], df.height)
            if done != n_lines:
                raise LogError(f"{path}: read {done} of {n_lines} lines")
            return
        except duckdb.Error:
            pass  # a line DuckDB rejects: the chunked reader reports it and goes on
        finally:
            fetch.close()
    offset = wholefile.offset_of_line(path, done + 1)
    raw = open(path, "rb")  # noqa: SIM115 - closed with the generator
    try:
        raw.seek(offset)
        counting = _Counting(raw)
        stream = io.BufferedReader(counting, 1 << 20)
        counting.count = offset - sent  # the first chunk also accounts for bytes not yet reported
        yield from _chunked(_chunks(stream, chunk_size, path, done + 1), counting, reader, finish)  # type: ignore[arg-type]
    finally:
        raw.close()


def _iter_first(first: tuple[bytes, int], rest: Iterator[tuple[bytes, int]]) -> Iterator[tuple[bytes, int]]:
    yield first
    yield from rest
