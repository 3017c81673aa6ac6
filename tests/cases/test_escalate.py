"""Escalation timing with a controllable clock; notifications land on local SMTP and webhook servers."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from test_notify_servers import LocalSMTP, LocalWebhook, closed_port, smtp_server, webhook_server

from accord.cases.agreement import Agreement, parse_agreement
from accord.cases.clock_escalation import ROLES
from accord.cases.escalate import EscalationRecord, run_escalations
from accord.cases.notify import Delivery, Notification, Notifier, NotifyConfig, Recipients, SmtpSettings
from accord.cases.timeline import Escalation, RequestTimeline, Transition

AGREEMENT = parse_agreement(
    tomllib.loads(
        """
id = "fr-ng-test"
[parties.fr-oclctic]
timezone = "Europe/Paris"
[parties.ng-efcc]
timezone = "Africa/Lagos"
[deadlines]
acknowledgement = "24 hours"
[deadlines.response.takedown]
urgent = "2 working_days"
[escalation]
ladder = [
  { role = "case_officer", after = "0 hours" },
  { role = "supervisor", after = "1 days" },
  { role = "hotline", after = "3 days" },
  { role = "review_list", after = "14 days" },
]
"""
    )
)
SUBMITTED = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # Monday
PARTIES = ("fr-oclctic", "ng-efcc")


class Clock:
    """The test's time; the runner only ever sees ``clock.now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, instant: datetime) -> datetime:
        self.now = instant
        return instant


def timeline(request_id: str = "req-1", agreement: Agreement = AGREEMENT) -> RequestTimeline:
    return RequestTimeline(
        id=request_id,
        type="takedown",
        urgency="urgent",
        requester="fr-oclctic",
        requested="ng-efcc",
        submitted_at=SUBMITTED,
        acknowledgement_due=agreement.acknowledgement_due("ng-efcc", SUBMITTED),
        response_due=agreement.response_due("ng-efcc", "takedown", "urgent", SUBMITTED),
        transitions=[Transition("submitted", SUBMITTED, "OCLCTIC")],
    )


@dataclass
class Node:
    """What the node's scheduler does: run the escalations, then record them in the store."""

    clock: Clock
    notifier: Notifier
    smtp: LocalSMTP
    web: LocalWebhook

    def run(self, *timelines: RequestTimeline) -> list[EscalationRecord]:
        records = run_escalations(timelines, lambda t: AGREEMENT.ladder, self.clock.now, self.notifier)
        by_id = {t.id: t for t in timelines}
        for record in records:
            by_id[record.request_id].escalations.append(record.escalation)
        return records

    def received(self) -> list[tuple[str, str]]:
        """(party, role) pairs reached since the last call, by webhook and by e-mail (must agree)."""
        hooks = sorted(tuple(hook.path.strip("/").split("/")) for hook in self.web.hooks)
        mails = sorted(
            (address.split("@")[1].removesuffix(".example"), address.split("@")[0])
            for mail in self.smtp.mails
            for address in mail.recipients
        )
        assert hooks == mails
        self.web.hooks.clear()
        self.smtp.mails.clear()
        return hooks


def recipients(web: LocalWebhook) -> dict[str, dict[str, Recipients]]:
    return {
        party: {
            role: Recipients((web.url(f"{party}/{role}"),), (f"{role}@{party}.example",)) for role in ROLES
        }
        for party in PARTIES
    }


@pytest.fixture
def node() -> Iterator[Node]:
    with smtp_server() as smtp, webhook_server() as web:
        config = NotifyConfig(recipients(web), SmtpSettings("127.0.0.1", "accord@node.example", smtp.port))
        yield Node(Clock(SUBMITTED), Notifier(config), smtp, web)


