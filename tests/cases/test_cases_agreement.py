import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accord.cases.agreement import NotCovered, RequestType, Urgency, load_agreement, parse_agreement
from accord.cases.clock import DurationSpec, Unit
from accord.cases.clock_escalation import escalation_steps_due

DOC = Path(__file__).resolve().parents[2] / "docs" / "agreements.md"


def _example() -> dict:
    block = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return tomllib.loads(block[1])


def test_documented_example_loads(tmp_path):
    path = tmp_path / "fr-ng.toml"
    path.write_text(re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)[1])
    agreement = load_agreement(path)
    assert set(agreement.parties) == {"fr-oclctic", "ng-efcc"}
    assert agreement.parties["fr-oclctic"].calendar.working_hours == ((540, 750), (810, 1080))
    assert agreement.response_spec("preservation", "urgent") == DurationSpec(12, Unit.HOURS)
    assert agreement.response_spec(RequestType.EMERGENCY_DISCLOSURE, Urgency.RISK_TO_LIFE).target == 90 * 60
    assert {t for t, _ in agreement.response} == set(RequestType)
    assert [step.role for step in agreement.ladder] == [
        "case_officer",
        "supervisor",
        "hotline",
        "review_list",
    ]


def test_deadlines_use_the_answering_partys_calendar():
    agreement = parse_agreement(_example())
    received = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)  # Thursday; 16:00 in both Paris and Lagos
    # Lagos works 08:00-16:00 and takes 25 and 26 December off: 8 working hours end Monday 28th 16:00 WAT.
    assert agreement.response_due("ng-efcc", "takedown", "urgent", received) == datetime(
        2026, 12, 28, 15, 0, tzinfo=UTC
    )
    # Paris works until 18:00 on the 24th (2 h); the 25th is a holiday, then a weekend. On Monday 28th
    # 09:00-12:30 (3.5 h) and 13:30-16:00 (2.5 h) complete the 8 hours at 16:00 CET.
    assert agreement.response_due("fr-oclctic", "takedown", "urgent", received) == datetime(
        2026, 12, 28, 15, 0, tzinfo=UTC
    )
    paused = [
        (received + timedelta(hours=1), received + timedelta(days=5))
    ]  # until Tue 29th 16:00 WAT, end of day
    assert agreement.response_due("ng-efcc", "takedown", "urgent", received, paused) == datetime(
        2026, 12, 30, 15, 0, tzinfo=UTC
    )
    assert agreement.response_due("ng-efcc", "takedown", "urgent", received, [(received, None)]) is None
    with pytest.raises(NotCovered):
        agreement.response_due("ng-efcc", "emergency_disclosure", "normal", received)
    with pytest.raises(LookupError):
        agreement.response_due("de-bka", "takedown", "urgent", received)


def test_preservation_renewals():
    agreement = parse_agreement(_example())
    ordered = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)  # Lagos is UTC+1 all year
    assert agreement.preservation_expiry("ng-efcc", ordered) == datetime(2026, 4, 10, 23, 0, tzinfo=UTC)
    assert agreement.preservation_expiry("ng-efcc", ordered, renewals=2) == datetime(
        2026, 10, 7, 23, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        agreement.preservation_expiry("ng-efcc", ordered, renewals=3)


def test_escalation_ladder_from_the_file():
    agreement = parse_agreement(_example())
    deadline = datetime(2026, 5, 4, 12, tzinfo=UTC)
    due = escalation_steps_due(deadline, agreement.ladder, deadline + timedelta(days=3))
    assert [step.role for step in due] == ["case_officer", "supervisor", "hotline"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["parties"].pop("ng-efcc"), "exactly two parties"),
        (lambda d: d.pop("deadlines"), "missing setting 'deadlines'"),
        (lambda d: d["deadlines"].pop("acknowledgement"), "deadlines.acknowledgement"),
        (lambda d: d.update(deadline={}), "unknown setting"),
        (lambda d: d["parties"]["ng-efcc"].update(time_zone="Africa/Lagos"), "time_zone"),
        (lambda d: d["preservation"].update(renewals=3), "renewals"),
        (lambda d: d["preservation"].update(max_renewals=-1), "max_renewals"),
        (lambda d: d["preservation"].update(period="59 days"), "at least 60 days"),
        (lambda d: d["preservation"].update(period="3 working_days"), "at least 60 days"),
        (lambda d: d["deadlines"]["response"].update(seizure={"normal": "1 days"}), "seizure"),
        (lambda d: d["deadlines"]["response"]["takedown"].update(someday="1 days"), "someday"),
        (lambda d: d["deadlines"].update(acknowledgement="soon"), "durations look like"),
        (lambda d: d["deadlines"].update(acknowledgement="2 fortnights"), "unknown unit"),
        (lambda d: d["parties"]["ng-efcc"].update(timezone="Mars/Olympus"), "Mars/Olympus"),
        (lambda d: d["parties"]["ng-efcc"].update(working_hours=["17:00-09:00"]), "working hours"),
        (lambda d: d["parties"]["ng-efcc"].update(working_hours=["08:00-12:00", "11:00-13:00"]), "overlap"),
        (lambda d: d["parties"]["ng-efcc"].update(working_days=["monday"]), "unknown working days"),
        (lambda d: d["parties"]["ng-efcc"].update(holidays=["2026-12-25"]), "TOML dates"),
        (lambda d: d["escalation"]["ladder"].append({"role": "minister", "after": "1 days"}), "minister"),
        (lambda d: d["escalation"]["ladder"].append({"role": "hotline", "after": "1 hours"}), "in order"),
        (
            lambda d: d["escalation"]["ladder"].append({"role": "hotline", "after": "30 working_days"}),
            "24 hours",
        ),
    ],
)
def test_invalid_agreements_are_rejected_with_the_setting_named(edit, message):
    data = _example()
    edit(data)
    with pytest.raises(Exception, match=message):
        parse_agreement(data)
