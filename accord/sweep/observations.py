"""Batch of events -> long table of canonical observations (line, obj, kind, field, value, ip4).

Every observable becomes one row keyed by its STIX object path (`kind`) and by the object it belongs to
(`obj`), so AND-on-the-same-object is a group-by and every lookup is a join. Canonical forms are computed
with polars expressions; only values outside the common shapes (IPv6, IDN, URLs with escapes or ports)
go through the scalar functions of `normalize`, once per distinct value.
"""

from __future__ import annotations

import polars as pl
import polars_iptools

from accord.sweep import normalize

SCHEMA = {
    "line": pl.Int64,
    "obj": pl.Utf8,
    "kind": pl.Utf8,
    "field": pl.Utf8,
    "value": pl.Utf8,
    "ip4": pl.Int64,
}
V4 = rf"^{normalize.OCTET}\.{normalize.OCTET}\.{normalize.OCTET}\.{normalize.OCTET}$"
EMAIL = r"[^\s\"'<>,;\[\]()]+@[^\s\"'<>,;\[\]()]+"
# a port of 1-4 digits without a leading zero is a valid number as written (5 digits go the slow way)
_FAST_URL = r"^https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::[1-9][0-9]{0,3})?(?:/[^%#?\s]*(?:\?[^%#\s]+)?)?$"
_HOST = r"^[a-z][a-z0-9+.-]*://(?:[^/@]*@)?([^/:?\[\]]+)"


_IP_KINDS = ("ipv4-addr:value", "ipv6-addr:value")

# The object path(s) each role's values are (a URL's host is also looked up as a domain: `role_kinds`).
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "src_ip": (*_IP_KINDS, "network-traffic:src_ref.value"),
    "dst_ip": (*_IP_KINDS, "network-traffic:dst_ref.value"),
    "ip": _IP_KINDS,
    "src_port": ("network-traffic:src_port",),
    "dst_port": ("network-traffic:dst_port",),
    "domain": ("domain-name:value",),
    "url": ("url:value",),
    "email": ("email-addr:value",),
    **{f"hash:{a}": (f"file:hashes.{a}",) for a in normalize.HASH_ALGOS},
}


def role_kinds(role: str) -> tuple[str, ...]:
    """The object paths a field of this role can give values to (URL hosts count as domains)."""
    kinds = ROLE_KINDS.get(role, ())
    return (*kinds, "domain-name:value") if role == "url" else kinds


def needed(role: str, kinds: frozenset[str] | None) -> bool:
    """Can a field of this role matter to lookups of `kinds` (None: every kind)?"""
    return kinds is None or not kinds.isdisjoint(role_kinds(role))


def _scalar(values: pl.Series, fn) -> pl.Series:  # type: ignore[no-untyped-def]
    """Apply a scalar canonicalizer once per distinct value."""
    uniq = values.drop_nulls().unique()
    mapping = {v: fn(v) for v in uniq.to_list()}
    return values.replace_strict(mapping, default=None, return_dtype=pl.Utf8)


def ip4_int(value: pl.Expr) -> pl.Expr:
    """Dotted-quad text -> its integer; null for any other text (leading zeros, padding, a fifth part,
    an octet over 255). polars-iptools parses in Rust: five times cheaper than splitting and casting in
    polars, which was a sixth of a clean sweep."""
    return polars_iptools.ipv4_to_numeric(value).cast(pl.Int64)


