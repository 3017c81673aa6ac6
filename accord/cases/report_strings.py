"""Every human-readable string of the RFA report, in one place so a later i18n pass can translate them.

Machine formats (CSV headers, JSON keys) are not here: they are an interface and stay in English.
"""

from __future__ import annotations

TEXT: dict[str, str] = {
    "title": "Requests for assistance: review",
    "period_since": "Requests submitted from {since} to {now}",
    "period_all": "All requests submitted up to {now}",
    "generated": "Figures as at {now}. Times run from submission; p90 is the nearest-rank 90th percentile.",
    "times_heading": "Acknowledgement and response times",
    "outcomes_heading": "Outcomes and escalations",
    "charts_heading": "Charts",
    "party": "Requested party",
    "type": "Request type",
    "all_parties": "All parties",
    "all_types": "All types",
    "requests": "Requests",
    "acknowledgement": "Acknowledgement",
    "response": "Response",
    "acknowledged": "Acknowledged",
    "responded": "Answered",
    "median": "median",
    "p90": "p90",
    "on_time": "on time",
    "outcomes": "Outcome",
    "escalations": "Escalations (events per ladder step)",
    "escalated": "Requests escalated",
    "none": "n/a",
    "share": "{share} ({on_time}/{judged})",
    "chart_response_times": "Response time per requested party",
    "chart_on_time": "Share on time per requested party and request type",
    "chart_outcomes": "Outcomes per requested party (number of requests)",
    "legend_ack": "acknowledged on time",
    "legend_response": "answered on time",
    "no_data": "No requests in this period.",
    "notes": (
        "Open requests past their deadline count as late; open requests not yet due are left out of "
        "the on-time share. See docs/report.md."
    ),
}

OUTCOME_LABELS: dict[str, str] = {
    "fulfilled": "Fulfilled",
    "partially-fulfilled": "Partially fulfilled",
    "refused": "Refused",
    "postponed": "Postponed",
    "preserved": "Preserved",
    "disclosed": "Disclosed",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
    "open": "Open",
}

TYPE_LABELS: dict[str, str] = {
    "preservation": "Preservation",
    "traffic_data": "Traffic data",
    "stored_data": "Stored data",
    "subscriber_information": "Subscriber information",
    "domain_registration": "Domain registration",
    "emergency_disclosure": "Emergency disclosure",
    "takedown": "Takedown",
    "information": "Information",
    "technical_assistance": "Technical assistance",
    "locate_suspect": "Locate suspect",
}

STEP_LABELS: dict[str, str] = {
    "case_officer": "Case officer",
    "supervisor": "Supervisor",
    "hotline": "Hotline",
    "review_list": "Review list",
}


def label(table: dict[str, str], key: str) -> str:
    """A known key's label, or the key itself (types and steps may grow before the labels do)."""
    return table.get(key, key.replace("_", " ").capitalize())
