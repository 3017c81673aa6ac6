"""Escalation notifications: who is told (per party and ladder role), and delivery by webhook and e-mail.

Recipients live in their own TOML file (or the ``[notify]`` and ``[smtp]`` tables of a larger one),
not in the agreement: the agreement is what two parties signed, addresses are each node's operations
data and change far more often. See docs/escalation.md.

Delivery is best effort and never raises: each target gets a ``Delivery`` (ok or the error), so one
dead webhook or an SMTP outage is reported without stopping the other targets.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import httpx

from accord.cases.clock_escalation import ROLES

# Every human-readable string sent out, in one place (English; translate here).
TEXTS = {
    "role.case_officer": "case officer",
    "role.supervisor": "supervisor",
    "role.hotline": "24/7 hotline (both parties)",
    "role.review_list": "review list of the dialogue",
    "deadline.acknowledgement": "acknowledgement",
    "deadline.response": "response",
    "subject": "[Accord] Request {request_id}: {deadline_kind} deadline missed - escalated to {role}",
    "body": (
        "Request {request_id} ({request_type}, urgency {urgency}) from {requester} to {requested} "
        "missed its {deadline_kind} deadline of {deadline}. It is now escalated to the {role}."
    ),
    "details": "Step due: {step_due}\nNotified: {at}\nVisible to: {visible_to}",
}


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Notification:
    """One escalation step of one request: the facts both the webhook payload and the e-mail carry."""

    request_id: str
    request_type: str
    urgency: str
    requester: str
    requested: str
    deadline_kind: str  # "acknowledgement" or "response"
    deadline: datetime  # the deadline that passed
    step: str  # ladder role
    step_due: datetime  # deadline + the step's offset
    at: datetime  # when the notification is sent
    visible_to: tuple[str, ...]  # parties whose recipients for this step are notified

    @property
    def event_id(self) -> str:
        """Stable across retries, so receivers can drop duplicates."""
        return f"{self.request_id}/{self.deadline_kind}/{self.step}"

    def fields(self) -> dict[str, str]:
        return {
            "request_id": self.request_id,
            "request_type": self.request_type,
            "urgency": self.urgency,
            "requester": self.requester,
            "requested": self.requested,
            "deadline_kind": TEXTS[f"deadline.{self.deadline_kind}"],
            "deadline": _stamp(self.deadline),
            "role": TEXTS[f"role.{self.step}"],
            "step_due": _stamp(self.step_due),
            "at": _stamp(self.at),
            "visible_to": ", ".join(self.visible_to),
        }

    @property
    def subject(self) -> str:
        return TEXTS["subject"].format(**self.fields())

    @property
    def text(self) -> str:
        return TEXTS["body"].format(**self.fields())

    def payload(self) -> dict[str, Any]:
        """The JSON body POSTed to webhooks."""
        return {
            "event": "accord.escalation",
            "event_id": self.event_id,
            "request_id": self.request_id,
            "request_type": self.request_type,
            "urgency": self.urgency,
            "parties": {"requester": self.requester, "requested": self.requested},
            "deadline": {"kind": self.deadline_kind, "due": self.deadline.astimezone(UTC).isoformat()},
            "step": self.step,
            "step_due": self.step_due.astimezone(UTC).isoformat(),
            "at": self.at.astimezone(UTC).isoformat(),
            "visible_to": list(self.visible_to),
            "text": self.text,
        }


@dataclass(frozen=True)
class Delivery:
    channel: str  # "webhook" or "email"
    target: str  # URL or address
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class Recipients:
    webhooks: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None  # name of the environment variable holding the password
    timeout: float = 10.0


@dataclass(frozen=True)
class NotifyConfig:
    recipients: dict[str, dict[str, Recipients]] = field(default_factory=dict)  # party -> role -> who
    smtp: SmtpSettings | None = None

    def for_step(self, parties: tuple[str, ...], role: str) -> Recipients:
        """Union of the parties' recipients for a role, duplicates removed, order kept."""
        found = [self.recipients.get(party, {}).get(role, Recipients()) for party in parties]
        return Recipients(
            tuple(dict.fromkeys(url for r in found for url in r.webhooks)),
            tuple(dict.fromkeys(address for r in found for address in r.emails)),
        )


_ADDRESS = re.compile(r"[^@\s,<>]+@[^@\s,<>]+")


def _refuse_unknown(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)} in [{where}]")


