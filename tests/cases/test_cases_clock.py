"""Hand-worked deadlines (each comment shows the arithmetic) and the edges of the clock API."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from accord.cases.calendar import WorkingCalendar
from accord.cases.clock import DurationSpec, Unit, due_instant, running_intervals
from accord.cases.clock_escalation import (
    DEFAULT_LADDER,
    EscalationStep,
    escalation_steps_due,
    next_escalation,
    validate_ladder,
)

PARIS = WorkingCalendar("Europe/Paris", holidays=frozenset({date(2026, 4, 6)}))  # Easter Monday
FRI_1630_PARIS = datetime(2026, 3, 27, 15, 30, tzinfo=UTC)  # CET; summer time starts Sunday 29th


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "due"),
    [
        ("90 minutes", utc(2026, 3, 27, 17, 0)),
        ("48 hours", utc(2026, 3, 29, 15, 30)),  # real time: the lost hour does not matter
        ("1 working_hours", utc(2026, 3, 30, 7, 30)),  # 30 min Friday + 30 min Monday 09:00 CEST
        ("1 days", utc(2026, 3, 28, 23, 0)),  # Friday excluded; Saturday ends at 00:00 CET
        ("2 days", utc(2026, 3, 29, 22, 0)),  # Sunday (23 h long) ends at 24:00 CEST
        ("2 working_days", utc(2026, 3, 31, 22, 0)),  # Monday, Tuesday
        ("7 working_days", utc(2026, 4, 8, 22, 0)),  # Mon-Fri, (Easter Monday off), Tue, Wed
    ],
)
def test_worked_examples_across_the_spring_change(spec, due):
    assert due_instant(FRI_1630_PARIS, DurationSpec.parse(spec), PARIS) == due


def test_autumn_repeated_hour_counts_as_real_time():
    night_shift = WorkingCalendar("Europe/Paris", frozenset(range(7)), ((0, 4 * 60),))
    start = utc(2026, 10, 24, 22, 0)  # Sunday 25th 00:00 CEST; 03:00 CEST becomes 02:00 CET
    # Local 00:00-04:00 on the 25th lasts 5 real hours: 22:00 UTC to 03:00 UTC.
    assert due_instant(start, DurationSpec(5, Unit.WORKING_HOURS), night_shift) == utc(2026, 10, 25, 3, 0)
    assert due_instant(start, DurationSpec(4, Unit.WORKING_HOURS), night_shift) == utc(2026, 10, 25, 2, 0)


def test_a_pause_of_half_a_25_hour_day_moves_a_day_deadline_by_half_that_day():
    cal = WorkingCalendar("Europe/Paris")
    start = utc(2026, 10, 23, 10, 0)  # Friday; Saturday and Sunday 25th (25 h) count
    assert due_instant(start, DurationSpec(2, Unit.DAYS), cal) == utc(2026, 10, 25, 23, 0)
    pause = [(utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 10, 30))]  # 12.5 h of the 25-hour Sunday
    assert due_instant(start, DurationSpec(2, Unit.DAYS), cal, pause) == utc(2026, 10, 26, 11, 0)  # 0.5 day


def test_pauses_before_start_overlapping_and_open():
    cal = WorkingCalendar()
    start = utc(2026, 1, 5, 0, 0)
    spec = DurationSpec(10, Unit.HOURS)
    pauses = [
        (start - timedelta(days=1), start + timedelta(hours=1)),
        (utc(2026, 1, 5, 3), utc(2026, 1, 5, 5)),
        (utc(2026, 1, 5, 4), utc(2026, 1, 5, 6)),
    ]
    assert due_instant(start, spec, cal, pauses) == utc(2026, 1, 5, 14, 0)  # 1 h + 3 h paused
    assert due_instant(start, spec, cal, [*pauses, (utc(2026, 1, 5, 8), None)]) is None
    assert due_instant(start, spec, cal, [(utc(2026, 1, 5, 12), None)]) == utc(2026, 1, 5, 10)
    assert list(running_intervals(start, [(start, None)])) == []
    with pytest.raises(ValueError, match="end before"):
        due_instant(start, spec, cal, [(utc(2026, 1, 5, 3), utc(2026, 1, 5, 2))])


def test_sub_microsecond_deadlines_round_up():
    cal = WorkingCalendar("Europe/Paris")
    start = utc(2026, 3, 27, 12, 0)
    pause = [(utc(2026, 3, 28, 10, 0), utc(2026, 3, 28, 10, 1))]  # one minute of 24-hour Saturday...
    due = due_instant(start, DurationSpec(1, Unit.DAYS), cal, pause)
    # ...is 1/1440 day, which on the 23-hour Sunday takes 23*60/1440 min = 57.5 s of real time.
    assert due == utc(2026, 3, 28, 23, 0) + timedelta(seconds=57.5)
    third = [(utc(2026, 3, 28, 10, 0), utc(2026, 3, 28, 10, 0, 0, 1))]  # 1 µs of Saturday
    # 1 µs * 23/24 on Sunday is 0.958.. µs: rounded up to 1 µs.
    assert due_instant(start, DurationSpec(1, Unit.DAYS), cal, third) == utc(2026, 3, 28, 23, 0, 0, 1)


def test_input_validation():
    with pytest.raises(ValueError):
        due_instant(datetime(2026, 1, 1), DurationSpec(1, Unit.HOURS), PARIS)
    with pytest.raises(ValueError):
        DurationSpec(0, Unit.HOURS)
    with pytest.raises(ValueError):
        WorkingCalendar("Europe/Atlantis")
    never = WorkingCalendar("UTC", frozenset({0}), holidays=frozenset())
    never_working = WorkingCalendar("UTC", frozenset(), ((0, 60),))
    assert due_instant(utc(2026, 1, 1), DurationSpec(1, Unit.WORKING_DAYS), never) == utc(2026, 1, 6)
    with pytest.raises(ValueError, match="calendar"):
        due_instant(utc(2026, 1, 1), DurationSpec(1, Unit.WORKING_HOURS), never_working)
    assert DurationSpec.parse(" 1 working_day ") == DurationSpec(1, Unit.WORKING_DAYS)
    assert str(DurationSpec.parse("3 hour")) == "3 hours"
    aware = datetime(2026, 3, 27, 17, 30, tzinfo=timezone(timedelta(hours=2)))
    assert due_instant(aware, DurationSpec(1, Unit.HOURS), PARIS) == utc(2026, 3, 27, 16, 30)


def test_escalation_steps_due_and_next():
    deadline = utc(2026, 6, 1, 12)
    ladder = DEFAULT_LADDER
    assert escalation_steps_due(deadline, ladder, deadline - timedelta(seconds=1)) == []
    assert [s.role for s in escalation_steps_due(deadline, ladder, deadline)] == ["case_officer"]
    later = deadline + timedelta(days=3)
    assert [s.role for s in escalation_steps_due(deadline, ladder, later)] == ["case_officer", "supervisor",
                                                                               "hotline"]  # fmt: skip
    assert next_escalation(deadline, ladder, later) == (ladder[3], deadline + timedelta(days=14))
    assert next_escalation(deadline, ladder, deadline + timedelta(days=15)) is None
    assert escalation_steps_due(None, ladder, later) == [] and next_escalation(None, ladder, later) is None
    with pytest.raises(ValueError):
        validate_ladder(
            [EscalationStep("supervisor", timedelta(days=2)), EscalationStep("hotline", timedelta())]
        )
    with pytest.raises(ValueError):
        EscalationStep("hotline", timedelta(hours=-1))
