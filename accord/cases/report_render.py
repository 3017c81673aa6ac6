"""The RFA review report as JSON, CSV or a self-contained HTML page (table and inline SVG charts).

JSON and CSV are for machines: stable keys and columns, durations in seconds, every outcome and ladder
step present even at zero. HTML is for people: formatted durations, all-zero columns hidden, and every
string that came from outside (party names, types) escaped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from accord.cases.report_charts import Series, grouped_bars, stacked_bars
from accord.cases.report_figures import OUTCOME_KEYS, PERCENTILE, Clock, Figures, Report
from accord.cases.report_strings import OUTCOME_LABELS, STEP_LABELS, TEXT, TYPE_LABELS, label

OUTCOME_COLOURS: dict[str, tuple[str, str]] = {  # fill, text on it (Okabe-Ito, readable when colour-blind)
    "fulfilled": ("#009E73", "#fff"),
    "partially-fulfilled": ("#56B4E9", "#000"),
    "refused": ("#D55E00", "#fff"),
    "postponed": ("#E69F00", "#000"),
    "preserved": ("#0072B2", "#fff"),
    "disclosed": ("#CC79A7", "#000"),
    "withdrawn": ("#999999", "#000"),
    "expired": ("#444444", "#fff"),
    "open": ("#DDDDDD", "#000"),
}
FIRST, SECOND = ("#0072B2", "#fff"), ("#E69F00", "#000")


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _clock_json(clock: Clock) -> dict[str, Any]:
    return {
        "count": clock.done,
        "median_seconds": _seconds(clock.median),
        "p90_seconds": _seconds(clock.p90),
        "on_time": clock.on_time,
        "late": clock.late,
        "on_time_share": clock.on_time_share,
    }


def to_json(report: Report) -> str:
    """Rows in report order; ``party``/``type`` null marks the all-parties / all-types rows."""
    return json.dumps(
        {
            "since": report.since.isoformat() if report.since else None,
            "now": report.now.isoformat(),
            "percentile": {"method": "nearest-rank", "p": PERCENTILE},
            "outcome_states": list(OUTCOME_KEYS),
            "escalation_steps": list(report.steps),
            "rows": [
                {
                    "party": row.party,
                    "type": row.type,
                    "requests": row.requests,
                    "acknowledgement": _clock_json(row.acknowledgement),
                    "response": _clock_json(row.response),
                    "outcomes": row.outcomes,
                    "escalations": row.escalations,
                    "escalated": row.escalated,
                }
                for row in report.rows
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def _cell(text: str | None) -> str:
    """Outside text must not run as a spreadsheet formula (CSV injection): quote a leading =, +, -, @."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _clock_cells(clock: Clock) -> list[Any]:
    share = clock.on_time_share
    return [
        clock.done,
        *("" if v is None else v for v in (_seconds(clock.median), _seconds(clock.p90))),
        clock.on_time,
        clock.late,
        "" if share is None else share,
    ]


def to_csv(report: Report) -> str:
    """One row per group; an empty party or type means all of them. Seconds and shares are unrounded."""
    clock = ["count", "median_s", "p90_s", "on_time", "late", "on_time_share"]
    header = ["party", "type", "requests"]
    header += [f"ack_{c}" for c in clock] + [f"response_{c}" for c in clock]
    header += [f"outcome_{k}" for k in OUTCOME_KEYS] + [f"escalation_{s}" for s in report.steps]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header + ["escalated"])
    for row in report.rows:
        writer.writerow(
            [_cell(row.party), _cell(row.type), row.requests]
            + _clock_cells(row.acknowledgement)
            + _clock_cells(row.response)
            + [row.outcomes[k] for k in OUTCOME_KEYS]
            + [row.escalations[s] for s in report.steps]
            + [row.escalated]
        )
    return out.getvalue()


def format_duration(value: timedelta | None) -> str:
    """Rounded to the minute, two units at most: '45 min', '5 h 30 min', '3 d 4 h'."""
    if value is None:
        return TEXT["none"]
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, rest = divmod(minutes, 24 * 60)
    return f"{days} d {rest // 60} h" if rest // 60 else f"{days} d"


def format_share(clock: Clock) -> str:
    share = clock.on_time_share
    if share is None:
        return TEXT["none"]
    return TEXT["share"].format(share=f"{share:.0%}", on_time=clock.on_time, judged=clock.judged)


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _names(row: Figures) -> tuple[str, str]:
    party = TEXT["all_parties"] if row.party is None else row.party
    return party, TEXT["all_types"] if row.type is None else label(TYPE_LABELS, row.type)


Column = tuple[str | None, str, Callable[[Figures], str]]  # heading above, heading, cell text


def _head(columns: list[Column]) -> str:
    """Two header rows: a spanning group heading over its columns, single columns span both rows."""
    top = [f"<th scope='col' rowspan='2'>{escape(TEXT[key])}</th>" for key in ("party", "type")]
    below = []
    for i, (group, name, _) in enumerate(columns):
        if group is None:
            top.append(f"<th scope='col' rowspan='2'>{escape(name)}</th>")
            continue
        below.append(f"<th scope='col'>{escape(name)}</th>")
        if i == 0 or columns[i - 1][0] != group:
            span = next((j for j in range(i, len(columns)) if columns[j][0] != group), len(columns)) - i
            top.append(f"<th scope='colgroup' colspan='{span}'>{escape(group)}</th>")
    return f"<thead><tr>{''.join(top)}</tr><tr>{''.join(below)}</tr></thead>"


