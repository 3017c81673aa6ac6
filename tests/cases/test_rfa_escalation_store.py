"""Escalation on the node: steps due are sent once, recorded, and seen by the review report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cases_rfa_data import AGREEMENT, PRESERVATION

from accord.cases import service
from accord.cases.scheduler import escalate_now
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction


def test_escalations_are_sent_once_and_recorded(opened_node) -> None:
    node = opened_node.node
    with write_transaction(node.engine) as conn:
        fr, ng = admin.add_org(conn, "cert-fr"), admin.add_org(conn, "efcc-ng")
        service.add_agreement(conn, AGREEMENT)
        rid = service.file_request(conn, fr, "efcc-ng", PRESERVATION)["id"]
        case = service.show(conn, fr, rid)
    ack_due = datetime.fromisoformat(case["acknowledgement_due"].replace("Z", "+00:00"))
    data_dir = opened_node.data_dir
    assert escalate_now(node.engine, data_dir, ack_due - timedelta(minutes=1)) == []
    first = escalate_now(node.engine, data_dir, ack_due + timedelta(minutes=1))
    assert [(r.escalation.step, r.deadline_kind) for r in first] == [("case_officer", "acknowledgement")]
    assert escalate_now(node.engine, data_dir, ack_due + timedelta(minutes=2)) == []  # never twice
    later = escalate_now(node.engine, data_dir, ack_due + timedelta(days=1, minutes=1))
    assert [(r.escalation.step, r.shared) for r in later] == [("hotline", True)]
    with read_transaction(node.engine) as conn:
        (timeline,) = service.timelines(conn, ng)
    assert [e.step for e in timeline.escalations] == ["case_officer", "hotline"]
    assert timeline.escalations[0].at == ack_due + timedelta(minutes=1)
    with read_transaction(node.engine) as conn:  # the hotline step is visible to both parties
        for party in (fr, ng):
            shown = service.show(conn, party, rid)["escalations"]
            assert [(e["step"], e["deadline"]) for e in shown] == [
                ("case_officer", "acknowledgement"),
                ("hotline", "acknowledgement"),
            ]
    # Once acknowledged, the acknowledgement ladder is over.
    with write_transaction(node.engine) as conn:
        service.act(conn, ng, rid, "ack", {})
    assert escalate_now(node.engine, data_dir, ack_due + timedelta(days=1, minutes=5)) == []
    assert datetime.now(UTC) > ack_due - timedelta(days=365)
