"""Errors of the node's services, told in the reader's language.

The services raise English messages (the same ones serve the CLI and the JSON APIs). The console
recognises each message by its exception class and wording and shows a sentence from the
catalogues instead, with the names inside it (actions, states, fields) translated too. A message
it does not recognise still gets a translated sentence, followed by the service's English words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from accord.cases.objects import ARTICLE_29_2, InvalidRequest
from accord.cases.states import InvalidTransition
from accord.extract.readers import ReadError
from accord.web import logfiles
from accord.web.i18n import Lang
from accord.web.labels import ACTION_LABELS, ARTICLE_29_2_LABELS, N_, STATE_LABELS
from accord.web.logfiles import UploadTooLarge
from accord.web.sweep_jobs import NoIndicators, SweepBusy

# Article 29(2) elements as the console words them, by the service's English label.
_ARTICLE_WORDS = {
    **{label: ARTICLE_29_2_LABELS.get(key, label) for key, label in ARTICLE_29_2.items()},
    ARTICLE_29_2["summary_of_facts"]: N_("(b) a brief summary of the related facts"),
    ARTICLE_29_2["data"]: N_("(c) the stored computer data to be preserved"),
    ARTICLE_29_2["formal_request_to_follow"]: N_("(f) that a request for mutual assistance will follow"),
}


def _action(lang: Lang, value: str) -> str:
    return lang.gettext(ACTION_LABELS[value]) if value in ACTION_LABELS else value


def _state(lang: Lang, value: str) -> str:
    return lang.gettext(STATE_LABELS[value]) if value in STATE_LABELS else value


def _states(lang: Lang, value: str) -> str:
    return lang.gettext(", ").join(_state(lang, s.strip()) for s in value.split(","))


def _article(lang: Lang, value: str) -> str:
    parts = [p.strip() for p in value.split(";")]
    return lang.gettext("; ").join(
        lang.gettext(_ARTICLE_WORDS[p]) if p in _ARTICLE_WORDS else p for p in parts
    )


Convert = Callable[[Lang, str], str]
CONVERTERS: dict[str, Convert] = {"action": _action, "state": _state, "allowed": _states, "missing": _article}


@dataclass(frozen=True)
class Rule:
    kind: type[Exception]
    pattern: re.Pattern[str]
    message: str  # a msgid; %(name)s takes the pattern's group of that name


def _rule(kind: type[Exception], pattern: str, message: str) -> Rule:
    return Rule(kind, re.compile(pattern), message)


RULES = [
    _rule(InvalidTransition, r"^unknown action '(?P<action>[^']*)'", N_("Unknown action “%(action)s”.")),
    _rule(
        InvalidTransition,
        r"^'(?P<action>[^']+)' applies to preservation requests only$",
        N_("“%(action)s” applies to preservation requests only."),
    ),
    _rule(
        InvalidTransition,
        r"^only the requesting party may '(?P<action>[^']+)'$",
        N_("Only the requesting party may take this action: %(action)s."),
    ),
    _rule(
        InvalidTransition,
        r"^only the requested party may '(?P<action>[^']+)'$",
        N_("Only the requested party may take this action: %(action)s."),
    ),
    _rule(
        InvalidTransition,
        r"^cannot '(?P<action>[^']+)' a request that is (?P<state>\S+) \(only when (?P<allowed>[^)]*)\)$",
        N_("“%(action)s” is not possible while the request is %(state)s (only when it is %(allowed)s)."),
    ),
    _rule(
        InvalidTransition,
        r"^a refusal needs a ground and reasons$",
        N_("A refusal needs a ground and reasons."),
    ),
    _rule(InvalidTransition, r"^'(?P<action>[^']+)' needs a reason$", N_("“%(action)s” needs a reason.")),
    _rule(InvalidTransition, r"^expiry: ", N_("The expiry date is not valid.")),
    _rule(
        InvalidTransition,
        r"^data must be preserved for at least 60 days$",
        N_("Data must be preserved for at least 60 days."),
    ),
    _rule(InvalidRequest, r"^request type .* is not one of ", N_("Choose a type of request.")),
    _rule(InvalidRequest, r"^urgency must be one of ", N_("Choose an urgency.")),
    _rule(InvalidRequest, r"^legal basis must be one of ", N_("Choose a legal basis.")),
    _rule(
        InvalidRequest,
        r"^each data identifier needs a kind \((?P<kinds>[^)]*)\) and a value$",
        N_("Each line of data concerned needs a kind (%(kinds)s) and a value."),
    ),
    _rule(
        InvalidRequest, r"^timestamp .* must carry its time zone$", N_("Every timestamp needs its time zone.")
    ),
    _rule(
        InvalidRequest,
        r"^a preservation request must specify \(Budapest Convention, Art\. 29\(2\)\): (?P<missing>.*)$",
        N_("A preservation request must specify (Budapest Convention, Art. 29(2)): %(missing)s"),
    ),
    _rule(InvalidRequest, r"^a summary of facts is required$", N_("A summary of facts is required.")),
    _rule(InvalidRequest, r"^no organization named ", N_("Choose the organization the request is for.")),
    _rule(
        InvalidRequest,
        r"^a request must go to another organization$",
        N_("A request must go to another organization."),
    ),
    # accord.extract.readers: a report uploaded on the publish page (messages start with the file name).
    _rule(ReadError, r": empty file$", N_("The file is empty.")),
    _rule(
        ReadError,
        r": binary (file|or undecodable content)$",
        N_("The file is not a document: its content is binary or in an unknown encoding."),
    ),
    _rule(
        ReadError,
        r": encrypted PDF$",
        N_("The PDF is protected by a password: save a copy without one and upload that."),
    ),
    _rule(
        ReadError,
        r": encrypted or legacy Office file",
        N_("Encrypted and old-format Office files cannot be read: save it as DOCX or PDF."),
    ),
    _rule(
        ReadError,
        r": unreadable (?P<format>PDF|DOCX) \(",
        N_("The %(format)s file is damaged or cannot be read."),
    ),
    _rule(
        ReadError,
        r": no text could be extracted$",
        N_("No text could be read from the file (a scanned document needs text recognition first)."),
    ),
]

# Errors of the console's own making; and, for a message whose wording is unknown, a lead by class.
OWN: dict[type[Exception], str] = {
    SweepBusy: N_("Too many sweeps are running on this node. Try again in a few minutes."),
    NoIndicators: N_(
        "Your organization sees no indicators in this collection: there is nothing to sweep for."
    ),
}
LEADS: dict[type[Exception], str] = {
    InvalidTransition: N_("This action is not possible now."),
    InvalidRequest: N_("The request cannot be filed as it is."),
    ReadError: N_("The file could not be read."),
}
UNKNOWN_LEAD = N_("The node refused this.")
DETAILED = N_("%(lead)s The node said: %(detail)s")


def _sweep_rules() -> list[Rule]:
    """Rules for the sweep library's errors (imported only then: it loads polars)."""
    from accord.sweep import IndicatorError, LogError

    return [
        _rule(
            LogError,
            r"cannot detect the log format",
            N_("The format of the log was not recognised: choose it in the form."),
        ),
        _rule(LogError, r"unknown format", N_("This log format is not supported.")),
        _rule(LogError, r": (no such file|cannot open)", N_("The log could not be opened.")),
        _rule(LogError, r": cannot read", N_("The log could not be read: it may be damaged or truncated.")),
        _rule(IndicatorError, r"", N_("The collection's indicators could not be prepared for a sweep.")),
    ]


