"""The RFA review report on a fixed data set whose figures are worked out by hand in the comments.

Data set (hours are counted from each request's submission; "ack" is acknowledgement):

ng-efcc answers (requested by fr-oclctic)                            ack due 24 h for all requests
  N1 preservation  Oct 05 08:00  ack 2   preserved 10   response due 12   on time / on time
  N2 preservation  Oct 06 08:00  ack 4   preserved 20   due 12            on time / late;
                                                                          escalated case_officer
  N3 preservation  Oct 07 08:00  ack 30  preserved 36   due 48            late / on time
  N4 subscriber    Oct 08 08:00  ack 1   fulfilled 100  due 240           on time / on time
  N5 subscriber    Oct 09 08:00  ack 24  refused 50     due 240           on time (at the deadline) / on time
  N6 subscriber    Oct 12 08:00  ack 3   open           due 240 (Oct 22)  on time / late (overdue at now);
                                                                          escalated case_officer, supervisor
  N7 takedown      Oct 30 08:00  ack 8   open           due 120 (Nov 04)  on time / not yet due: left out
  N8 takedown      Sep 20 08:00  ack 1   fulfilled 5    due 48            before SINCE: left out
fr-oclctic answers (requested by ng-efcc)
  F1 preservation  Oct 05 10:00  ack 1   preserved 6    due 12            on time / on time
  F2 takedown      Oct 13 08:00  ack 0.5 fulfilled 48   due 48            on time / on time (at the deadline)
  F3 takedown      Oct 14 08:00  no ack  withdrawn 10   due 72            withdrawn before both deadlines:
                                                                          left out / left out
  F4 takedown      Oct 15 08:00  no ack  expired 100    due 72            late / late (deadlines passed
                                                                          while open);
                                                                          escalated case_officer, supervisor
  F5 subscriber    Oct 20 08:00  ack 2   needs-information 5, no deadline on time / paused: left out
  F6 subscriber    Oct 26 08:00  ack 26  partially-fulfilled 130, due 240 late / on time
  F7 preservation  Oct 31 08:00  ack 30 (after NOW: not yet), due 12     late / late (both overdue at now);
                                  escalated case_officer 12; supervisor 36 is after NOW
  D1 a draft (never submitted): never counts.
NOW is Nov 01 12:00 UTC, SINCE is Oct 05 08:00 UTC (N1 was submitted exactly then and counts).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from accord.cases.report import FORMATS, OUTCOME_KEYS, build_report, to_csv, to_html, to_json
from accord.cases.report_figures import median, nearest_rank
from accord.cases.report_render import format_duration
from accord.cases.timeline import Escalation, RequestTimeline, Transition

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
FR, NG = "fr-oclctic", "ng-efcc"


def rfa(
    id: str,
    type: str,
    requested: str,
    submitted: datetime,
    events: list[tuple[str, float]],
    response_due: float | None,
    escalations: tuple[tuple[str, float], ...] = (),
) -> RequestTimeline:
    """A request submitted at ``submitted``; event and deadline times in hours after it."""
    requester = FR if requested == NG else NG
    at = [("submitted", 0.0), *events]
    return RequestTimeline(
        id=id,
        type=type,
        urgency="normal",
        requester=requester,
        requested=requested,
        submitted_at=submitted,
        acknowledgement_due=submitted + 24 * H,
        response_due=None if response_due is None else submitted + response_due * H,
        transitions=[Transition(state, submitted + hours * H, requested) for state, hours in at],
        escalations=[Escalation(step, submitted + hours * H) for step, hours in escalations],
    )


def oct(day: int, hour: int = 8) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


P, S, T = "preservation", "subscriber_information", "takedown"
TIMELINES = [
    rfa("N1", P, NG, oct(5), [("acknowledged", 2), ("preserved", 10)], 12),
    rfa("N2", P, NG, oct(6), [("acknowledged", 4), ("preserved", 20)], 12, (("case_officer", 12),)),
    rfa("N3", P, NG, oct(7), [("acknowledged", 30), ("preserved", 36)], 48),
    rfa("N4", S, NG, oct(8), [("acknowledged", 1), ("in-progress", 2), ("fulfilled", 100)], 240),
    rfa("N5", S, NG, oct(9), [("acknowledged", 24), ("refused", 50)], 240),
    rfa("N6", S, NG, oct(12), [("acknowledged", 3)], 240, (("case_officer", 240), ("supervisor", 264))),
    rfa("N7", T, NG, oct(30), [("acknowledged", 8)], 120),
    rfa("N8", T, NG, datetime(2026, 9, 20, 8, tzinfo=UTC), [("acknowledged", 1), ("fulfilled", 5)], 48),
    rfa("F1", P, FR, oct(5, 10), [("acknowledged", 1), ("preserved", 6)], 12),
    rfa("F2", T, FR, oct(13), [("acknowledged", 0.5), ("fulfilled", 48)], 48),
    rfa("F3", T, FR, oct(14), [("withdrawn", 10)], 72),
    rfa("F4", T, FR, oct(15), [("expired", 100)], 72, (("case_officer", 72), ("supervisor", 96))),
    rfa("F5", S, FR, oct(20), [("acknowledged", 2), ("needs-information", 5)], None),
    rfa("F6", S, FR, oct(26), [("acknowledged", 26), ("partially-fulfilled", 130)], 240),
    rfa("F7", P, FR, oct(31), [("acknowledged", 30)], 12, (("case_officer", 12), ("supervisor", 36))),
    RequestTimeline("D1", T, "normal", NG, FR, None, None, None),
]


@pytest.fixture(scope="module")
def report():
    return build_report(TIMELINES, since=SINCE, now=NOW)


def hours(value: float) -> timedelta:
    return value * H


def test_percentile_is_nearest_rank_and_median_averages_the_middle_pair():
    ten = [hours(h) for h in range(10, 0, -1)]  # 1..10 h, unsorted
    assert nearest_rank(ten, 90) == hours(9)  # rank ceil(0.9 * 10) = 9
    assert nearest_rank(ten[:7], 90) == hours(10)  # 10..4 h: rank ceil(6.3) = 7, the largest
    assert nearest_rank(ten, 0) == hours(1) and nearest_rank(ten, 100) == hours(10)
    assert nearest_rank([], 90) is None and median([]) is None
    assert median([hours(1), hours(4)]) == hours(2.5)
    assert median([hours(5), hours(1), hours(3)]) == hours(3)


def test_rows_are_grouped_by_requested_party_then_type_with_a_grand_total(report):
    keys = [(row.party, row.type) for row in report.rows]
    assert keys == [
        (FR, None), (FR, P), (FR, S), (FR, T),
        (NG, None), (NG, P), (NG, S), (NG, T),
        (None, None),
    ]  # fmt: skip
    assert report.parties == [FR, NG]
    # SINCE drops N8, the draft D1 never counts: 7 + 7 requests.
    assert [report.row(NG).requests, report.row(FR).requests, report.total.requests] == [7, 7, 14]
    assert report.row(NG, T).requests == 1  # N7 only


def test_acknowledgement_times_and_on_time_share(report):
    ng = report.row(NG).acknowledgement
    # ack hours 2, 4, 30, 1, 24, 3, 8 -> sorted 1 2 3 4 8 24 30: median the 4th = 4 h;
    # p90 rank ceil(0.9 * 7 = 6.3) = 7 -> 30 h
    assert (ng.done, ng.median, ng.p90) == (7, hours(4), hours(30))
    assert (ng.on_time, ng.late) == (6, 1)  # only N3 (30 h > 24 h) is late; N5 exactly at 24 h is on time
    # NG subscriber: 1, 24, 3 -> median 3 h, p90 rank ceil(2.7) = 3 -> 24 h
    subscriber = report.row(NG, S).acknowledgement
    assert (subscriber.median, subscriber.p90) == (hours(3), hours(24))
    fr = report.row(FR).acknowledgement
    # F1 1, F2 0.5, F5 2, F6 26 (F7's acknowledgement comes after NOW) -> median (1 + 2) / 2; p90 rank 4 -> 26
    assert (fr.done, fr.median, fr.p90) == (4, hours(1.5), hours(26))
    # on time F1 F2 F5; late F6 (26 h), F4 (deadline passed before it expired), F7 (overdue at NOW);
    # F3 (withdrawn before its deadline) left out
    assert (fr.on_time, fr.late, fr.on_time_share) == (3, 3, 0.5)
    total = report.total.acknowledgement
    # 11 times: 0.5 1 1 2 2 3 4 8 24 26 30 -> median the 6th = 3 h; p90 rank ceil(9.9) = 10 -> 26 h
    assert (total.done, total.median, total.p90) == (11, hours(3), hours(26))
    assert (total.on_time, total.late) == (9, 4)


def test_response_times_and_the_rules_for_open_requests(report):
    ng = report.row(NG).response
    # N1 10, N2 20, N3 36, N4 100, N5 50 (a refusal is an answer): median 36; p90 rank ceil(4.5) = 5 -> 100
    assert (ng.done, ng.median, ng.p90) == (5, hours(36), hours(100))
    # on time N1 N3 N4 N5; late N2 and N6 (open, overdue at NOW); N7 open but not yet due: left out
    assert (ng.on_time, ng.late) == (4, 2)
    assert ng.on_time_share == pytest.approx(4 / 6)
    fr = report.row(FR).response
    # F1 6, F2 48, F6 130 -> median 48, p90 rank ceil(2.7) = 3 -> 130
    assert (fr.done, fr.median, fr.p90) == (3, hours(48), hours(130))
    # on time F1, F2 (exactly at its deadline), F6; late F4 (expired after its deadline) and F7;
    # F3 (withdrawn early) and F5 (clock paused) left out
    assert (fr.on_time, fr.late, fr.on_time_share) == (3, 2, 0.6)
    sub = report.row(NG, S).response
    # N4 100, N5 50 -> median (50 + 100) / 2 = 75; p90 rank ceil(1.8) = 2 -> 100; N6 late
    assert (sub.median, sub.p90, sub.on_time, sub.late) == (hours(75), hours(100), 2, 1)
    takedown = report.row(NG, T).response
    assert (takedown.done, takedown.median, takedown.judged, takedown.on_time_share) == (0, None, 0, None)
    total = report.total.response
    # 6 10 20 36 48 50 100 130 -> median (36 + 48) / 2 = 42; p90 rank ceil(7.2) = 8 -> 130
    assert (total.median, total.p90, total.on_time, total.late) == (hours(42), hours(130), 7, 4)


def test_outcomes_and_escalations(report):
    assert report.row(NG).outcomes == dict.fromkeys(OUTCOME_KEYS, 0) | {
        "preserved": 3, "fulfilled": 1, "refused": 1, "open": 2,
    }  # fmt: skip
    assert report.row(FR).outcomes == dict.fromkeys(OUTCOME_KEYS, 0) | {
        "preserved": 1, "fulfilled": 1, "withdrawn": 1, "expired": 1, "partially-fulfilled": 1, "open": 2,
    }  # fmt: skip
    assert sum(report.total.outcomes.values()) == 14
    assert report.steps == ("case_officer", "supervisor", "hotline", "review_list")
    # NG: N2 case_officer, N6 case_officer + supervisor. FR: F4 both, F7 case_officer (supervisor after NOW)
    assert report.row(NG).escalations == {"case_officer": 2, "supervisor": 1, "hotline": 0, "review_list": 0}
    assert report.row(FR, P).escalations["supervisor"] == 0
    assert report.total.escalations["case_officer"] == 4 and report.total.escalations["supervisor"] == 2
    assert [report.row(NG).escalated, report.row(FR, T).escalated, report.total.escalated] == [2, 1, 4]


def test_since_filter_boundary_and_unknown_steps():
    everything = build_report(TIMELINES, now=NOW)
    assert everything.total.requests == 15  # N8 back in, the draft still out
    # N7 8 h, N8 1 h -> median 4.5 h
    assert everything.row(NG, T).acknowledgement.median == hours(4.5)
    paris = timezone(timedelta(hours=2))
    later = build_report(TIMELINES, since=datetime(2026, 10, 5, 10, 0, 1, tzinfo=paris), now=NOW)
    assert later.total.requests == 13  # 08:00:01 UTC: N1 (08:00) goes, F1 (10:00) stays
    odd = rfa("X", T, NG, oct(20), [], 1, (("review", 2),))
    assert build_report([odd], now=NOW).steps[-1] == "review"  # steps off the ladder still show
    with pytest.raises(ValueError, match="timezone-aware"):
        build_report(TIMELINES, since=datetime(2026, 10, 1), now=NOW)


def test_json_structure_in_seconds(report):
    data = json.loads(to_json(report))
    assert data["since"] == "2026-10-05T08:00:00+00:00"
    assert data["percentile"] == {"method": "nearest-rank", "p": 90}
    assert len(data["rows"]) == 9 and data["rows"][-1]["party"] is None
    fr = data["rows"][0]
    assert (fr["party"], fr["type"]) == (FR, None)
    assert fr["acknowledgement"]["median_seconds"] == 1.5 * 3600  # 1 h 30 min
    assert fr["response"] == {
        "count": 3, "median_seconds": 48 * 3600, "p90_seconds": 130 * 3600,
        "on_time": 3, "late": 2, "on_time_share": 0.6,
    }  # fmt: skip
    assert fr["outcomes"]["withdrawn"] == 1 and list(fr["escalations"]) == list(report.steps)
    assert data["rows"][7]["response"]["median_seconds"] is None  # NG takedown: nothing answered yet


def test_csv_has_one_row_per_group(report):
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert len(rows) == 9
    ng = rows[4]
    assert (ng["party"], ng["type"], ng["requests"]) == (NG, "", "7")
    assert float(ng["ack_median_s"]) == 4 * 3600 and float(ng["response_p90_s"]) == 100 * 3600
    assert (ng["response_on_time"], ng["response_late"]) == ("4", "2")
    assert ng["outcome_preserved"] == "3" and ng["escalation_supervisor"] == "1" and ng["escalated"] == "2"
    assert rows[7]["response_median_s"] == "" and rows[7]["response_on_time_share"] == ""
    assert (rows[-1]["party"], rows[-1]["requests"]) == ("", "14")


def test_csv_cells_cannot_become_formulas():
    report = build_report([rfa("X", T, "=HYPERLINK(1)", oct(20), [], 72)], now=NOW)
    assert to_csv(report).splitlines()[1].startswith("'=HYPERLINK(1),")


def test_durations_read_naturally():
    assert [format_duration(hours(h)) for h in (0.5, 1.5, 26, 48, 100, 130)] == [
        "30 min", "1 h 30 min", "26 h", "2 d", "4 d 4 h", "5 d 10 h",
    ]  # fmt: skip
    assert format_duration(None) == "n/a"


def test_html_page_has_the_table_values_and_charts(report):
    page = to_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "Requests submitted from 2026-10-05 08:00 UTC to 2026-11-01 12:00 UTC" in page
    cells = page.split("<tr class='party'>")
    fr, ng = cells[1], cells[2]
    # FR ack median 1 h 30 min, p90 26 h, 3 of 6 on time; responses 3 of 5 on time
    assert "<td>1 h 30 min</td><td>26 h</td><td>50% (3/6)</td>" in fr and "<td>60% (3/5)</td>" in fr
    # NG response median 36 h, p90 100 h = 4 d 4 h, 4 of 6 on time
    assert "<td>36 h</td><td>4 d 4 h</td><td>67% (4/6)</td>" in ng
    assert page.count("<svg") == 3 and "Outcomes per requested party" in page
    assert "src=" not in page and "href=" not in page  # nothing to fetch: self-contained
    assert ">Supervisor<" in page and ">Hotline<" not in page  # all-zero columns hidden on the page


def test_party_names_are_escaped_everywhere():
    evil = "<script>alert(1)</script>"
    report = build_report([rfa("X", "<b>type</b>", evil, oct(20), [("acknowledged", 1)], 72)], now=NOW)
    page = to_html(report)
    assert "<script" not in page and "<b>" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # two tables and at least two charts
    assert json.loads(to_json(report))["rows"][0]["party"] == evil


def test_empty_period_still_renders():
    report = build_report(TIMELINES, since=NOW, now=NOW)
    assert report.rows[-1].requests == 0 and report.total.response.median is None
    assert "No requests in this period." in FORMATS["html"](report)
    assert len(to_csv(report).splitlines()) == 2


def test_documented_example():
    """docs/report.md works one example through by hand; its CSV row must be what the code writes."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "report.md").read_text(encoding="utf-8")
    header, row = (line.removesuffix(",...") for line in re.search(r"```csv\n(.*?)```", doc, re.S)[1].split())
    timelines = [
        rfa("A", P, NG, oct(5), [("acknowledged", 2), ("preserved", 10)], 12),
        rfa("B", P, NG, oct(6), [("acknowledged", 4), ("preserved", 20)], 12),
        rfa("C", T, NG, oct(12), [("acknowledged", 3)], 240),
        rfa("D", T, NG, oct(30), [("acknowledged", 8)], 120),
    ]
    written = to_csv(build_report(timelines, now=NOW)).splitlines()
    assert written[0].startswith(header + ",") and written[1].startswith(row + ",")
