"""Audit page: the signed tree head, the partners' countersignatures, and verifying the log."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient
from web_world import PEER, World, countersigned_by_peer, csrf_of, sign_in

from accord.audit.http import publish_head
from accord.audit.tables import audit_leaf
from accord.store.engine import write_transaction


def test_head_countersignatures_and_a_clean_verification(app, world: World) -> None:
    stranger = countersigned_by_peer(world)
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    page = fr.get("/audit")
    assert page.status_code == 200 and 'href="/audit"' in page.text
    text = page.text
    assert "Signed tree head" in text and 'id="head-size">' in text
    rows = text.split('class="countersigned"', 1)[1].split("</table>", 1)[0]
    assert f"<bdi>{PEER}</bdi>" in rows and stranger in rows and rows.count("valid</span>") == 2
    assert "invalid" not in rows
    witnessed = text.split("witnessed by this node", 1)[1]
    assert f"<bdi>{PEER}</bdi>" in witnessed and "<td>7</td>" in witnessed
    verified = fr.post("/audit/verify", data={"csrf": csrf_of(text)})
    assert verified.status_code == 200
    assert "The log verifies:" in verified.text and "signed tree heads checked" in verified.text


def test_a_tampered_log_does_not_verify(app, world: World) -> None:
    publish_head(world.node)
    with write_transaction(world.node.engine) as conn:
        first = conn.execute(sa.select(sa.func.min(audit_leaf.c.idx))).scalar_one()
        conn.execute(audit_leaf.update().where(audit_leaf.c.idx == first).values(record='{"forged": true}'))
    admin = TestClient(app)
    sign_in(admin, world.admin_token)
    csrf = csrf_of(admin.get("/audit").text)
    failed = admin.post("/audit/verify", data={"csrf": csrf})
    assert failed.status_code == 409 and "The log does NOT verify" in failed.text
    assert "does not match its stored leaf hash" in failed.text
    zh = admin.post("/audit/verify", params={"lang": "zh"}, data={"csrf": csrf})
    assert "日志未通过验证" in zh.text
    ar = admin.post("/audit/verify", params={"lang": "ar"}, data={"csrf": csrf})
    assert "السجل لم يجتز التحقق" in ar.text and 'dir="rtl"' in ar.text


def test_verifying_needs_a_session_and_csrf(app, world: World) -> None:
    anonymous = TestClient(app)
    assert anonymous.get("/audit", follow_redirects=False).headers["location"] == "/signin"
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    assert fr.post("/audit/verify", data={}).status_code == 403
    assert fr.post("/audit/verify", data={"csrf": "forged"}).status_code == 403


def test_before_any_head_is_signed(app, world: World) -> None:
    ng = TestClient(app)
    sign_in(ng, world.ng_token)
    text = ng.get("/audit", params={"lang": "en"}).text
    assert "No tree head signed yet" in text and "records written since." in text
    assert "No partner has countersigned this log yet" in text
