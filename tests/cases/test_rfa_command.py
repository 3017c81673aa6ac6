"""`accord rfa`: the request workflow and the review from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app

runner = CliRunner()


def accord(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.stderr + result.stdout
    return result


def test_file_answer_list_and_review(tmp_path: Path) -> None:
    node = ["--data-dir", str(tmp_path / "node")]
    accord("init", *node)
    for name in ("cert-fr", "efcc-ng"):
        accord("org", "add", name, *node)
    incomplete = accord(
        "rfa",
        "file",
        "--as",
        "cert-fr",
        "--to",
        "efcc-ng",
        "--type",
        "preservation",
        "--summary",
        "phishing kit",
        *node,
        ok=False,
    )
    assert incomplete.exit_code == 1 and incomplete.stderr.count("\n") == 1
    assert (
        "Art. 29(2)" in incomplete.stderr
        and "(f) that a request for mutual assistance will follow" in incomplete.stderr
    )
    request = tmp_path / "request.toml"
    request.write_text(
        'to = "efcc-ng"\nrequest_type = "preservation"\nurgency = "urgent"\n'
        'requesting_authority = "CERT-FR"\noffence = "fraud"\nsummary_of_facts = "phishing kit"\n'
        'relationship_to_offence = "hosted the kit"\ncustodian = "Example Hosting"\n'
        'necessity = "30-day logs"\n'
        "formal_request_to_follow = true\n"
        '[legal_basis]\nkind = "treaty"\ninstrument = "Budapest Convention"\narticle = "29"\n'
        '[[data]]\nkind = "ip"\nvalue = "203.0.113.5"\ntimestamp = "2026-11-28T10:15:00+01:00"\n'
    )
    filed = json.loads(accord("rfa", "file", "--as", "cert-fr", "--from-file", str(request), *node).stdout)
    rid = filed["id"]
    assert filed["state"] == "submitted" and filed["urgency"] == "urgent"
    wrong = accord("rfa", "ack", rid, "--as", "cert-fr", *node, ok=False)
    assert wrong.exit_code == 1 and "only the requested party may 'ack'" in wrong.stderr
    assert json.loads(accord("rfa", "ack", rid, "--as", "efcc-ng", *node).stdout)["state"] == "acknowledged"
    preserved = json.loads(accord("rfa", "preserve", rid, "--as", "efcc-ng", *node).stdout)
    assert preserved["state"] == "preserved" and preserved["preservation_expires"]
    listed = json.loads(accord("rfa", "list", "--as", "efcc-ng", "--for-me", "--json", *node).stdout)
    assert [c["id"] for c in listed] == [rid]
    assert "preserved" in accord("rfa", "list", "--as", "cert-fr", *node).stdout
    shown = json.loads(accord("rfa", "show", rid, "--as", "cert-fr", *node).stdout)
    assert [t["action"] for t in shown["timeline"]] == ["ack", "preserve"]
    report = json.loads(accord("rfa", "report", "--format", "json", *node).stdout)
    assert report["rows"][0]["party"] == "efcc-ng" and report["rows"][0]["requests"] == 1
    html = tmp_path / "review.html"
    accord("rfa", "report", "--out", str(html), *node)
    assert "<svg" in html.read_text() and "efcc-ng" in html.read_text()
    assert accord("rfa", "show", rid, "--as", "nobody", *node, ok=False).exit_code == 1
