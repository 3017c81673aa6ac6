"""Bilateral agreements (one TOML file per pair of parties): who answers within what time, on whose
calendar, how long preservation lasts, and the escalation ladder. See docs/agreements.md."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from accord.cases.calendar import WorkingCalendar
from accord.cases.clock import DurationSpec, Pause, Unit, due_instant, parse_quantity
from accord.cases.clock_escalation import ROLES, EscalationStep, validate_ladder

MIN_PRESERVATION_DAYS = 60


class RequestType(StrEnum):
    PRESERVATION = "preservation"
    TRAFFIC_DATA = "traffic_data"
    STORED_DATA = "stored_data"
    SUBSCRIBER_INFORMATION = "subscriber_information"
    DOMAIN_REGISTRATION = "domain_registration"
    EMERGENCY_DISCLOSURE = "emergency_disclosure"
    TAKEDOWN = "takedown"
    INFORMATION = "information"
    TECHNICAL_ASSISTANCE = "technical_assistance"
    LOCATE_SUSPECT = "locate_suspect"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    RISK_TO_LIFE = "risk_to_life"


class NotCovered(LookupError):
    """The agreement sets no deadline for this request type and urgency."""


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    calendar: WorkingCalendar


@dataclass(frozen=True)
class PreservationTerms:
    period: DurationSpec
    renewal: DurationSpec
    max_renewals: int | None  # None: renewable without limit


@dataclass(frozen=True)
class Agreement:
    id: str
    parties: dict[str, Party]
    acknowledgement: DurationSpec
    response: dict[tuple[RequestType, Urgency], DurationSpec]
    preservation: PreservationTerms
    ladder: tuple[EscalationStep, ...]

    def party(self, party_id: str) -> Party:
        try:
            return self.parties[party_id]
        except KeyError:
            raise LookupError(f"{party_id!r} is not a party to agreement {self.id!r}") from None

    def response_spec(self, request_type: RequestType | str, urgency: Urgency | str) -> DurationSpec:
        key = (RequestType(request_type), Urgency(urgency))
        if key not in self.response:
            raise NotCovered(f"agreement {self.id!r} sets no deadline for {key[0]} / {key[1]}")
        return self.response[key]

    def acknowledgement_due(
        self, answering: str, received: datetime, pauses: Iterable[Pause] = ()
    ) -> datetime | None:
        return due_instant(received, self.acknowledgement, self.party(answering).calendar, pauses)

    def response_due(
        self,
        answering: str,
        request_type: RequestType | str,
        urgency: Urgency | str,
        received: datetime,
        pauses: Iterable[Pause] = (),
    ) -> datetime | None:
        """Deadline on the answering party's calendar; ``None`` while the requester owes information."""
        spec = self.response_spec(request_type, urgency)
        return due_instant(received, spec, self.party(answering).calendar, pauses)

    def preservation_expiry(self, preserving: str, started: datetime, renewals: int = 0) -> datetime:
        """End of preservation, counted in the preserving party's days, after ``renewals`` renewals."""
        terms = self.preservation
        if renewals < 0 or (terms.max_renewals is not None and renewals > terms.max_renewals):
            raise ValueError(f"agreement {self.id!r} allows at most {terms.max_renewals} renewals")
        days = terms.period.amount + renewals * terms.renewal.amount
        expiry = due_instant(started, DurationSpec(days, Unit.DAYS), self.party(preserving).calendar)
        if expiry is None:  # pragma: no cover - impossible without pauses
            raise AssertionError("a clock without pauses always runs out")
        return expiry


def _offset(text: str) -> timedelta:
    amount, unit = parse_quantity(text)
    if unit not in (Unit.MINUTES, Unit.HOURS, Unit.DAYS):
        raise ValueError("escalation offsets are in minutes, hours or days (of 24 hours)")
    return (
        timedelta(minutes=amount)
        if unit is Unit.MINUTES
        else timedelta(hours=amount * (24 if unit is Unit.DAYS else 1))
    )


def _days(text: str, what: str, minimum: int = 1) -> DurationSpec:
    spec = DurationSpec.parse(text)
    if spec.unit is not Unit.DAYS or spec.amount < minimum:
        raise ValueError(f"{what} must be at least {minimum} days, given in days")
    return spec


_KEYS = {
    "": {"id", "title", "parties", "deadlines", "preservation", "escalation"},
    "parties.*": {"name", "timezone", "working_days", "working_hours", "holidays"},
    "deadlines": {"acknowledgement", "response"},
    "preservation": {"period", "renewal", "max_renewals"},
    "escalation": {"ladder"},
}


def _check_keys(table: dict[str, Any], where: str) -> dict[str, Any]:
    """Refuse unknown settings: a misspelt key would otherwise silently fall back to a default."""
    unknown = set(table) - _KEYS[where]
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)} in [{where or 'top level'}]")
    return table


def parse_agreement(data: dict[str, Any]) -> Agreement:
    """Validate a parsed agreement file; every error names the offending setting."""
    _check_keys(data, "")
    for required in ("id", "parties", "deadlines"):
        if required not in data:
            raise ValueError(f"missing setting {required!r}")
    parties = {
        party_id: Party(
            party_id,
            config.get("name", party_id),
            WorkingCalendar.from_config(_check_keys(config, "parties.*")),
        )
        for party_id, config in data["parties"].items()
    }
    if len(parties) != 2:
        raise ValueError("an agreement binds exactly two parties ([parties.<id>] tables)")
    deadlines = _check_keys(data["deadlines"], "deadlines")
    if "acknowledgement" not in deadlines:
        raise ValueError("missing setting 'deadlines.acknowledgement'")
    response: dict[tuple[RequestType, Urgency], DurationSpec] = {}
    for type_name, by_urgency in deadlines.get("response", {}).items():
        request_type = RequestType(type_name)
        for urgency_name, text in by_urgency.items():
            response[(request_type, Urgency(urgency_name))] = DurationSpec.parse(text)
    preservation = _check_keys(data.get("preservation", {}), "preservation")
    period = _days(
        preservation.get("period", f"{MIN_PRESERVATION_DAYS} days"),
        "preservation period",
        MIN_PRESERVATION_DAYS,
    )
    max_renewals = preservation.get("max_renewals")
    if max_renewals is not None and (not isinstance(max_renewals, int) or max_renewals < 0):
        raise ValueError("preservation.max_renewals must be a whole number >= 0 (omit it for no limit)")
    ladder = []
    for step in _check_keys(data.get("escalation", {}), "escalation").get("ladder", []):
        if step.get("role") not in ROLES:
            raise ValueError(f"unknown escalation role {step.get('role')!r}; use {', '.join(ROLES)}")
        ladder.append(EscalationStep(step["role"], _offset(step.get("after", "0 hours"))))
    return Agreement(
        id=data["id"],
        parties=parties,
        acknowledgement=DurationSpec.parse(deadlines["acknowledgement"]),
        response=response,
        preservation=PreservationTerms(
            period, _days(preservation.get("renewal", str(period)), "preservation renewal"), max_renewals
        ),
        ladder=validate_ladder(ladder),
    )


def load_agreement(path: str | os.PathLike[str]) -> Agreement:
    with open(path, "rb") as source:
        return parse_agreement(tomllib.load(source))
