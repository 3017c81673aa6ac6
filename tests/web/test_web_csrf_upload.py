"""CSRF before uploads: a multipart body is parsed only once the token in the form's action URL
(``?csrf=``) has been checked; url-encoded forms keep their hidden field. And the upload caps hold
while the body streams: an oversized body is refused (413) without being read to its end."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient
from web_world import World, csrf_of, sign_in

from accord.web import logfiles, publish

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


CAP = 1 << 20
CHUNK = 64 * 1024
REFUSALS = {  # the cap in force, not a fixed figure
    "/sweep": "The file is too large (at most 1 MB).",
    "/publish": "The file is too large (at most 1 MB).",
}


@pytest.fixture
def one_mb_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logfiles, "MAX_UPLOAD_BYTES", CAP)
    monkeypatch.setattr(publish, "MAX_UPLOAD_BYTES", CAP)


class Counted:
    """A multipart upload far over the cap, sent in chunks (so without Content-Length), counting the
    bytes the client was let to send."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        yield b'--accordboundary\r\nContent-Disposition: form-data; name="upload"; filename="big.log"\r\n\r\n'
        chunk = b"x" * CHUNK
        while self.sent < self.size:
            self.sent += CHUNK
            yield chunk
        yield b"\r\n--accordboundary--\r\n"


@pytest.mark.usefixtures("one_mb_caps")
@pytest.mark.parametrize("path", ["/sweep", "/publish"])
def test_an_upload_over_the_cap_is_refused_as_it_streams(base_url: str, world: World, path: str) -> None:
    """Through a real server: the test client reads a whole body before the app sees a byte of it."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        sign_in(client, world.fr_token)  # type: ignore[arg-type]
        csrf = csrf_of(client.get("/publish").text)
        body = Counted(64 * CAP)
        refused = client.post(path, params={"csrf": csrf}, content=body, headers=MULTIPART)
    assert refused.status_code == 413 and REFUSALS[path] in refused.text
    assert "content-length" not in refused.request.headers
    # The server stopped reading: what the client got to send is what the socket buffers held.
    assert body.sent < body.size // 4, f"{body.sent} of {body.size} bytes sent"
    uploads = world.node.settings.data_dir / logfiles.UPLOADS_DIR
    assert not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.usefixtures("one_mb_caps")
@pytest.mark.parametrize("path", ["/sweep", "/publish"])
def test_an_upload_whose_length_says_it_is_over_the_cap_is_refused_unread(
    app, world: World, path: str
) -> None:
    client, csrf = _signed_in(app, world)
    headers = {**MULTIPART, "content-length": str(2 * CAP)}
    refused = client.post(path, params={"csrf": csrf}, content=untouchable(), headers=headers)
    assert refused.status_code == 413 and REFUSALS[path] in refused.text


@pytest.mark.usefixtures("one_mb_caps")
def test_an_upload_under_the_cap_still_goes_through(app, world: World) -> None:
    """The cap's allowance for the form around the file: a file just under the cap is read."""
    client, csrf = _signed_in(app, world)
    files = {"upload": ("r.txt", b"C2 at 203.0.113.5 ".ljust(CAP, b" "), "text/plain")}
    page = client.post("/publish", params={"csrf": csrf}, data={"step": "preview"}, files=files)
    assert page.status_code == 200 and 'value="203.0.113.5"' in page.text
