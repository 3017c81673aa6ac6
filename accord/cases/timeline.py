"""What happened to one request for assistance, as the review report and escalation need it.

The store builds these from the request and response objects it holds; the report and the
escalation runner only read them, so they can be computed and tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Transition:
    state: str  # the state entered, e.g. "acknowledged", "needs-information", "fulfilled"
    at: datetime  # timezone-aware
    by: str  # organization name
    reason: str | None = None


@dataclass(frozen=True)
class Escalation:
    step: str  # a role of the ladder: "case_officer", "supervisor", "hotline", "review_list"
    at: datetime
    deadline: str | None = None  # "acknowledgement" or "response", when recorded


@dataclass
class RequestTimeline:
    """One request: parties, type and urgency, deadlines, and every transition in time order.

    States: draft, submitted, acknowledged, needs-information, in-progress, fulfilled,
    partially-fulfilled, refused, postponed, withdrawn, expired, preserved, awaiting-formal-request,
    disclosed. Outcome states end a request; "preserved" answers a preservation request.
    """

    id: str
    type: str  # accord.cases.agreement.RequestType value
    urgency: str  # accord.cases.agreement.Urgency value
    requester: str
    requested: str
    submitted_at: datetime | None
    acknowledgement_due: datetime | None
    response_due: datetime | None
    transitions: list[Transition] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)

    OUTCOMES = ("fulfilled", "partially-fulfilled", "refused", "postponed", "preserved", "disclosed")
    CLOSED = OUTCOMES + ("withdrawn", "expired")

    def first(self, *states: str) -> Transition | None:
        return next((t for t in self.transitions if t.state in states), None)

    @property
    def acknowledged_at(self) -> datetime | None:
        t = self.first("acknowledged")
        return t.at if t else None

    @property
    def responded_at(self) -> datetime | None:
        """When the requested party first gave an answer (an outcome)."""
        t = self.first(*self.OUTCOMES)
        return t.at if t else None

    @property
    def outcome(self) -> str | None:
        t = self.first(*self.CLOSED)
        return t.state if t else None

    @property
    def state(self) -> str:
        return self.transitions[-1].state if self.transitions else "draft"