def test_the_ladder_climbs_with_the_clock(node):
    request = timeline()
    due = request.acknowledgement_due
    assert due == SUBMITTED + timedelta(hours=24)

    node.clock.set(due - timedelta(seconds=1))
    assert node.run(request) == [] and node.received() == []

    node.clock.set(due + timedelta(minutes=1))
    [record] = node.run(request)
    assert record.escalation == Escalation("case_officer", node.clock.now, "acknowledgement")
    assert (record.deadline_kind, record.deadline, record.visible_to, record.shared) == (
        "acknowledgement",
        due,
        ("ng-efcc",),
        False,
    )
    assert all(d.ok for d in record.deliveries) and len(record.deliveries) == 2
    assert node.received() == [("ng-efcc", "case_officer")]

    assert node.run(request) == [] and node.received() == []  # same time again: nothing new

    node.clock.set(due + timedelta(days=1) - timedelta(seconds=1))
    assert node.run(request) == []
    node.clock.set(due + timedelta(days=1))
    assert [r.escalation.step for r in node.run(request)] == ["supervisor"]
    assert node.received() == [("ng-efcc", "supervisor")]

    node.clock.set(due + timedelta(days=3, hours=2))
    [hotline] = node.run(request)
    assert hotline.escalation.step == "hotline" and hotline.shared
    assert hotline.visible_to == ("ng-efcc", "fr-oclctic")
    assert node.received() == [("fr-oclctic", "hotline"), ("ng-efcc", "hotline")]

    node.clock.set(due + timedelta(days=14))
    [review] = node.run(request)
    assert review.escalation.step == "review_list" and review.shared
    assert node.received() == [("fr-oclctic", "review_list"), ("ng-efcc", "review_list")]

    node.clock.set(due + timedelta(days=60))
    assert node.run(request) == [] and node.received() == []
    assert [e.step for e in request.escalations] == list(ROLES)


def test_a_restarted_node_sends_what_fell_due_meanwhile_once(node):
    request = timeline()
    node.clock.set(request.acknowledgement_due + timedelta(days=4))
    records = node.run(request)
    assert [r.escalation.step for r in records] == ["case_officer", "supervisor", "hotline"]
    assert {r.escalation.at for r in records} == {node.clock.now}
    assert len(node.received()) == 4
    restarted = Notifier(node.notifier.config)  # a new process: only the stored timeline carries state
    assert run_escalations([request], lambda t: AGREEMENT.ladder, node.clock.now, restarted) == []
    assert node.received() == []


def test_acknowledging_switches_to_the_response_deadline(node):
    request = timeline()
    ack_due, response_due = request.acknowledgement_due, request.response_due
    assert response_due == datetime(2026, 5, 6, 23, 0, tzinfo=UTC)  # Wed 24:00 in Lagos

    node.clock.set(ack_due + timedelta(hours=1))
    assert [r.escalation.step for r in node.run(request)] == ["case_officer"]
    request.transitions.append(Transition("acknowledged", ack_due + timedelta(hours=2), "EFCC"))

    # The acknowledgement's supervisor step would be due now; it is no longer sent.
    node.clock.set(ack_due + timedelta(days=1))
    assert node.run(request) == []
    node.clock.set(response_due - timedelta(microseconds=1))
    assert node.run(request) == []
    node.received()

    node.clock.set(response_due)
    [record] = node.run(request)
    assert (record.escalation.step, record.deadline_kind, record.deadline) == (
        "case_officer",
        "response",
        response_due,
    )
    assert node.received() == [("ng-efcc", "case_officer")]
    assert node.web.hooks == []  # received() drained them
    assert node.run(request) == []

    node.clock.set(response_due + timedelta(days=1))
    assert [r.escalation.step for r in node.run(request)] == ["supervisor"]
    assert [e.step for e in request.escalations] == ["case_officer", "case_officer", "supervisor"]


def test_working_on_a_request_acknowledges_it(node):
    request = timeline()
    request.transitions.append(Transition("in-progress", SUBMITTED + timedelta(hours=3), "EFCC"))
    node.clock.set(request.acknowledgement_due + timedelta(hours=5))
    assert node.run(request) == []
    node.clock.set(request.response_due + timedelta(minutes=1))
    assert [(r.escalation.step, r.deadline_kind) for r in node.run(request)] == [("case_officer", "response")]


@pytest.mark.parametrize("state", RequestTimeline.CLOSED)
def test_closed_requests_never_escalate(node, state):
    request = timeline()
    request.transitions.append(Transition(state, SUBMITTED + timedelta(hours=1), "EFCC"))
    node.clock.set(SUBMITTED + timedelta(days=90))
    assert node.run(request) == [] and node.received() == []


