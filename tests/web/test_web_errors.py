"""Service errors in three languages: every message the services raise today is recognised and
told from the catalogues; a message the console does not know still gets a translated lead."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient
from web_world import World, csrf_of, sign_in

from accord.cases.objects import InvalidRequest, check_request
from accord.cases.states import InvalidTransition, next_state
from accord.web import errors
from accord.web.i18n import Lang

ARABIC = re.compile(r"[\u0600-\u06ff]")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _raised(fn, *args, **kwargs) -> Exception:  # type: ignore[no-untyped-def]
    with pytest.raises((InvalidTransition, InvalidRequest)) as caught:
        fn(*args, **kwargs)
    return caught.value


def service_errors() -> list[Exception]:
    """Errors as the services raise them (their own wording, not copies of it)."""
    base = {"request_type": "information", "legal_basis": {"kind": "treaty"}, "summary_of_facts": "x"}
    return [
        _raised(next_state, "submitted", "dance", "requested", preservation=False),
        _raised(next_state, "acknowledged", "preserve", "requested", preservation=False),
        _raised(next_state, "submitted", "ack", "requester", preservation=False),
        _raised(next_state, "submitted", "withdraw", "requested", preservation=False),
        _raised(next_state, "fulfilled", "ack", "requested", preservation=False),
        _raised(check_request, {**base, "request_type": "nonsense"}),
        _raised(check_request, {**base, "urgency": "whenever"}),
        _raised(check_request, {**base, "legal_basis": {"kind": "none"}}),
        _raised(check_request, {**base, "data": [{"kind": "shoe", "value": "x"}]}),
        _raised(
            check_request, {**base, "data": [{"kind": "domain", "value": "x", "timestamp": "2026-01-01"}]}
        ),
        _raised(check_request, {**base, "request_type": "preservation"}),
        _raised(check_request, {**base, "summary_of_facts": ""}),
        InvalidTransition("a refusal needs a ground and reasons"),
        InvalidTransition("'postpone' needs a reason"),
        InvalidTransition("data must be preserved for at least 60 days"),
    ]


@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_every_service_error_is_recognised_and_translated(lang: str) -> None:
    script = {"ar": ARABIC, "zh": CHINESE}.get(lang)
    for exc in service_errors():
        told = errors.explain(Lang(lang), exc)
        assert "The node said" not in told and str(exc) not in told, str(exc)
        if script is not None:
            assert script.search(told), (lang, str(exc), told)


def test_names_inside_messages_are_translated_too() -> None:
    exc = _raised(next_state, "fulfilled", "ack", "requested", preservation=False)
    assert errors.explain(Lang("en"), exc).startswith(
        "“Acknowledge” is not possible while the request is fulfilled"
    )
    arabic = errors.explain(Lang("ar"), exc)
    assert "الإقرار بالاستلام" in arabic and "مُلبّى" in arabic
    missing = _raised(check_request, {"request_type": "preservation", "legal_basis": {"kind": "treaty"}})
    chinese = errors.explain(Lang("zh"), missing)
    assert "寻求保全的机关" in chinese and "requesting" not in chinese


def test_unknown_wording_keeps_the_detail_after_a_translated_lead() -> None:
    told = errors.explain(Lang("zh"), InvalidTransition("the moon is in the wrong phase"))
    assert CHINESE.search(told) and "the moon is in the wrong phase" in told
    assert errors.outcome(Lang("ar"), "already stored") == "محفوظ من قبل"


def test_a_refused_transition_is_shown_in_the_page_s_language(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    csrf = csrf_of(fr.get("/dashboard").text)
    for lang, words in (("ar", "للطرف المطلوب منه"), ("zh", "只有被请求方")):
        wrong = fr.post(
            f"/requests/{world.request_id}", params={"lang": lang}, data={"csrf": csrf, "action": "start"}
        )
        assert wrong.status_code == 400 and words in wrong.text, lang


def test_a_refused_filing_is_shown_in_the_page_s_language(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    form = fr.get("/requests/new", params={"lang": "zh"})
    refused = fr.post(
        "/requests/new",
        data={
            "csrf": csrf_of(form.text),
            "to": "efcc-ng",
            "request_type": "preservation",
            "legal_basis": "treaty",
            "summary_of_facts": "Logs of a phishing server.",
        },
    )
    assert refused.status_code == 400 and "保全请求必须载明" in refused.text
