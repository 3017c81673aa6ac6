"""The whole-file DuckDB path: same hits as the chunked path, exact line numbers, fallback on bad lines."""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

import pytest

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, readers, sweep, wholefile

from . import sweep_bruteforce, sweep_gen


def _hits(log: Path, inds: list[dict], **opts) -> tuple[set[tuple[str, int]], object]:  # type: ignore[no-untyped-def]
    comp = compile_indicators(inds, FalsePositives.empty())
    out = io.BytesIO()
    res = sweep([str(log)], comp, SweepOptions(**opts), hits_out=out)
    hits = {(h["indicator"], h["line"]) for h in map(json.loads, out.getvalue().splitlines())}
    return hits, res


@pytest.fixture(scope="module")
def clean_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    rng = random.Random(7)
    d = tmp_path_factory.mktemp("clean")
    log = d / "eve.json"
    log.write_text("\n".join(json.dumps(sweep_gen.eve_event(rng)) for _ in range(1500)) + "\n")
    return log, sweep_gen.indicators(rng, 250)


def test_clean_file_is_read_whole_and_agrees_with_bruteforce(clean_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    log, inds = clean_case
    calls = []
    real = wholefile.batches

    def spy(*a, **kw):  # type: ignore[no-untyped-def]
        calls.append(a[1])
        yield from real(*a, **kw)

    monkeypatch.setattr(wholefile, "batches", spy)
    monkeypatch.setattr(readers, "BATCH_ROWS", 200)  # several batches, line numbers carried across
    hits, res = _hits(log, inds)
    assert calls == [str(log)]
    expected = sweep_bruteforce.evaluate(str(log), inds)
    assert {(i, n) for i, lines in expected.items() for n in lines} == hits
    assert len(hits) > 100 and res.events == 1500  # type: ignore[attr-defined]
    assert res.nbytes == log.stat().st_size  # type: ignore[attr-defined]


def test_bad_line_late_in_file_resumes_line_by_line(clean_case, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    log, inds = clean_case
    lines = log.read_text().splitlines()
    lines.insert(1200, "{not json")
    bad = tmp_path / "bad.json"
    bad.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(readers, "BATCH_ROWS", 100)
    got, res = _hits(bad, inds)
    # the same bytes, compressed, never take the whole-file path
    gz = tmp_path / "bad.json.gz"
    gz.write_bytes(gzip.compress(bad.read_bytes()))
    want, res_gz = _hits(gz, inds, chunk_size=1 << 14)
    assert {(i, n) for i, n in want} == {(i, n) for i, n in got}
    assert [(m.line, m.reason[:12]) for m in res.malformed] == [(1201, "invalid JSON")]  # type: ignore[attr-defined]
    assert res.events == res_gz.events == 1500  # type: ignore[attr-defined]
    assert res.nbytes == bad.stat().st_size  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text", ['{"a": 1}\n\n{"a": 2}\n', '{"a": 1}\n   \n{"a": 2}\n', ' {"a": 1}\n', '{"a": 1}\n\r\n']
)
def test_blank_or_indented_lines_are_not_read_whole(tmp_path: Path, text: str) -> None:
    p = tmp_path / "x.json"
    p.write_text(text)
    assert wholefile.clean_lines(str(p)) is None


def test_clean_lines_counts_lines_across_blocks(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(wholefile, "BLOCK", 64)
    p = tmp_path / "x.json"
    body = "".join(f'{{"n": {i}}}\n' for i in range(100))
    p.write_text(body)
    assert wholefile.clean_lines(str(p)) == 100
    p.write_text(body + '{"n": 100}')  # no final newline
    assert wholefile.clean_lines(str(p)) == 101
    assert wholefile.offset_of_line(str(p), 51) == body.index('{"n": 50}')
    p.write_text(body[:640] + "\n" + body[640:])  # a blank line exactly at a block boundary
    assert wholefile.clean_lines(str(p)) is None