def _table(report: Report, columns: list[Column]) -> str:
    body = []
    for row in report.rows:
        kind = "total" if row.party is None else "party" if row.type is None else "type"
        party, type = _names(row)
        cells = "".join(f"<td>{escape(value(row))}</td>" for _, _, value in columns)
        body.append(
            f"<tr class='{kind}'><th scope='row'>{escape(party)}</th><td>{escape(type)}</td>{cells}</tr>"
        )
    return f"<div class='wide'><table>{_head(columns)}<tbody>{''.join(body)}</tbody></table></div>"


def _time_columns() -> list[Column]:
    ack, response = TEXT["acknowledgement"], TEXT["response"]
    return [
        (None, TEXT["requests"], lambda r: str(r.requests)),
        (ack, TEXT["acknowledged"], lambda r: str(r.acknowledgement.done)),
        (ack, TEXT["median"], lambda r: format_duration(r.acknowledgement.median)),
        (ack, TEXT["p90"], lambda r: format_duration(r.acknowledgement.p90)),
        (ack, TEXT["on_time"], lambda r: format_share(r.acknowledgement)),
        (response, TEXT["responded"], lambda r: str(r.response.done)),
        (response, TEXT["median"], lambda r: format_duration(r.response.median)),
        (response, TEXT["p90"], lambda r: format_duration(r.response.p90)),
        (response, TEXT["on_time"], lambda r: format_share(r.response)),
    ]


def _outcome_columns(report: Report) -> list[Column]:
    """Only outcomes and steps that occur, so the page stays readable; CSV and JSON keep them all."""
    total, outcome, escalations = report.total, TEXT["outcomes"], TEXT["escalations"]
    columns: list[Column] = [(None, TEXT["requests"], lambda r: str(r.requests))]
    for key in OUTCOME_KEYS:
        if total.outcomes[key] or key == "open":
            columns.append((outcome, label(OUTCOME_LABELS, key), lambda r, k=key: str(r.outcomes[k])))
    for step in report.steps:
        if total.escalations[step]:
            columns.append((escalations, label(STEP_LABELS, step), lambda r, s=step: str(r.escalations[s])))
    columns.append((escalations, TEXT["escalated"], lambda r: str(r.escalated)))
    return columns


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 3600


def charts(report: Report) -> list[str]:
    """Response times per party, on-time shares per party and type, outcomes stacked per party."""
    parties = [row for row in report.rows if row.party is not None and row.type is None]
    times = grouped_bars(
        TEXT["chart_response_times"],
        [(_names(r)[0], [_hours(r.response.median), _hours(r.response.p90)]) for r in parties],
        [(TEXT["median"], *FIRST), (TEXT["p90"], *SECOND)],
        lambda hours: format_duration(timedelta(hours=hours)),
        TEXT["none"],
    )
    shares = grouped_bars(
        TEXT["chart_on_time"],
        [
            (" / ".join(_names(r)), [r.acknowledgement.on_time_share, r.response.on_time_share])
            for r in report.rows
            if r.party is not None
        ],
        [(TEXT["legend_ack"], *FIRST), (TEXT["legend_response"], *SECOND)],
        lambda share: f"{share:.0%}",
        TEXT["none"],
        scale=1.0,
    )
    series: list[Series] = [(label(OUTCOME_LABELS, k), *OUTCOME_COLOURS[k]) for k in OUTCOME_KEYS]
    outcomes = stacked_bars(
        TEXT["chart_outcomes"],
        [(_names(r)[0], [r.outcomes[k] for k in OUTCOME_KEYS]) for r in parties],
        series,
    )
    return [times, shares, outcomes]


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #111; max-width: 80rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: right; }
th[scope='row'], td:nth-child(2), thead th { text-align: left; }
td { white-space: nowrap; }
td:nth-child(2) { white-space: normal; }
thead th { background: #f0f0f0; }
tr.party, tr.total { font-weight: bold; background: #fafafa; }
tr.type th { font-weight: normal; color: #555; }
tr.total { border-top: 2px solid #333; }
figure { margin: 1rem 0 2rem; }
.wide { overflow-x: auto; margin-bottom: 2rem; }
thead th[scope='colgroup'] { text-align: center; }
"""


def to_html(report: Report) -> str:
    """A single page with no external assets: it can be mailed or archived as it is."""
    now = _when(report.now)
    period = (
        TEXT["period_since"].format(since=_when(report.since), now=now)
        if report.since
        else TEXT["period_all"].format(now=now)
    )
    if report.total.requests:
        figures = "".join(f"<figure>{svg}</figure>" for svg in charts(report))
    else:
        figures = f"<p>{escape(TEXT['no_data'])}</p>"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(TEXT['title'])}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(TEXT['title'])}</h1><p>{escape(period)}</p>"
        f"<p>{escape(TEXT['generated'].format(now=now))} {escape(TEXT['notes'])}</p>"
        f"<h2>{escape(TEXT['times_heading'])}</h2>{_table(report, _time_columns())}"
        f"<h2>{escape(TEXT['outcomes_heading'])}</h2>{_table(report, _outcome_columns(report))}"
        f"<h2>{escape(TEXT['charts_heading'])}</h2>{figures}</body></html>\n"
    )