def explain(lang: Lang, exc: Exception) -> str:
    """The sentence to show for ``exc``, in ``lang``."""
    if isinstance(exc, UploadTooLarge):  # the cap is a setting: say the one in force
        return lang.gettext(
            N_("The file is too large (at most %(size)s)."), size=lang.size(logfiles.MAX_UPLOAD_BYTES)
        )
    for kind, message in OWN.items():
        if isinstance(exc, kind):
            return lang.gettext(message)
    text = str(exc)
    rules = [*RULES, *_sweep_rules()] if type(exc).__module__.startswith("accord.sweep") else RULES
    for rule in rules:
        found = rule.pattern.search(text) if isinstance(exc, rule.kind) else None
        if found:
            values = {k: CONVERTERS.get(k, _same)(lang, v) for k, v in found.groupdict().items()}
            return lang.gettext(rule.message, **values)
    lead = next((m for kind, m in LEADS.items() if isinstance(exc, kind)), UNKNOWN_LEAD)
    return lang.gettext(DETAILED, lead=lang.gettext(lead), detail=text or type(exc).__name__)


def _same(_lang: Lang, value: str) -> str:
    return value


# What the store says of an object it did not keep (publish and sightings show these per object).
OUTCOMES = [
    (re.compile(r"^already stored$"), N_("already stored")),
    (
        re.compile(r"^this object id belongs to another organization$"),
        N_("this id belongs to another organization"),
    ),
    (
        re.compile(r"^a different object with this id and version"),
        N_("another object with this id and version is stored"),
    ),
]


def outcome(lang: Lang, message: str | None) -> str:
    """A per-object refusal of the store, in ``lang`` (unknown wording kept after a translated lead)."""
    for pattern, text in OUTCOMES:
        if pattern.search(message or ""):
            return lang.gettext(text)
    return lang.gettext(N_("not valid: %(detail)s"), detail=message or "?")
