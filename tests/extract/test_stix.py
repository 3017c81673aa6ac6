"""STIX bundle: validates with the OASIS validator and references everything found."""

import pytest
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance

from accord.extract import extract_text, to_bundle
from accord.extract.stix_bundle import stix_pattern

from .helpers import base58check

WALLET = base58check(bytes(21))
REPORT = f"""Joint advisory on APT28
APT28 targeted Germany and 中国 from hxxp://evil[.]com/gate (1.2.3[.]4, 2001:db8::7, 10.0.0.0/8).
Mail: ops[at]evil.com via relay bad.example.org. Hashes d41d8cd98f00b204e9800998ecf8427e,
{"ab12cd34" * 5}, {"0f1e2d3c" * 8}, {"9a8b7c6d" * 16}.
Exploits CVE-2021-44228 via T1059.001. Key HKCU\\Software\\O'Neil\\Run, file a.exe,
AS13335, wallet {WALLET}. Interpol and Xi Jinping commented.
"""


def test_bundle_validates_and_report_refs_everything() -> None:
    ex = extract_text(REPORT, file="adv.txt")
    assert set(ex.indicators) == {
        "ipv4",
        "ipv6",
        "cidr",
        "domain",
        "url",
        "email",
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "cve",
        "attack",
        "btc",
        "file",
        "registry",
        "asn",
    }
    bundle = to_bundle([ex])
    result = validate_instance(bundle, ValidationOptions(strict=False))
    assert result.is_valid, [str(e) for e in result.errors]
    objs = {o["id"]: o for o in bundle["objects"]}
    (report,) = [o for o in objs.values() if o["type"] == "report"]
    assert report["name"] == "Joint advisory on APT28"
    assert report["lang"] == "en"
    assert "hxxp://evil[.]com/gate" in report["description"]
    refs = set(report["object_refs"])
    assert refs == {i for i, o in objs.items() if o["type"] != "report" and i != report["created_by_ref"]}
    types = sorted({objs[r]["type"] for r in refs})
    assert types == ["attack-pattern", "identity", "indicator", "location", "threat-actor", "vulnerability"]
    n_indicators = sum(len(v) for k, v in ex.indicators.items() if k not in ("cve", "attack"))
    assert sum(objs[r]["type"] == "indicator" for r in refs) == n_indicators
    countries = sorted(objs[r]["country"] for r in refs if objs[r]["type"] == "location")
    assert countries == ["CN", "DE"]


def test_same_value_in_two_documents_is_one_object() -> None:
    a = extract_text("one\nevil.com", file="a.txt")
    b = extract_text("two\nevil.com", file="b.txt")
    bundle = to_bundle([a, b])
    indicators = [o for o in bundle["objects"] if o["type"] == "indicator"]
    reports = [o for o in bundle["objects"] if o["type"] == "report"]
    assert len(indicators) == 1 and len(reports) == 2
    assert all(indicators[0]["id"] in r["object_refs"] for r in reports)


def test_empty_document_still_valid() -> None:
    bundle = to_bundle([extract_text("nothing here", file="n.txt")])
    assert validate_instance(bundle, ValidationOptions(strict=False)).is_valid


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("registry", "HKCU\\Software\\O'Neil"),
        ("url", "http://x.com/a'b\\c"),
        ("asn", "AS13335"),
        ("sha256", "ab" * 32),
        ("cidr", "2001:db8::/32"),
    ],
)
def test_patterns_escape_and_parse(kind: str, value: str) -> None:
    pattern = stix_pattern(kind, value)
    assert run_validator(pattern, stix_version="2.1") == []