def _strings(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{where}.{key} must be a list of non-empty strings")
    return tuple(values)


def _recipients(table: Any, where: str) -> Recipients:
    if not isinstance(table, dict):
        raise ValueError(f"[{where}] must be a table with webhooks and/or emails")
    _refuse_unknown(table, {"webhooks", "emails"}, where)
    webhooks, emails = _strings(table, "webhooks", where), _strings(table, "emails", where)
    if bad := [url for url in webhooks if not url.startswith(("http://", "https://"))]:
        raise ValueError(f"{where}.webhooks: not an http(s) URL: {bad}")
    if bad := [address for address in emails if not _ADDRESS.fullmatch(address)]:
        raise ValueError(f"{where}.emails: not an e-mail address: {bad}")
    return Recipients(webhooks, emails)


def _smtp(table: Any) -> SmtpSettings:
    if not isinstance(table, dict):
        raise ValueError("[smtp] must be a table")
    _refuse_unknown(
        table, {"host", "port", "from", "starttls", "username", "password_env", "timeout"}, "smtp"
    )
    for required in ("host", "from"):
        if not isinstance(table.get(required), str) or not table[required]:
            raise ValueError(f"missing setting 'smtp.{required}'")
    if table.get("password_env") and not table.get("username"):
        raise ValueError("smtp.password_env needs smtp.username")
    return SmtpSettings(
        host=table["host"],
        sender=table["from"],
        port=int(table.get("port", 25)),
        starttls=bool(table.get("starttls", False)),
        username=table.get("username"),
        password_env=table.get("password_env"),
        timeout=float(table.get("timeout", 10.0)),
    )


def parse_notify_config(data: Mapping[str, Any]) -> NotifyConfig:
    """Read the ``[notify.<party>.<role>]`` and ``[smtp]`` tables; other top-level tables are ignored."""
    recipients: dict[str, dict[str, Recipients]] = {}
    for party, roles in data.get("notify", {}).items():
        if not isinstance(roles, dict):
            raise ValueError(f"[notify.{party}] must hold one table per ladder role")
        if unknown := set(roles) - set(ROLES):
            raise ValueError(f"unknown role(s) {sorted(unknown)} in [notify.{party}]; use {', '.join(ROLES)}")
        recipients[party] = {
            role: _recipients(table, f"notify.{party}.{role}") for role, table in roles.items()
        }
    smtp = _smtp(data["smtp"]) if "smtp" in data else None
    if smtp is None and any(r.emails for roles in recipients.values() for r in roles.values()):
        raise ValueError("e-mail recipients are configured but there is no [smtp] table")
    return NotifyConfig(recipients, smtp)


def load_notify_config(path: str | os.PathLike[str]) -> NotifyConfig:
    with open(path, "rb") as source:
        return parse_notify_config(tomllib.load(source))


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


class Notifier:
    """Sends one notification to every target of its step; failures are returned, never raised."""

    RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

    def __init__(
        self,
        config: NotifyConfig,
        *,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        retries: int = 1,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.config = config
        self.http = http
        self.timeout = timeout
        self.retries = retries
        self.environ = environ

    def send(self, event: Notification) -> list[Delivery]:
        targets = self.config.for_step(event.visible_to, event.step)
        deliveries: list[Delivery] = []
        if targets.webhooks:
            client = self.http or httpx.Client(timeout=self.timeout)
            try:
                deliveries += [self._post(client, url, event) for url in targets.webhooks]
            finally:
                if self.http is None:
                    client.close()
        if targets.emails:
            deliveries += self._mail(targets.emails, event)
        return deliveries

    def _post(self, client: httpx.Client, url: str, event: Notification) -> Delivery:
        error = "not attempted"
        for _ in range(1 + self.retries):
            try:
                response = client.post(
                    url, json=event.payload(), headers={"X-Accord-Event-Id": event.event_id}
                )
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = _error(exc)
                continue
            if response.is_success:
                return Delivery("webhook", url, True)
            error = f"HTTP {response.status_code}"
            if response.status_code not in self.RETRY_STATUS:
                break
        return Delivery("webhook", url, False, error)

    def _message(self, addresses: tuple[str, ...], event: Notification, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = event.subject
        message["From"] = sender
        message["To"] = ", ".join(addresses)
        message["Date"] = format_datetime(event.at.astimezone(UTC))
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        message["X-Accord-Event-Id"] = event.event_id
        message.set_content(event.text + "\n\n" + TEXTS["details"].format(**event.fields()) + "\n")
        return message

    def _mail(self, addresses: tuple[str, ...], event: Notification) -> list[Delivery]:
        """One message to all addresses; an address the server refuses is reported on its own."""
        smtp = self.config.smtp
        if smtp is None:  # parse_notify_config refuses this; a hand-built config may not
            return [Delivery("email", a, False, "no [smtp] settings") for a in addresses]
        password = self.environ.get(smtp.password_env, "") if smtp.password_env else ""
        if smtp.password_env and not password:
            return [Delivery("email", a, False, f"{smtp.password_env} is not set") for a in addresses]
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as server:
                if smtp.starttls:
                    server.starttls(context=ssl.create_default_context())
                if smtp.username:
                    server.login(smtp.username, password)
                refused = server.send_message(self._message(addresses, event, smtp.sender))
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except (OSError, ValueError, smtplib.SMTPException) as exc:  # ValueError: unencodable address
            return [Delivery("email", a, False, _error(exc)) for a in addresses]
        return [
            Delivery("email", a, False, f"refused: {refused[a][0]} {_decode(refused[a][1])}")
            if a in refused
            else Delivery("email", a, True)
            for a in addresses
        ]
