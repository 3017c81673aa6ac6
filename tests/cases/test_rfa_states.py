"""Every transition of the request life cycle, against a table written from the issue's diagram."""

from __future__ import annotations

import pytest

from accord.cases.states import InvalidTransition, next_state

STATES = [
    "draft",
    "submitted",
    "acknowledged",
    "needs-information",
    "in-progress",
    "fulfilled",
    "partially-fulfilled",
    "refused",
    "postponed",
    "withdrawn",
    "expired",
    "preserved",
    "awaiting-formal-request",
    "disclosed",
]
OPEN = ["submitted", "acknowledged", "needs-information", "in-progress"]

# (action, actor) -> {from state: to state}, written independently of accord.cases.states.
EXPECTED = {
    ("submit", "requester"): {"draft": "submitted"},
    ("ack", "requested"): {"submitted": "acknowledged"},
    ("need-info", "requested"): {"acknowledged": "needs-information", "in-progress": "needs-information"},
    ("start", "requested"): {"acknowledged": "in-progress"},
    ("respond", "requested"): {"acknowledged": "fulfilled", "in-progress": "fulfilled"},
    ("refuse", "requested"): {s: "refused" for s in OPEN},
    ("postpone", "requested"): {"acknowledged": "postponed", "in-progress": "postponed"},
    ("withdraw", "requester"): {
        s: "withdrawn" for s in ["draft", *OPEN, "preserved", "awaiting-formal-request"]
    },
    ("preserve", "requested"): {"acknowledged": "preserved", "in-progress": "preserved"},
    ("renew", "requester"): {"preserved": "preserved", "awaiting-formal-request": "awaiting-formal-request"},
    ("await-formal", "requested"): {"preserved": "awaiting-formal-request"},
    ("disclose", "requested"): {"preserved": "disclosed", "awaiting-formal-request": "disclosed"},
    ("expire", "requested"): {"preserved": "expired", "awaiting-formal-request": "expired"},
}


@pytest.mark.parametrize("action,actor", sorted(EXPECTED))
@pytest.mark.parametrize("state", STATES)
def test_each_action_from_each_state(action: str, actor: str, state: str) -> None:
    expected = EXPECTED[(action, actor)].get(state)
    if expected is None:
        with pytest.raises(InvalidTransition, match=f"cannot '{action}' a request that is {state}"):
            next_state(state, action, actor, preservation=True)
    else:
        assert next_state(state, action, actor, preservation=True) == expected
    other = "requested" if actor == "requester" else "requester"
    with pytest.raises(InvalidTransition, match=f"only the .* party may '{action}'"):
        next_state(state, action, other, preservation=True)


def test_answering_information_returns_to_the_state_it_interrupted() -> None:
    assert (
        next_state(
            "needs-information", "provide-info", "requester", preservation=False, before_info="in-progress"
        )
        == "in-progress"
    )
    assert (
        next_state(
            "needs-information", "provide-info", "requester", preservation=False, before_info="acknowledged"
        )
        == "acknowledged"
    )


@pytest.mark.parametrize("action", ["preserve", "renew", "await-formal", "disclose", "expire"])
def test_preservation_actions_need_a_preservation_request(action: str) -> None:
    with pytest.raises(InvalidTransition, match="preservation requests only"):
        next_state("acknowledged", action, "requested", preservation=False)