def _ip_rows(df: pl.DataFrame, field: str, need_ip4: bool = True) -> pl.DataFrame:
    col = df.select("line", pl.col(field).str.strip_chars().alias("raw")).drop_nulls("raw")
    is4 = col["raw"].str.contains(V4)
    v4 = col.filter(is4)
    ip4 = ip4_int(pl.col("raw")) if need_ip4 and len(v4) else pl.lit(None, pl.Int64)
    v4 = v4.with_columns(value=pl.col("raw"), ip4=ip4, kind=pl.lit("ipv4-addr:value"))
    other = col.filter(~is4 & col["raw"].str.contains(":"))
    canon = _scalar(other["raw"], normalize.ip) if len(other) else pl.Series([], dtype=pl.Utf8)
    # an IPv4-mapped text such as ::ffff:1.2.3.4 stays IPv6 in its canonical form
    other = other.with_columns(
        value=canon, ip4=pl.lit(None, pl.Int64), kind=pl.lit("ipv6-addr:value")
    ).drop_nulls("value")
    out = pl.concat([v4.select("line", "kind", "value", "ip4"), other.select("line", "kind", "value", "ip4")])
    return out.with_columns(field=pl.lit(field))


def _domain(values: pl.Expr) -> pl.Expr:
    return values.str.strip_chars().str.strip_chars_end(".").str.to_lowercase()


def _domain_rows(df: pl.DataFrame, field: str, obj: str) -> pl.DataFrame:
    col = df.select("line", _domain(pl.col(field)).alias("value")).filter(pl.col("value").str.len_bytes() > 0)
    ascii_ = col["value"].str.contains(r"^[\x00-\x7f]*$")
    if not ascii_.all():
        col = col.with_columns(
            value=pl.when(ascii_).then(pl.col("value")).otherwise(_scalar(col["value"], normalize.domain))
        )
    return col.drop_nulls().with_columns(
        kind=pl.lit("domain-name:value"), field=pl.lit(field), obj=pl.lit(obj)
    )


def emails(values: pl.Expr) -> pl.Expr:
    """Addresses of an e-mail field as a list: those in `Name <a@b>` text or a JSON list (SMTP senders
    and recipients), else the whole value."""
    low = values.str.strip_chars().str.to_lowercase()
    found = low.str.extract_all(EMAIL)
    whole = (
        pl.when(low.str.starts_with("[")).then(pl.lit([], pl.List(pl.Utf8))).otherwise(pl.concat_list(low))
    )
    return pl.when(found.list.len() > 0).then(found).otherwise(whole)


def email_rows(df: pl.DataFrame, field: str) -> pl.DataFrame:
    """One row per address (line, obj, value): the k-th address of a field is object `field#k`."""
    return (
        df.select("line", emails(pl.col(field)).alias("value"))
        .drop_nulls("value")
        .with_columns(k=pl.int_ranges(pl.col("value").list.len()))
        .explode("value", "k")
        .drop_nulls("value")
        .select(
            "line",
            pl.when(pl.col("k") == 0)
            .then(pl.lit(field))
            .otherwise(pl.lit(field + "#") + pl.col("k").cast(pl.Utf8))
            .alias("obj"),
            "value",
        )
    )