def test_drafts_and_paused_clocks_do_not_escalate(node):
    draft = timeline("draft")
    draft.submitted_at, draft.transitions = None, []
    paused = timeline("paused")
    paused.transitions.append(Transition("needs-information", SUBMITTED + timedelta(hours=1), "EFCC"))
    paused.response_due = None  # open pause: no deadline
    node.clock.set(SUBMITTED + timedelta(days=90))
    assert node.run(draft, paused) == [] and node.received() == []


def test_requests_escalate_independently(node):
    late, acknowledged = timeline("late"), timeline("acknowledged")
    acknowledged.transitions.append(Transition("acknowledged", SUBMITTED + timedelta(hours=1), "EFCC"))
    node.clock.set(late.acknowledgement_due + timedelta(days=1))
    assert [(r.request_id, r.escalation.step) for r in node.run(late, acknowledged)] == [
        ("late", "case_officer"),
        ("late", "supervisor"),
    ]


def test_dead_targets_are_reported_and_the_step_still_recorded(node):
    with closed_port() as dead:
        config = NotifyConfig(
            {
                "ng-efcc": {
                    "hotline": Recipients((f"http://127.0.0.1:{dead}/hook",), ("hotline@ng-efcc.example",)),
                },
                "fr-oclctic": {"hotline": Recipients((node.web.url("fr-oclctic/hotline"),))},
            },
            SmtpSettings("127.0.0.1", "accord@node.example", dead),
        )
        request = timeline()
        node.clock.set(request.acknowledgement_due + timedelta(days=3))
        records = run_escalations([request], lambda t: AGREEMENT.ladder, node.clock.now, Notifier(config))
    hotline = records[-1]
    assert hotline.escalation.step == "hotline"
    assert [(d.channel, d.ok) for d in hotline.deliveries] == [
        ("webhook", False),
        ("webhook", True),
        ("email", False),
    ]
    assert node.web.paths() == ["/fr-oclctic/hotline"]
    assert [r.escalation.step for r in records] == ["case_officer", "supervisor", "hotline"]


def test_a_failing_notifier_does_not_lose_the_records(node):
    sent: list[Notification] = []

    class Broken:
        def send(self, event: Notification) -> list[Delivery]:
            sent.append(event)
            if event.step == "supervisor":
                raise RuntimeError("bug")
            return []

    request = timeline()
    now = request.acknowledgement_due + timedelta(days=3)
    records = run_escalations([request], lambda t: AGREEMENT.ladder, now, Broken())
    assert [r.escalation.step for r in records] == ["case_officer", "supervisor", "hotline"]
    assert records[1].deliveries == (Delivery("notifier", "Broken", False, "RuntimeError: bug"),)
    assert [(e.step, e.step_due) for e in sent] == [
        ("case_officer", request.acknowledgement_due),
        ("supervisor", request.acknowledgement_due + timedelta(days=1)),
        ("hotline", request.acknowledgement_due + timedelta(days=3)),
    ]


def test_now_must_be_timezone_aware(node):
    with pytest.raises(ValueError, match="timezone-aware"):
        run_escalations([timeline()], lambda t: AGREEMENT.ladder, datetime(2026, 5, 6), node.notifier)


def test_a_recorded_deadline_kind_wins_over_the_time_it_was_sent() -> None:
    """An acknowledgement backdated by a peer must not hide the response ladder's first step."""
    from datetime import UTC, datetime, timedelta

    from accord.cases.clock_escalation import EscalationStep
    from accord.cases.escalate import steps_to_send
    from accord.cases.timeline import Escalation, RequestTimeline, Transition

    t0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
    timeline = RequestTimeline(
        id="x-accord-request--1",
        type="information",
        urgency="normal",
        requester="a",
        requested="b",
        submitted_at=t0,
        acknowledgement_due=t0 + timedelta(hours=2),
        response_due=t0 + timedelta(days=2),
        transitions=[
            Transition("submitted", t0, "a"),
            Transition("acknowledged", t0 + timedelta(hours=1), "b"),
        ],
        # Sent for the acknowledgement deadline, but stamped after the (backdated) acknowledgement.
        escalations=[Escalation("case_officer", t0 + timedelta(hours=3), "acknowledgement")],
    )
    ladder = [EscalationStep("case_officer", timedelta(0))]
    due = steps_to_send(timeline, ladder, t0 + timedelta(days=2, minutes=1))
    assert [s.role for s in due] == ["case_officer"]
