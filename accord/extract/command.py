"""`accord extract`: documents in, STIX (or JSON/CSV) out.

A bad input never stops the run: its one-line error goes to stderr, the rest is processed and the
exit status (1) says something failed.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .api import Extraction, extract_file
from .readers import ReadError

FORMATS = ("bundle", "json", "csv")


def _err(message: str) -> None:
    typer.echo(f"accord extract: {message}", err=True)


def render(extractions: list[Extraction], fmt: str) -> str:
    """Serialise extractions in one of FORMATS."""
    if fmt == "json":  # JSON Lines: one object per input file, streamable
        return "".join(json.dumps(ex.to_json(), ensure_ascii=False) + "\n" for ex in extractions)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["file", "lang", "kind", "type", "value"])
        for ex in extractions:
            for kind, values in ex.indicators.items():
                writer.writerows([ex.file, ex.lang, "indicator", kind, v] for v in values)
            for kind, values in ex.entities.items():
                writer.writerows([ex.file, ex.lang, "entity", kind, v] for v in values)
        return buf.getvalue()
    from .stix_bundle import to_bundle

    return json.dumps(to_bundle(extractions), ensure_ascii=False, indent=2) + "\n"


def extract_command(
    files: Annotated[list[str], typer.Argument(help="Text, HTML, PDF, DOCX or Markdown files; - for stdin.")],
    lang: Annotated[str, typer.Option("--lang", help="auto, or a code such as en, ar, zh.")] = "auto",
    fmt: Annotated[str, typer.Option("--format", help="bundle (STIX 2.1), json or csv.")] = "bundle",
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
    post: Annotated[bool, typer.Option("--post", help="Also add the bundle to a TAXII collection.")] = False,
    node: Annotated[str | None, typer.Option("--node", help="TAXII API root URL.")] = None,
    collection: Annotated[str | None, typer.Option("--collection", help="TAXII collection id.")] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="Bearer token, or user:password for HTTP Basic.")
    ] = None,
) -> None:
    """Extract indicators (defanged or not) and entities from reports in any language into STIX 2.1."""
    if fmt not in FORMATS:
        _err(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        raise typer.Exit(2)
    if post and not (node and collection):
        _err("--post needs --node and --collection")
        raise typer.Exit(2)
    failed = False
    results: list[Extraction] = []
    for name in files:
        try:
            results.append(extract_file(name, lang=lang))
        except ReadError as exc:
            _err(str(exc))
            failed = True
    if results:
        text = render(results, fmt)
        if out is None:
            sys.stdout.write(text)
        else:
            try:
                out.write_text(text, encoding="utf-8")
            except OSError as exc:
                _err(f"{out}: {exc.strerror or exc}")
                raise typer.Exit(1) from exc
    if post and results:
        from .post import PostError, post_bundle
        from .stix_bundle import to_bundle

        bundle = json.loads(text) if fmt == "bundle" else to_bundle(results)
        try:
            status = post_bundle(bundle, node or "", collection or "", token)
            typer.echo(f"accord extract: posted {status['success_count']} objects to {collection}", err=True)
        except PostError as exc:
            _err(str(exc))
            failed = True
    if failed or not results:
        raise typer.Exit(1)
