"""Sightings, identity and bundle are plain dicts: valid STIX 2.1 (stix2-validator), stable ids, and
the same objects stix2 built before (property for property, timestamps as instants)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import polars as pl
import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance, validate_string
from typer.testing import CliRunner

from accord.stix.timestamps import parse_us
from accord.sweep import FalsePositives, SweepOptions, compile_indicators, sightings, sightings_bundle, sweep
from accord.sweep.evaluator import stix_time

SPACE = uuid.UUID("6b3f2c1e-8d4a-5f0b-9e7c-2a1d4c5b6e70")  # written out: changing it re-sends everything
IDS = [f"indicator--00000000-0000-4000-8000-{i:012d}" for i in range(4)]
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(\d{3})?Z")
OPTIONS = ValidationOptions(version="2.1")
# The one warning allowed: a timestamped sighting's id is a UUIDv5 (`sighting_id`: the same sweep of the
# same log names the same sighting, so a re-post is "already stored"); STIX 2.1 says SHOULD, not MUST,
# of UUIDv4 (the validator's check 103). Any other warning fails.
ALLOWED = re.compile(r"(sighting--[0-9a-f-]{36}): \{103\} Given ID value \1 is not a valid UUIDv4 ID\.")


def _clean(results) -> None:  # type: ignore[no-untyped-def]
    """Valid, no error, and no warning but the UUIDv5 one (for sightings with a time only)."""
    for r in results if isinstance(results, list) else [results]:
        assert r.is_valid and r.errors == [], [str(e) for e in r.errors]
        for w in r.warnings:
            m = ALLOWED.fullmatch(str(w))
            assert m and uuid.UUID(m.group(1).removeprefix("sighting--")).version == 5, str(w)


class _Comp:
    ids = IDS


def _counts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "idx": [2, 0, 1, 3],
            "count": [1, 3, 2, 5],
            "first": [1709287200000000, 1709287200123456, 1709287200000000, None],
            "last": [1709287200000000, 1709373600100000, 1709287201000001, None],
        },
        schema={"idx": pl.Int64, "count": pl.Int64, "first": pl.Int64, "last": pl.Int64},
    )


def _assert_valid(obj: dict) -> None:
    _clean(validate_instance(obj, OPTIONS))


def test_identity_sightings_and_bundle_are_valid_stix() -> None:
    who = sightings.identity("CERT-X")
    sights = sightings.build_sightings(_counts(), _Comp, who)  # type: ignore[arg-type]
    bundle = sightings.bundle(sights, who)
    for obj in (who, *sights):
        assert isinstance(obj, dict)
        _assert_valid(obj)
    _clean(validate_string(json.dumps(bundle), OPTIONS))
    for obj in bundle["objects"]:
        for key in ("created", "modified"):
            assert STAMP.fullmatch(obj[key]), obj[key]  # at least millisecond digits, as STIX asks
    assert [s["sighting_of_ref"] for s in sights] == IDS  # one per indicator, in indicator order


def test_the_same_as_stix2_built_and_ids_stable() -> None:
    who = sightings.identity("CERT-X")
    sights = sightings.build_sightings(_counts(), _Comp, who)  # type: ignore[arg-type]
    ref = stix2.Identity(**who)  # stix2 takes the dict as it is
    assert json.loads(ref.serialize()).keys() == who.keys()
    for s, (idx, count, first, last) in zip(sights, _counts().sort("idx").iter_rows(), strict=True):
        extra = {}
        if first is not None:
            fs, ls = stix_time(first), stix_time(last)
            extra = {
                "id": sightings.sighting_id(IDS[idx], who["id"], fs, ls, count),
                "first_seen": fs,
                "last_seen": ls,
                "created": ls,
                "modified": ls,
            }
        else:
            extra = {"id": s["id"], "created": s["created"], "modified": s["modified"]}
        old = json.loads(
            stix2.Sighting(
                sighting_of_ref=IDS[idx],
                count=count,
                where_sighted_refs=[ref.id],
                created_by_ref=ref.id,
                **extra,
            ).serialize()
        )
        assert list(old) == list(s)  # same properties, in the same order
        for key, value in old.items():
            if key in ("created", "modified", "first_seen", "last_seen"):
                assert parse_us(value) == parse_us(s[key]), key  # the same instant
            else:
                assert value == s[key], key
        assert stix2.parse(s, allow_custom=False).id == s["id"]
    # the id of a timestamped sighting depends on what it says only (fixed namespace, fixed key)
    assert sights[0]["id"] == sightings.sighting_id(
        IDS[0], who["id"], "2024-03-01T10:00:00.123456Z", "2024-03-02T10:00:00.100000Z", 3
    )
    sighter = "identity--00000000-0000-4000-8000-000000000000"
    key = f"{IDS[0]}|{sighter}|a|b|1"
    assert sightings.sighting_id(IDS[0], sighter, "a", "b", 1) == f"sighting--{uuid.uuid5(SPACE, key)}"
    assert (
        sightings.sighting_id(IDS[0], sighter, "a", "b", 1)
        == "sighting--f3245670-b137-567a-a186-6f44c1f178ed"
    )  # as before
    assert sights[3]["id"] != sightings.build_sightings(_counts(), _Comp, who)[3]["id"]  # type: ignore[arg-type]
    assert sights[0]["id"] == sightings.build_sightings(_counts(), _Comp, who)[0]["id"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stamp", "version"),
    [
        ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00.000Z"),
        ("2024-03-01T10:00:00.100000Z", "2024-03-01T10:00:00.100Z"),
        ("2024-03-01T10:00:00.123456Z", "2024-03-01T10:00:00.123456Z"),
        ("2024-03-01T10:00:00.120300Z", "2024-03-01T10:00:00.1203Z"),
    ],
)
def test_version_stamps_keep_the_instant_with_millisecond_digits(stamp: str, version: str) -> None:
    assert sightings.version_stamp(stamp) == version
    assert parse_us(version) == parse_us(stamp)


def test_a_malformed_indicator_id_is_refused_as_stix2_did() -> None:
    class Bad:
        ids = ["indicator--not-a-uuid"]

    counts = pl.DataFrame({"idx": [0], "count": [1], "first": [None], "last": [None]})
    with pytest.raises(ValueError, match="not a STIX indicator id"):
        sightings.build_sightings(counts, Bad, sightings.identity())  # type: ignore[arg-type]


def test_sweep_api_and_cli_emit_valid_bundles(tmp_path: Path) -> None:
    log = tmp_path / "eve.json"
    events = [
        {
            "timestamp": "2024-03-01T10:00:00.000001+0000",
            "event_type": "dns",
            "dns": {"rrname": "evil.example"},
        },
        {"timestamp": "2024-03-01T11:00:00+0000", "event_type": "dns", "dns": {"rrname": "a.evil.example"}},
    ]
    log.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    ind = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": IDS[1],
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "pattern": "[domain-name:value = 'evil.example']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    comp = compile_indicators([ind], FalsePositives.empty())
    bundle = sightings_bundle(sweep([str(log)], comp, SweepOptions()), comp)
    _clean(validate_string(json.dumps(bundle), OPTIONS))
    (s,) = [o for o in bundle["objects"] if o["type"] == "sighting"]
    assert (s["count"], s["first_seen"], s["last_seen"]) == (
        2,
        "2024-03-01T10:00:00.000001Z",
        "2024-03-01T11:00:00Z",
    )

    import typer

    from accord.sweep.command import sweep_command

    app = typer.Typer()
    app.command("sweep")(sweep_command)
    app.command("version")(lambda: None)
    bundle_path, out = tmp_path / "ind.json", tmp_path / "s.json"
    bundle_path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [ind]}))
    r = CliRunner().invoke(app, ["sweep", str(log), "-i", str(bundle_path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    _clean(validate_string(out.read_text(), OPTIONS))
    written = json.loads(out.read_text())
    assert [o["type"] for o in written["objects"]] == ["identity", "sighting"]
    assert written["objects"][1]["id"] == sightings.sighting_id(
        IDS[1], written["objects"][0]["id"], "2024-03-01T10:00:00.000001Z", "2024-03-01T11:00:00Z", 2
    )


def test_the_sweeping_organization_keeps_its_id_from_run_to_run(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Sighting ids hang on the sighter's id: the same sweep again must name it alike, while two
    organizations of one name (two machines) stay two; ACCORD_IDENTITY_ID overrides; a bad set-up is
    refused with its fix."""
    monkeypatch.delenv("ACCORD_IDENTITY_ID", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "one"))
    first, again, other = sightings.identity("CERT-X"), sightings.identity("CERT-X"), sightings.identity("B")
    assert first["id"] == again["id"] != other["id"]
    assert sightings.identities_file() == tmp_path / "one" / "accord" / "identities.json"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "two"))
    assert sightings.identity("CERT-X")["id"] != first["id"]  # another machine's CERT-X
    given = "identity--0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d"
    monkeypatch.setenv("ACCORD_IDENTITY_ID", given)
    assert sightings.identity("CERT-X")["id"] == given
    monkeypatch.setenv("ACCORD_IDENTITY_ID", "cert-x")
    with pytest.raises(sightings.IdentityError, match="ACCORD_IDENTITY_ID"):
        sightings.identity("CERT-X")
    monkeypatch.delenv("ACCORD_IDENTITY_ID")
    (tmp_path / "three" / "accord").mkdir(parents=True)
    (tmp_path / "three" / "accord" / "identities.json").write_text("[]")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "three"))
    with pytest.raises(sightings.IdentityError, match="ACCORD_IDENTITY_ID=identity--<uuid>"):
        sightings.identity("CERT-X")
