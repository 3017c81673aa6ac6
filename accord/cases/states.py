"""The life of a request for assistance: which action, by which party, leads from which state where.

draft -> submitted -> acknowledged <-> needs-information -> in-progress ->
    fulfilled | partially-fulfilled | refused (ground + reasons) | postponed
withdrawn (by the requester, while open); expired (preservation not renewed in time)
preservation: acknowledged | in-progress -> preserved (expiry >= 60 days, renewable)
              -> awaiting-formal-request -> disclosed
"""

from __future__ import annotations

from dataclasses import dataclass

REQUESTER, REQUESTED = "requester", "requested"
CLOSED = frozenset(
    {"fulfilled", "partially-fulfilled", "refused", "postponed", "withdrawn", "expired", "disclosed"}
)
OPEN_BEFORE_ANSWER = ("submitted", "acknowledged", "needs-information", "in-progress")


@dataclass(frozen=True)
class Action:
    name: str
    actor: str  # REQUESTER or REQUESTED
    sources: tuple[str, ...]  # states it may be taken from
    target: str | None  # the state it leads to (None: back to the state before needs-information)
    preservation_only: bool = False
    help: str = ""


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("submit", REQUESTER, ("draft",), "submitted", help="send a drafted request"),
        Action("ack", REQUESTED, ("submitted",), "acknowledged", help="acknowledge receipt"),
        Action(
            "need-info",
            REQUESTED,
            ("acknowledged", "in-progress"),
            "needs-information",
            help="ask the requester for information (the response clock pauses)",
        ),
        Action(
            "provide-info",
            REQUESTER,
            ("needs-information",),
            None,
            help="answer a request for information (the clock runs again)",
        ),
        Action("start", REQUESTED, ("acknowledged",), "in-progress", help="start working on it"),
        Action(
            "respond",
            REQUESTED,
            ("acknowledged", "in-progress"),
            "fulfilled",
            help="answer: fulfilled, or partially fulfilled with --partial",
        ),
        Action("refuse", REQUESTED, OPEN_BEFORE_ANSWER, "refused", help="refuse, with a ground and reasons"),
        Action(
            "postpone", REQUESTED, ("acknowledged", "in-progress"), "postponed", help="postpone, with reasons"
        ),
        Action(
            "withdraw",
            REQUESTER,
            ("draft", *OPEN_BEFORE_ANSWER, "preserved", "awaiting-formal-request"),
            "withdrawn",
            help="withdraw the request",
        ),
        Action(
            "preserve",
            REQUESTED,
            ("acknowledged", "in-progress"),
            "preserved",
            preservation_only=True,
            help="data preserved, until an expiry of at least 60 days",
        ),
        Action(
            "renew",
            REQUESTER,
            ("preserved", "awaiting-formal-request"),
            None,
            preservation_only=True,
            help="renew the preservation before it expires",
        ),
        Action(
            "await-formal",
            REQUESTED,
            ("preserved",),
            "awaiting-formal-request",
            preservation_only=True,
            help="preserved data awaits the formal request",
        ),
        Action(
            "disclose",
            REQUESTED,
            ("preserved", "awaiting-formal-request"),
            "disclosed",
            preservation_only=True,
            help="preserved data disclosed after the formal request",
        ),
        Action(
            "expire",
            REQUESTED,
            ("preserved", "awaiting-formal-request"),
            "expired",
            preservation_only=True,
            help="preservation ended without renewal",
        ),
    )
}


class InvalidTransition(ValueError):
    """An action that may not be taken now, or not by this party; the message says why."""


def next_state(
    current: str, action_name: str, actor: str, *, preservation: bool, before_info: str | None = None
) -> str:
    """The state after ``action_name`` by ``actor``; InvalidTransition with the reason otherwise."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise InvalidTransition(f"unknown action {action_name!r} (one of {', '.join(ACTIONS)})")
    if action.preservation_only and not preservation:
        raise InvalidTransition(f"'{action_name}' applies to preservation requests only")
    if action.actor != actor:
        who = "the requesting" if action.actor == REQUESTER else "the requested"
        raise InvalidTransition(f"only {who} party may '{action_name}'")
    if current not in action.sources:
        allowed = ", ".join(action.sources)
        raise InvalidTransition(f"cannot '{action_name}' a request that is {current} (only when {allowed})")
    if action.target is not None:
        return action.target
    if action_name == "renew":
        return current
    return before_info or "acknowledged"
