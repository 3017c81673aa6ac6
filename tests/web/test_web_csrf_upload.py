"""CSRF before uploads: a multipart body is parsed only once the token in the form's action URL
(``?csrf=``) has been checked; url-encoded forms keep their hidden field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from web_world import World, csrf_of, sign_in

MULTIPART = {"content-type": "multipart/form-data; boundary=accordboundary"}


class BodyRead(Exception):
    """Raised by a request body the console must not read."""


def untouchable() -> Iterator[bytes]:
    raise BodyRead("the console read a body it should have refused unread")
    yield b""  # pragma: no cover - makes this a generator


def _signed_in(app, world: World) -> tuple[TestClient, str]:
    client = TestClient(app)
    sign_in(client, world.fr_token)
    return client, csrf_of(client.get("/publish").text)


@pytest.mark.parametrize("path", ["/publish", "/sweep"])
@pytest.mark.parametrize("token", [None, "", "forged"])
def test_an_upload_without_the_token_in_its_action_is_refused_unread(
    app, world: World, path: str, token: str | None
) -> None:
    client, _csrf = _signed_in(app, world)
    params = {} if token is None else {"csrf": token}
    refused = client.post(path, params=params, content=untouchable(), headers=MULTIPART)
    assert refused.status_code == 403
    assert "This form has expired or did not come from this console." in refused.text


def test_with_the_token_in_its_action_the_upload_is_read(app, world: World) -> None:
    """The same request with the right token is parsed: the refusal above is not an accident."""
    client, csrf = _signed_in(app, world)
    with pytest.raises(BodyRead):
        client.post("/publish", params={"csrf": csrf}, content=untouchable(), headers=MULTIPART)


def test_the_upload_forms_carry_the_token_in_their_action(app, world: World) -> None:
    client, csrf = _signed_in(app, world)
    for path in ("/publish", "/sweep"):
        page = client.get(path).text
        assert f'action="{path}?csrf={csrf}" enctype="multipart/form-data"' in page


def test_a_token_in_the_body_of_an_upload_is_not_enough(app, world: World) -> None:
    client, csrf = _signed_in(app, world)
    files = {"upload": ("r.txt", b"C2 at 203.0.113.5", "text/plain")}
    refused = client.post("/publish", data={"csrf": csrf, "step": "preview"}, files=files)
    assert refused.status_code == 403
    accepted = client.post("/publish", params={"csrf": csrf}, data={"step": "preview"}, files=files)
    assert accepted.status_code == 200 and 'value="203.0.113.5"' in accepted.text


def test_ordinary_forms_keep_their_hidden_field(app, world: World) -> None:
    client, csrf = _signed_in(app, world)
    text = {"text": "C2 at 203.0.113.5", "step": "preview"}
    assert client.post("/publish", params={"csrf": csrf}, data=text).status_code == 403  # url-encoded
    assert client.post("/publish", data={**text, "csrf": csrf}).status_code == 200


def test_the_refusal_is_translated(app, world: World) -> None:
    client, _csrf = _signed_in(app, world)
    refused = client.post("/publish", params={"lang": "ar"}, content=untouchable(), headers=MULTIPART)
    assert refused.status_code == 403 and 'dir="rtl"' in refused.text
    assert "This form has expired" not in refused.text
