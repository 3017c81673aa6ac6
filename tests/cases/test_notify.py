"""Notification config, webhook and e-mail delivery against local servers (127.0.0.1 only)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_notify_servers import LocalSMTP, LocalWebhook, closed_port, smtp_server, webhook_server

from accord.cases.notify import (
    Delivery,
    Notification,
    Notifier,
    NotifyConfig,
    Recipients,
    SmtpSettings,
    load_notify_config,
    parse_notify_config,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "escalation.md"
DEADLINE = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[LocalSMTP]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def web() -> Iterator[LocalWebhook]:
    with webhook_server() as server:
        yield server


def event(step: str = "hotline", visible_to: tuple[str, ...] = ("ng-efcc", "fr-oclctic")) -> Notification:
    return Notification(
        request_id="req-17",
        request_type="takedown",
        urgency="urgent",
        requester="fr-oclctic",
        requested="ng-efcc",
        deadline_kind="response",
        deadline=DEADLINE,
        step=step,
        step_due=DEADLINE + timedelta(days=3),
        at=DEADLINE + timedelta(days=3, minutes=5),
        visible_to=visible_to,
    )


def config(smtp_port: int | None, **roles: Recipients) -> NotifyConfig:
    """``roles`` keyed ``<party>__<role>`` with dashes as underscores in the party id."""
    recipients: dict[str, dict[str, Recipients]] = {}
    for key, who in roles.items():
        party, role = key.split("__")
        recipients.setdefault(party.replace("_", "-"), {})[role] = who
    smtp = SmtpSettings("127.0.0.1", "accord@node.example", smtp_port) if smtp_port else None
    return NotifyConfig(recipients, smtp)


def test_documented_example_loads(tmp_path):
    path = tmp_path / "notify.toml"
    path.write_text(re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)[1])
    loaded = load_notify_config(path)
    assert loaded.smtp == SmtpSettings(
        "smtp.example.org", "accord@example.org", 587, True, "accord", "ACCORD_SMTP_PASSWORD", 10.0
    )
    assert loaded.for_step(("ng-efcc",), "case_officer") == Recipients(
        ("https://ops.efcc.example/hooks/accord",), ("cyber-desk@efcc.example",)
    )
    assert loaded.for_step(("ng-efcc", "fr-oclctic"), "hotline").emails == (
        "24x7@efcc.example",
        "24x7@oclctic.example",
    )
    assert loaded.for_step(("ng-efcc",), "review_list") == Recipients()


def test_same_target_under_both_parties_is_notified_once():
    shared = Recipients(("https://dialogue.example/hook",), ("review@dialogue.example",))
    cfg = config(25, ng_efcc__review_list=shared, fr_oclctic__review_list=shared)
    assert cfg.for_step(("ng-efcc", "fr-oclctic"), "review_list") == shared


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[notify.ng-efcc.minister]\nemails = ["a@b.example"]\n[smtp]\nhost="h"\nfrom="a@b"', "minister"),
        ('[notify.ng-efcc.hotline]\nwebhook = ["https://x.example"]', "webhook"),
        ('[notify.ng-efcc.hotline]\nwebhooks = ["ftp://x.example"]', "http(s) URL"),
        (
            '[notify.ng-efcc.hotline]\nemails = ["a@b.example, c@d.example"]\n[smtp]\nhost="h"\nfrom="a@b"',
            "e-mail",
        ),
        ('[notify.ng-efcc.hotline]\nemails = ["a@b.example"]', "no [smtp]"),
        ('[notify.ng-efcc.hotline]\nemails = "a@b.example"\n[smtp]\nhost="h"\nfrom="a@b"', "list"),
        ('[smtp]\nhost = "h"', "smtp.from"),
        ('[smtp]\nhost = "h"\nfrom = "a@b"\npassword_env = "X"', "username"),
        ('[smtp]\nhost = "h"\nfrom = "a@b"\nstarttsl = true', "starttsl"),
        ('[notify]\nng-efcc = "everyone"', "one table per ladder role"),
    ],
)
def test_config_errors_name_the_setting(toml, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_notify_config(tomllib.loads(toml))


def test_other_tables_are_ignored():
    assert parse_notify_config({"node": {"port": 6800}}) == NotifyConfig()


def test_webhook_and_email_carry_the_notification(smtp, web):
    cfg = config(
        smtp.port,
        ng_efcc__hotline=Recipients((web.url("ng/hotline"),), ("24x7@efcc.example",)),
        fr_oclctic__hotline=Recipients((web.url("fr/hotline"),), ("24x7@oclctic.example",)),
        ng_efcc__case_officer=Recipients((web.url("ng/officer"),), ("officer@efcc.example",)),
    )
    deliveries = Notifier(cfg).send(event())
    assert deliveries == [
        Delivery("webhook", web.url("ng/hotline"), True),
        Delivery("webhook", web.url("fr/hotline"), True),
        Delivery("email", "24x7@efcc.example", True),
        Delivery("email", "24x7@oclctic.example", True),
    ]
    assert web.paths() == ["/ng/hotline", "/fr/hotline"]
    body = web.hooks[0].body
    assert body["event_id"] == "req-17/response/hotline"
    assert web.hooks[0].headers["X-Accord-Event-Id"] == "req-17/response/hotline"
    assert body["parties"] == {"requester": "fr-oclctic", "requested": "ng-efcc"}
    assert body["deadline"] == {"kind": "response", "due": "2026-05-05T09:00:00+00:00"}
    assert (body["step"], body["step_due"]) == ("hotline", "2026-05-08T09:00:00+00:00")
    assert body["at"] == "2026-05-08T09:05:00+00:00"
    assert (body["request_type"], body["urgency"], body["visible_to"]) == (
        "takedown",
        "urgent",
        ["ng-efcc", "fr-oclctic"],
    )
    assert body["text"] == (
        "Request req-17 (takedown, urgency urgent) from fr-oclctic to ng-efcc missed its response "
        "deadline of 2026-05-05 09:00 UTC. It is now escalated to the 24/7 hotline (both parties)."
    )
    [mail] = smtp.mails
    assert mail.sender == "accord@node.example"
    assert mail.recipients == ["24x7@efcc.example", "24x7@oclctic.example"]
    assert mail.message["To"] == "24x7@efcc.example, 24x7@oclctic.example"
    assert "req-17" in mail.message["Subject"] and "hotline" in mail.message["Subject"]
    text = mail.message.get_content()
    assert body["text"] in text and "Visible to: ng-efcc, fr-oclctic" in text


def test_a_dead_target_does_not_stop_the_others(smtp, web):
    with closed_port() as dead:
        cfg = config(
            smtp.port,
            ng_efcc__case_officer=Recipients(
                (f"http://127.0.0.1:{dead}/hook", web.url("officer")),
                ("nobody@efcc.example", "officer@efcc.example"),
            ),
        )
        deliveries = Notifier(cfg).send(event("case_officer", ("ng-efcc",)))
    assert [(d.target, d.ok) for d in deliveries] == [
        (f"http://127.0.0.1:{dead}/hook", False),
        (web.url("officer"), True),
        ("nobody@efcc.example", False),
        ("officer@efcc.example", True),
    ]
    assert "ConnectError" in deliveries[0].error
    assert deliveries[2].error.startswith("refused: 550")
    assert web.paths() == ["/officer"]
    assert [m.recipients for m in smtp.mails] == [["officer@efcc.example"]]


def test_smtp_down_is_reported_per_address_and_webhooks_still_go(web):
    with closed_port() as dead:
        cfg = config(dead, ng_efcc__supervisor=Recipients((web.url("sup"),), ("a@x.example", "b@x.example")))
        deliveries = Notifier(cfg).send(event("supervisor", ("ng-efcc",)))
    assert deliveries[0] == Delivery("webhook", web.url("sup"), True)
    assert [(d.channel, d.target, d.ok) for d in deliveries[1:]] == [
        ("email", "a@x.example", False),
        ("email", "b@x.example", False),
    ]
    assert all("ConnectionRefusedError" in d.error for d in deliveries[1:])


def test_webhook_retries_once_on_server_errors_only(web):
    cfg = config(
        None,
        ng_efcc__supervisor=Recipients((web.url("flaky/a"), web.url("status/503"), web.url("status/404"))),
    )
    deliveries = Notifier(cfg).send(event("supervisor", ("ng-efcc",)))
    assert deliveries == [
        Delivery("webhook", web.url("flaky/a"), True),
        Delivery("webhook", web.url("status/503"), False, "HTTP 503"),
        Delivery("webhook", web.url("status/404"), False, "HTTP 404"),
    ]
    assert web.paths() == ["/flaky/a", "/flaky/a", "/status/503", "/status/503", "/status/404"]
    first, retry = web.hooks[0], web.hooks[1]
    assert first.headers["X-Accord-Event-Id"] == retry.headers["X-Accord-Event-Id"]


def test_smtp_login_uses_the_password_from_the_environment(smtp):
    settings = SmtpSettings(
        "127.0.0.1", "accord@node.example", smtp.port, username="accord", password_env="PW"
    )
    cfg = NotifyConfig({"ng-efcc": {"supervisor": Recipients(emails=("s@efcc.example",))}}, settings)
    assert Notifier(cfg, environ={"PW": "s3cret"}).send(event("supervisor", ("ng-efcc",))) == [
        Delivery("email", "s@efcc.example", True)
    ]
    [failed] = Notifier(cfg, environ={"PW": "wrong"}).send(event("supervisor", ("ng-efcc",)))
    assert not failed.ok and "SMTPAuthenticationError" in failed.error
    assert Notifier(cfg, environ={}).send(event("supervisor", ("ng-efcc",))) == [
        Delivery("email", "s@efcc.example", False, "PW is not set")
    ]
    assert smtp.logins[0] == ("accord", "s3cret")  # smtplib tries each mechanism with the wrong one
    assert set(smtp.logins[1:]) == {("accord", "wrong")}
    assert [m.recipients for m in smtp.mails] == [["s@efcc.example"]]


def test_no_recipients_means_no_deliveries():
    assert Notifier(NotifyConfig()).send(event()) == []


def test_malformed_targets_are_reported_not_raised(smtp):
    cfg = config(
        smtp.port,
        ng_efcc__supervisor=Recipients(
            ("http://[::1/hook", "http:///no-host"), ("evil@x.example\r\nBcc: spy@x.example",)
        ),
    )
    deliveries = Notifier(cfg).send(event("supervisor", ("ng-efcc",)))
    assert [(d.target, d.ok) for d in deliveries] == [
        ("http://[::1/hook", False),
        ("http:///no-host", False),
        ("evil@x.example\r\nBcc: spy@x.example", False),
    ]
    assert all(d.error for d in deliveries) and smtp.mails == []