def url_rows(df: pl.DataFrame, field: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(line, value) of the canonical URLs of a field and of their hosts. A URL already in a canonical
    shape (lowercase http(s) host, no escape, fragment or `/.`, a short port) is its own canonical form
    once it has a path and its default port (`:80` of http, `:443` of https) is cut out, and its host is
    the text between `//` and the next `/` or `:`: no regex capture is needed for it."""
    col = (
        df.select("line", pl.col(field).alias("raw"))
        .drop_nulls("raw")
        .with_columns(pl.col("raw").str.strip_chars())
    )
    raw = pl.col("raw")
    # "/." may start a dot segment (RFC 3986 5.2.4): such paths go through `normalize.url`
    fast = col["raw"].str.contains(_FAST_URL) & ~col["raw"].str.contains("/.", literal=True)
    value = pl.when(raw.str.count_matches("/", literal=True) >= 3).then(raw).otherwise(raw + "/")
    authority = raw.str.split_exact("/", 3).struct.field("field_2")
    quick = col.filter(fast).select("line", value.alias("value"), authority.alias("host"))
    if quick["host"].str.contains(":", literal=True).any():  # some have a port (checked per batch)
        v, host = pl.col("value"), pl.col("host")
        # the first ":80" / ":443" of such a URL is its port: the scheme is followed by "//" (a fast
        # shape's port has no leading zero, so a host ending in ":80" has port 80)
        quick = quick.with_columns(
            pl.when(host.str.ends_with(":80") & v.str.starts_with("http:"))
            .then(v.str.replace(":80", "", literal=True))
            .when(host.str.ends_with(":443") & v.str.starts_with("https:"))
            .then(v.str.replace(":443", "", literal=True))
            .otherwise(v)
            .alias("value"),
            host.str.split_exact(":", 1).struct.field("field_0").alias("host"),
        )
    slow = col.filter(~fast)
    if len(slow):
        canon = slow.select("line", _scalar(slow["raw"], normalize.url).alias("value")).drop_nulls("value")
        canon = canon.with_columns(host=pl.col("value").str.extract(_HOST, 1))
        urls = pl.concat([quick, canon])
    else:
        urls = quick
    hosts = (
        urls.select("line", pl.col("host").alias("value"))
        .drop_nulls("value")
        .filter(~pl.col("value").str.contains(V4))
    )
    url_rows = urls.select("line", "value").with_columns(
        kind=pl.lit("url:value"), field=pl.lit(field), obj=pl.lit(field)
    )
    host_rows = hosts.with_columns(
        kind=pl.lit("domain-name:value"), field=pl.lit(field), obj=pl.lit(field + "#host")
    )
    return url_rows, host_rows


def build(
    frame: pl.DataFrame, roles: dict[str, str], kinds: frozenset[str] | None = None, need_ip4: bool = True
) -> pl.DataFrame:
    """Observations of a batch, in the column order of SCHEMA: all of them, or only those of `kinds`
    (the object paths some compiled lookup uses), with the integer IPv4 form only if CIDRs need it."""
    parts: list[pl.DataFrame] = []

    def wanted(*ks: str) -> bool:
        return kinds is None or not kinds.isdisjoint(ks)

    def add(df: pl.DataFrame, obj: str | None = None, kind: str | None = None) -> None:
        cols = {}
        if obj is not None:
            cols["obj"] = pl.lit(obj)
        if kind is not None:
            cols["kind"] = pl.lit(kind)
        if "ip4" not in df.columns:
            cols["ip4"] = pl.lit(None, pl.Int64)
        parts.append(df.with_columns(**cols).select([pl.col(c).cast(t) for c, t in SCHEMA.items()]))

    for field, role in roles.items():
        if not needed(role, kinds):
            continue
        if role in ("src_ip", "dst_ip", "ip"):
            ips = _ip_rows(frame, field, need_ip4)
            if wanted(*_IP_KINDS):
                add(ips, obj=field)
            nt_kind = f"network-traffic:{role[:3]}_ref.value"
            if role != "ip" and wanted(nt_kind):
                add(ips, obj="nt", kind=nt_kind)
        elif role in ("src_port", "dst_port"):
            port = pl.col(field).str.strip_chars().cast(pl.Int64, strict=False)
            df = frame.select("line", port.cast(pl.Utf8).alias("value")).drop_nulls()
            add(df.with_columns(field=pl.lit(field)), obj="nt", kind=f"network-traffic:{role}")
        elif role == "domain":
            add(_domain_rows(frame, field, field))
        elif role == "url":
            urls, hosts = url_rows(frame, field)
            add(urls)
            add(hosts)
        elif role.startswith("hash:"):
            df = frame.select(
                "line", pl.col(field).str.strip_chars().str.to_lowercase().alias("value")
            ).drop_nulls()
            add(df.with_columns(field=pl.lit(field)), obj="file", kind=f"file:hashes.{role[5:]}")
        elif role == "email":
            add(email_rows(frame, field).with_columns(field=pl.lit(field)), kind="email-addr:value")
    if not parts:
        return pl.DataFrame(schema=SCHEMA)
    out = pl.concat(parts)
    return out.filter(pl.col("value").str.len_bytes() > 0)
