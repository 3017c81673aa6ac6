"""Escalation ladder: who must be alerted, and when, once a deadline has passed (pure logic; the
notifications themselves are wired in by the node)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ROLES = ("case_officer", "supervisor", "hotline", "review_list")


@dataclass(frozen=True)
class EscalationStep:
    role: str
    after: timedelta  # after the deadline

    def __post_init__(self) -> None:
        if self.after < timedelta():
            raise ValueError("escalation steps come after the deadline, not before")


DEFAULT_LADDER: tuple[EscalationStep, ...] = (
    EscalationStep("case_officer", timedelta()),
    EscalationStep("supervisor", timedelta(days=1)),
    EscalationStep("hotline", timedelta(days=3)),
    EscalationStep("review_list", timedelta(days=14)),
)


def validate_ladder(ladder: Sequence[EscalationStep]) -> tuple[EscalationStep, ...]:
    """Steps must climb: each one no earlier than the one before."""
    if any(b.after < a.after for a, b in zip(ladder, ladder[1:], strict=False)):
        raise ValueError("escalation steps must be in order of their offsets")
    return tuple(ladder)


def escalation_steps_due(
    deadline: datetime | None, ladder: Sequence[EscalationStep], now: datetime
) -> list[EscalationStep]:
    """Steps whose time (deadline + offset) has come; none while the clock is paused (no deadline)."""
    if deadline is None:
        return []
    return [step for step in ladder if deadline + step.after <= now]


def next_escalation(
    deadline: datetime | None, ladder: Sequence[EscalationStep], now: datetime
) -> tuple[EscalationStep, datetime] | None:
    """The next step still to come and when it falls due, for scheduling a wake-up."""
    if deadline is None:
        return None
    upcoming = [(deadline + step.after, step) for step in ladder if deadline + step.after > now]
    if not upcoming:
        return None
    at, step = min(upcoming, key=lambda item: item[0])
    return step, at
