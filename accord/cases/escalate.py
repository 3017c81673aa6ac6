"""Escalation runner: for each open request, send the ladder steps that have fallen due, once each.

Pure logic plus notifier calls; the caller (the node's scheduler) stores the returned escalations in
the request's timeline. Running again at the same or a later time never re-sends a recorded step,
so the runner can be called as often as wanted and after a restart.

Which deadline applies: the acknowledgement deadline while the requested party has not acknowledged,
then the response deadline. A recorded escalation belongs to the acknowledgement phase if it was
recorded before the acknowledgement, to the response phase otherwise, so a step (e.g. the case
officer) is sent once for a missed acknowledgement and once more for a missed response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from accord.cases.clock_escalation import EscalationStep, escalation_steps_due
from accord.cases.notify import Delivery, Notification
from accord.cases.timeline import Escalation, RequestTimeline

# Steps every party to the request sees: the 24/7 hotlines of both sides, and the dialogue's
# (joint) review list. Earlier steps stay inside the requested party.
SHARED_STEPS = frozenset({"hotline", "review_list"})
NOT_ACKNOWLEDGING = frozenset({"draft", "submitted"})


@dataclass(frozen=True)
class EscalationRecord:
    """A step just escalated: ``escalation`` goes into ``RequestTimeline.escalations``."""

    request_id: str
    escalation: Escalation
    deadline_kind: str  # "acknowledgement" or "response"
    deadline: datetime
    visible_to: tuple[str, ...]  # parties notified; both for a shared step
    deliveries: tuple[Delivery, ...]

    @property
    def shared(self) -> bool:
        """Visible to both parties (the hotline and review steps)."""
        return len(self.visible_to) > 1


def acknowledged_at(timeline: RequestTimeline) -> datetime | None:
    """The explicit acknowledgement, or else the first move past "submitted" (working on it is
    acknowledging it)."""
    if timeline.acknowledged_at is not None:
        return timeline.acknowledged_at
    moved = next((t for t in timeline.transitions if t.state not in NOT_ACKNOWLEDGING), None)
    return moved.at if moved else None


def applicable_deadline(timeline: RequestTimeline) -> tuple[str, datetime | None] | None:
    """``(kind, due)`` for an open, submitted request; ``None`` for drafts and closed requests."""
    if timeline.submitted_at is None or timeline.outcome is not None or timeline.state == "draft":
        return None
    if acknowledged_at(timeline) is None:
        return "acknowledgement", timeline.acknowledgement_due
    return "response", timeline.response_due


def _phase(escalation: Escalation, acknowledged: datetime | None) -> str:
    """Which deadline an escalation was for: as recorded, else inferred from when it happened."""
    if escalation.deadline is not None:
        return escalation.deadline
    return "response" if acknowledged is not None and escalation.at >= acknowledged else "acknowledgement"


def steps_to_send(
    timeline: RequestTimeline, ladder: Sequence[EscalationStep], now: datetime
) -> list[EscalationStep]:
    """Due steps of the applicable deadline that are not recorded yet, in ladder order."""
    applicable = applicable_deadline(timeline)
    if applicable is None:
        return []
    kind, due = applicable
    acknowledged = acknowledged_at(timeline)
    done = {e.step for e in timeline.escalations if _phase(e, acknowledged) == kind}
    return [step for step in escalation_steps_due(due, ladder, now) if step.role not in done]


class Sender(Protocol):
    def send(self, event: Notification) -> list[Delivery]: ...


def _send(notifier: Sender, event: Notification) -> tuple[Delivery, ...]:
    """A notifier bug must not lose the records of steps already sent in this run (they would be
    re-sent), so it becomes a failed delivery."""
    try:
        return tuple(notifier.send(event))
    except Exception as exc:  # noqa: BLE001 - reported, see docstring
        return (Delivery("notifier", type(notifier).__name__, False, f"{type(exc).__name__}: {exc}"),)


def run_escalations(
    timelines: Iterable[RequestTimeline],
    ladder_for: Callable[[RequestTimeline], Sequence[EscalationStep]],
    now: datetime,
    notifier: Sender,
) -> list[EscalationRecord]:
    """Send every step due at ``now`` and not yet recorded; return what the store must record."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    records: list[EscalationRecord] = []
    for timeline in timelines:
        applicable = applicable_deadline(timeline)
        if applicable is None or applicable[1] is None:  # closed, draft, or clock paused
            continue
        kind, due = applicable
        for step in steps_to_send(timeline, ladder_for(timeline), now):
            shared = step.role in SHARED_STEPS
            visible_to = tuple(
                dict.fromkeys((timeline.requested, timeline.requester) if shared else (timeline.requested,))
            )
            event = Notification(
                request_id=timeline.id,
                request_type=timeline.type,
                urgency=timeline.urgency,
                requester=timeline.requester,
                requested=timeline.requested,
                deadline_kind=kind,
                deadline=due,
                step=step.role,
                step_due=due + step.after,
                at=now,
                visible_to=visible_to,
            )
            records.append(
                EscalationRecord(
                    timeline.id,
                    Escalation(step.role, now, kind),
                    kind,
                    due,
                    visible_to,
                    _send(notifier, event),
                )
            )
    return records
