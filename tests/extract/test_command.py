"""The `extract` command, registered on a throwaway typer app exactly as accord.cli will do it."""

import csv
import io
import json

import requests
import typer
from stix2validator import ValidationOptions, validate_instance
from typer.testing import CliRunner

from accord.extract.command import extract_command

app = typer.Typer()
app.command("extract")(extract_command)


@app.command("noop")
def _noop() -> None:
    """Second command so typer keeps `extract` as a sub-command, as in the real CLI."""


runner = CliRunner()

EN = "Advisory\nC2 hxxp://evil[.]com/x and 1.2.3[.]4 used by APT28 against Germany.\n"
AR = "تحذير\nالخادم evil[.]org والعنوان ١٩٢٫١٦٨٫١٫٥، من روسيا.\n"
ZH = "通报\n攻击者使用恶意域名bad。cn和ＩＰ地址１．２．３．５，来自朝鲜。\n"


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["extract", *args], input=stdin)


def test_json_lines_one_object_per_file(write) -> None:
    files = [write("en.txt", EN), write("ar.txt", AR), write("zh.md", ZH)]
    result = run(*map(str, files), "--format", "json")
    assert result.exit_code == 0, result.output
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["lang"] for o in objs] == ["en", "ar", "zh"]
    assert objs[0]["indicators"] == {"ipv4": ["1.2.3.4"], "url": ["http://evil.com/x"]}
    assert objs[0]["entities"] == {"countries": ["DE"], "threat_actors": ["APT28"]}
    assert objs[1]["indicators"] == {"ipv4": ["192.168.1.5"], "domain": ["evil.org"]}
    assert objs[1]["entities"] == {"countries": ["RU"]}
    assert objs[2]["indicators"] == {"ipv4": ["1.2.3.5"], "domain": ["bad.cn"]}
    assert objs[2]["entities"] == {"countries": ["KP"]}
    assert objs[0]["file"] == str(files[0])


def test_bundle_default_validates(write) -> None:
    result = run(str(write("en.txt", EN)))
    assert result.exit_code == 0
    bundle = json.loads(result.stdout)
    assert validate_instance(bundle, ValidationOptions(strict=False)).is_valid


def test_csv_and_out_file(write, tmp_path) -> None:
    out = tmp_path / "out.csv"
    result = run(str(write("en.txt", EN)), "--format", "csv", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {(r["type"], r["value"]) for r in rows if r["kind"] == "indicator"} == {
        ("ipv4", "1.2.3.4"),
        ("url", "http://evil.com/x"),
    }


def test_stdin_and_forced_lang() -> None:
    result = run("-", "--format", "json", "--lang", "zh", stdin="evil[.]com")
    assert result.exit_code == 0
    obj = json.loads(result.stdout)
    assert obj["lang"] == "zh" and obj["indicators"] == {"domain": ["evil.com"]}


def test_bad_files_reported_others_processed(write) -> None:
    good = write("good.txt", EN)
    empty = write("empty.txt", b"")
    binary = write("blob.txt", bytes(range(256)))
    folder = good.parent
    result = run(str(empty), str(good), str(binary), "/no/such/file.txt", str(folder), "--format", "json")
    assert result.exit_code == 1
    assert [json.loads(line)["file"] for line in result.stdout.splitlines()] == [str(good)]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 4
    assert str(folder) in errors[3] and "directory" in errors[3].lower()
    assert str(empty) in errors[0] and "empty" in errors[0]
    assert str(binary) in errors[1] and "binary" in errors[1]
    assert "/no/such/file.txt" in errors[2]


def test_all_inputs_bad_exit_nonzero_no_output(write) -> None:
    result = run(str(write("e.txt", b"")), "--format", "json")
    assert result.exit_code == 1 and result.stdout == ""


def test_unknown_format_is_usage_error(write) -> None:
    result = run(str(write("en.txt", EN)), "--format", "xml")
    assert result.exit_code == 2 and "--format" in result.stderr


def test_post_requires_node_and_collection(write) -> None:
    result = run(str(write("en.txt", EN)), "--post")
    assert result.exit_code == 2 and "--node" in result.stderr


def test_post_to_medallion(write, taxii_node) -> None:
    result = run(
        str(write("en.txt", EN)),
        "--post",
        "--node",
        taxii_node["root"],
        "--collection",
        taxii_node["collection"],
        "--token",
        taxii_node["token"],
        "--out",
        str(write("ignored.json", "")),
    )
    assert result.exit_code == 0, result.stderr
    assert "posted" in result.stderr
    url = f"{taxii_node['root']}collections/{taxii_node['collection']}/objects/"
    objs = requests.get(
        url, auth=("analyst", "secret"), headers={"Accept": "application/taxii+json;version=2.1"}, timeout=10
    ).json()["objects"]
    patterns = {o.get("pattern") for o in objs if o["type"] == "indicator"}
    assert "[ipv4-addr:value = '1.2.3.4']" in patterns


def test_post_bad_credentials_fails_cleanly(write, taxii_node) -> None:
    result = run(
        str(write("en.txt", EN)),
        "--post",
        "--node",
        taxii_node["root"],
        "--collection",
        taxii_node["collection"],
        "--token",
        "analyst:wrong",
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("accord extract: TAXII post")


def test_invalid_bundle_is_never_posted(monkeypatch, taxii_node) -> None:
    from accord.extract import post

    calls = []
    monkeypatch.setattr(requests.Session, "request", lambda *a, **k: calls.append(a))
    bundle = {"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator", "id": "bad"}]}
    try:
        post.post_bundle(bundle, taxii_node["root"], taxii_node["collection"], "analyst:secret")
    except post.PostError as exc:
        assert "does not validate" in str(exc)
    else:
        raise AssertionError("invalid bundle was accepted")
    assert calls == []
