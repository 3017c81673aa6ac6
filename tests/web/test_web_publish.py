"""Publish: paste a text or upload a report, review what extraction found (each indicator with its
sentence, editable, uncheckable), then store exactly what was kept under the chosen TLP."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import docx
import pytest
from pdfs import make_pdf
from pypdf import PdfReader, PdfWriter
from starlette.testclient import TestClient
from web_world import World, csrf_of, sign_in

from accord.store import admin
from accord.store.engine import read_transaction
from accord.store.queries import Filters, select_page
from accord.web import publish

TEXT = (
    "Campaign against West African banks\n"
    "The operators used 203.0.113.77 and evil-bank.example.com to host the kit (CVE-2024-3400). "
    "Victims were in France."
)
SENTENCE = "The operators used 203.0.113.77 and evil-bank.example.com to host the kit (CVE-2024-3400)."
ARABIC = (
    "تقرير عن حملة تصيد\nاستخدم المهاجمون الخادم evil-bank[.]example.com والعنوان ٢٠٣.٠.١١٣.٧٧ في الهجوم.\n"
)


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf(["secret 203.0.113.9"]))))
    writer.encrypt("password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def damaged_docx() -> bytes:
    """A sound zip whose document XML is broken."""
    document = docx.Document()
    document.add_paragraph("C2 at evil.com")
    good = io.BytesIO()
    document.save(good)
    source, out = zipfile.ZipFile(good), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, b"<<<" if name == "word/document.xml" else source.read(name))
    return out.getvalue()


def signed_in(app, world: World) -> tuple[TestClient, str]:
    client = TestClient(app)
    sign_in(client, world.fr_token)
    page = client.get("/publish")
    assert page.status_code == 200
    return client, csrf_of(page.text)


def preview(client: TestClient, csrf: str, text: str = "", file: tuple[str, bytes] | None = None, **params):
    """Post the source form as the browser does: multipart, the token in the action's query string."""
    files = {"upload": (file[0], file[1], "application/octet-stream")} if file else {"upload": ("", b"")}
    return client.post(
        "/publish",
        params={"csrf": csrf, **params},
        data={"csrf": csrf, "text": text, "step": "preview"},
        files=files,
    )


def rows(page: str) -> dict[str, tuple[int, str]]:
    """value -> (row index, type label) of the preview's indicator rows."""
    found = re.findall(
        r'<input type="checkbox" name="keep" value="(\d+)"[^>]*></td>\s*<td>([^<]*)</td>\s*'
        r'<td><input type="text" name="value-\d+" value="([^"]*)"',
        page,
    )
    return {html.unescape(value): (int(i), html.unescape(label)) for i, label, value in found}


def sentences(page: str) -> list[str]:
    found = re.findall(r'<p class="sentence" dir="auto">(.*?)</p>', page, re.S)
    return [html.unescape(re.sub(r"</?mark>", "", s)) for s in found]


def publish_form(page: str, **changes: str) -> dict[str, str | list[str]]:
    """The preview form's fields as the browser would send them, with `changes` applied."""
    form = re.search(r'<form method="post" action="/publish" class="card preview">(.*?)</form>', page, re.S)
    assert form, "no preview form"
    fields: dict[str, str | list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", form.group(1)):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or not value:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                fields.setdefault(name.group(1), []).append(value.group(1))  # type: ignore[union-attr]
        else:
            fields[name.group(1)] = html.unescape(value.group(1))
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form.group(1), re.S):
        fields[name] = html.unescape(text)
    fields.update({"step": "publish", "tlp": "TLP:GREEN", **changes})
    return fields


def stored(world: World, token: str) -> list[dict]:
    """What the organization reads back from the shared collection, through the store's read path."""
    with read_transaction(world.node.engine) as conn:
        principal = admin.authenticate(conn, token)
        coll = admin.collection_by_uuid(conn, world.shared_uuid)
        assert principal is not None and coll is not None
        page = select_page(
            conn, coll.id, principal.reader, Filters(), after_us=None, limit=None, columns=("body",)
        )
        return [json.loads(r.body) for r in page.rows]


def test_pasted_text_preview_lists_each_indicator_with_its_sentence(app, world: World) -> None:
    client, csrf = signed_in(app, world)
    page = preview(client, csrf, TEXT)
    assert page.status_code == 200 and world.shared_uuid in page.text
    assert "Requests for assistance" not in page.text  # not a place to publish intelligence
    assert rows(page.text) == {
        "203.0.113.77": (0, "IPv4 address"),
        "evil-bank.example.com": (1, "Domain name"),
        "CVE-2024-3400": (2, "Vulnerability (CVE)"),
    }
    assert sentences(page.text) == [SENTENCE] * 3
    assert "<mark>evil-bank.example.com</mark>" in page.text
    assert 'name="title" value="Campaign against West African banks"' in page.text
    assert re.search(r'name="entity" value="0" checked>\s*Country: <bdi>France</bdi>', page.text)
    assert not any(o.get("name") == "evil-bank.example.com" for o in stored(world, world.fr_token))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.txt", TEXT.encode()),
        (
            "report.html",
            (
                "<html><head><title>Campaign against West African banks</title>"
                "<script>var decoy = 'http://tracker.example.org/x';</script></head><body>"
                f"<p>{html.escape(SENTENCE)}</p><p>Victims were in France.</p></body></html>"
            ).encode(),
        ),
        ("report.pdf", make_pdf(["Campaign against West African banks", SENTENCE])),
    ],
    ids=["txt", "html", "pdf"],
)
def test_an_uploaded_report_is_read_like_accord_extract_reads_it(
    app, world: World, name: str, data: bytes
) -> None:
    client, csrf = signed_in(app, world)
    page = preview(client, csrf, file=(name, data))
    assert page.status_code == 200, page.text
    assert set(rows(page.text)) == {"203.0.113.77", "evil-bank.example.com", "CVE-2024-3400"}
    assert SENTENCE in sentences(page.text)
    assert f"Read from \u2068{name}\u2069" in page.text
    assert 'name="title" value="Campaign against West African banks"' in page.text


def test_an_arabic_report_keeps_its_direction(app, world: World) -> None:
    client, csrf = signed_in(app, world)
    page = preview(client, csrf, file=("تقرير.txt", ARABIC.encode()), lang="ar")
    assert page.status_code == 200 and '<html lang="ar" dir="rtl">' in page.text
    assert set(rows(page.text)) == {"203.0.113.77", "evil-bank.example.com"}
    said = sentences(page.text)
    assert said[0] == "استخدم المهاجمون الخادم evil-bank.example.com والعنوان 203.0.113.77 في الهجوم."
    assert "عنوان IPv4" in page.text and "ما سيُنشر" in page.text


def test_unchecked_values_are_left_out_and_edited_ones_published(app, world: World) -> None:
    fr, csrf = signed_in(app, world)
    page = preview(fr, csrf, TEXT).text
    found = rows(page)
    form = publish_form(
        page,
        collection=world.shared_uuid,
        title="West African banks (reviewed)",
        **{f"value-{found['evil-bank.example.com'][0]}": "Evil-Bank2[.]example.com"},  # refanged, lowercased
    )
    form["keep"] = [str(i) for v, (i, _) in found.items() if v != "203.0.113.77"]
    form["entity"] = []  # France is not published
    done = fr.post("/publish", data=form)
    assert done.status_code == 200 and re.search(r"\d+ objects stored in Shared", done.text), done.text

    mine = [o for o in stored(world, world.fr_token) if o.get("created_by_ref") == publish_identity()]
    names = {o["type"]: set() for o in mine}
    for o in mine:
        names[o["type"]].add(o["name"])
    assert names == {
        "indicator": {"evil-bank2.example.com"},
        "vulnerability": {"CVE-2024-3400"},
        "report": {"West African banks (reviewed)"},
    }
    indicator = next(o for o in mine if o["type"] == "indicator")
    assert indicator["pattern"] == "[domain-name:value = 'evil-bank2.example.com']"
    assert all(o["object_marking_refs"] == [publish.TLP2_MARKING_ID[publish.TLP.GREEN]] for o in mine)
    report = next(o for o in mine if o["type"] == "report")
    assert set(report["object_refs"]) == {o["id"] for o in mine if o["type"] != "report"}
    assert report["lang"] == "en" and report["description"].startswith("The operators used")


def publish_identity() -> str:
    from accord.extract.stix_bundle import IDENTITY_ID

    return IDENTITY_ID


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "Not a valid value for this type"), ("ar", "ليست قيمة صالحة"), ("zh", "不是")]
)
def test_an_invalid_edit_stores_nothing_and_says_why_next_to_it(
    app, world: World, lang: str, words: str
) -> None:
    fr, csrf = signed_in(app, world)
    before = stored(world, world.fr_token)
    page = preview(fr, csrf, TEXT).text
    found = rows(page)
    ip = found["203.0.113.77"][0]
    form = publish_form(page, collection=world.shared_uuid, **{f"value-{ip}": "203.0.113.999"})
    again = fr.post("/publish", params={"lang": lang}, data=form)
    assert again.status_code == 400 and words in again.text
    assert re.search(
        rf'name="value-{ip}" value="203.0.113.999" dir="auto"[^>]*aria-invalid="true"[^>]*>\s*'
        rf'<p class="error" id="error-{ip}">[^<]*{words}',
        again.text,
    )
    assert SENTENCE in sentences(again.text)  # the preview comes back whole
    assert stored(world, world.fr_token) == before
    # an unchecked invalid value does not matter
    form["keep"] = [k for k in form["keep"] if k != str(ip)]
    assert fr.post("/publish", data=form).status_code == 200
    added = [o for o in stored(world, world.fr_token) if o not in before]
    assert {o["type"] for o in added} >= {"indicator", "vulnerability", "location", "report"}
    assert next(o for o in added if o["type"] == "location")["country"] == "FR"  # the entity kept
    assert not [o for o in added if "203.0.113.77" in o.get("pattern", "")]  # unchecked, left out


def test_a_value_of_another_type_is_refused(app, world: World) -> None:
    fr, csrf = signed_in(app, world)
    page = preview(fr, csrf, TEXT).text
    domain = rows(page)["evil-bank.example.com"][0]
    form = publish_form(
        page, collection=world.shared_uuid, **{f"value-{domain}": "http://evil.example.com/x"}
    )
    assert fr.post("/publish", data=form).status_code == 400


def test_published_under_red_for_named_recipients_only(app, world: World) -> None:
    fr, ng, admin_client = TestClient(app), TestClient(app), TestClient(app)
    for client, token in ((fr, world.fr_token), (ng, world.ng_token), (admin_client, world.admin_token)):
        sign_in(client, token)
    csrf = csrf_of(fr.get("/publish").text)
    page = preview(fr, csrf, TEXT).text
    form = publish_form(page, collection=world.shared_uuid, tlp="TLP:RED", recipients="efcc-ng")
    assert "stored in Shared" in fr.post("/publish", data=form).text
    for client in (fr, ng):
        found = client.get("/intel", params={"q": "evil-bank", "tlp": "red"}).text
        assert "evil-bank.example.com" in found
    assert "evil-bank.example.com" not in admin_client.get("/intel", params={"q": "evil-bank"}).text


def test_publishing_needs_csrf_and_write_rights(app, world: World) -> None:
    fr, csrf = signed_in(app, world)
    page = preview(fr, csrf, TEXT).text
    form = publish_form(page, collection=world.shared_uuid)
    assert fr.post("/publish", data={**form, "csrf": ""}).status_code == 403
    private = fr.post("/publish", data={**form, "collection": "not-a-collection"})
    assert private.status_code == 400 and "stored in" not in private.text
    assert "Choose a collection your organization may write to." in private.text
    assert "evil-bank.example.com" not in fr.get("/intel", params={"q": "evil-bank"}).text


XSS = '<img src=x onerror=alert(1)><script>alert("x")</script>'


def test_html_in_the_document_or_the_form_is_shown_inert(app, world: World) -> None:
    fr, csrf = signed_in(app, world)
    page = preview(fr, csrf, f"Title {XSS}\nC2 {XSS} at 203.0.113.5 {XSS}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    form = publish_form(page, collection=world.shared_uuid, title=XSS, description=XSS)
    form["rows"] = json.dumps([["ipv4", XSS, "203.0.113.5", XSS]])
    form["value-0"] = XSS
    again = fr.post("/publish", data=form)
    assert again.status_code == 400 and "<script>alert" not in again.text and "<img src=x" not in again.text


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.txt", b"   \n", {"en": "The file is empty.", "ar": "الملف فارغ", "zh": "文件是空的"}),
        ("blob.bin", bytes(range(256)) * 8, {"en": "content is binary", "ar": "ثنائي", "zh": "二进制"}),
        ("locked.pdf", None, {"en": "protected by a password", "ar": "كلمة مرور", "zh": "密码"}),
        (
            "old.doc",
            b"\xd0\xcf\x11\xe0" + b"\x00" * 600,
            {"en": "old-format Office", "ar": "المشفرة", "zh": "旧格式"},
        ),
        ("broken.pdf", b"%PDF-1.4\nnot really", {"en": "PDF file is damaged", "ar": "تالف", "zh": "已损坏"}),
        ("broken.docx", "docx", {"en": "DOCX file is damaged", "ar": "تالف", "zh": "已损坏"}),
    ],
)
@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_unreadable_files_get_a_translated_one_line_error(
    app, world: World, lang: str, name: str, data: bytes | str | None, words: dict[str, str]
) -> None:
    fr, csrf = signed_in(app, world)
    made = {None: encrypted_pdf, "docx": damaged_docx}
    page = preview(fr, csrf, file=(name, made[data]() if data in made else data), lang=lang)
    assert page.status_code == 400
    error = re.search(r'<p class="error" role="alert">([^<]*)</p>', page.text)
    assert error and words[lang] in error.group(1) and "\n" not in error.group(1)
    assert "node said" not in error.group(1) and name not in error.group(1)
    assert 'class="card preview"' not in page.text


def test_a_file_over_the_cap_is_refused(app, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publish, "MAX_UPLOAD_BYTES", 1000)
    fr, csrf = signed_in(app, world)
    page = preview(fr, csrf, file=("big.txt", b"203.0.113.5 " * 100), lang="zh")
    assert page.status_code == 413 and "文件太大" in page.text


@pytest.mark.parametrize("both", [True, False])
def test_a_text_or_a_file_one_of_the_two(app, world: World, both: bool) -> None:
    fr, csrf = signed_in(app, world)
    file = ("r.txt", b"203.0.113.5") if both else None
    page = preview(fr, csrf, TEXT if both else "  ", file=file)
    assert page.status_code == 400 and "Paste a text or upload a report (one of the two)." in page.text


def test_a_long_list_is_capped_and_the_page_says_so(
    app, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish, "MAX_INDICATORS", 2)
    fr, csrf = signed_in(app, world)
    page = preview(fr, csrf, TEXT).text
    assert len(rows(page)) == 2 and "Only the first 2 of the 3 indicators found are shown." in page


def test_a_full_preview_of_long_chinese_sentences_fits_in_the_form(app, world: World) -> None:
    """400 rows whose sentences are all long Chinese text still post back within Starlette's limits."""
    filler = "攻击者在夜间通过该服务器向多家银行的客户发送钓鱼短信并窃取其网上银行凭据" * 3
    text = "长报告\n" + "\n".join(
        f"{filler}，服务器地址为 10.{i // 250}.{i % 250}.7，{filler}" for i in range(publish.MAX_INDICATORS)
    )
    fr, csrf = signed_in(app, world)
    page = preview(fr, csrf, text).text
    assert len(rows(page)) == publish.MAX_INDICATORS
    done = fr.post("/publish", data=publish_form(page, collection=world.shared_uuid))
    assert done.status_code == 200 and "stored in Shared" in done.text


def test_a_parser_failing_its_own_way_still_gives_one_translated_sentence(
    app, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def trips(data: bytes, name: str) -> str:
        raise RecursionError("deeply nested PDF objects")

    monkeypatch.setattr(publish, "read_bytes", trips)
    fr, csrf = signed_in(app, world)
    page = preview(fr, csrf, file=("odd.pdf", b"%PDF-1.7 ..."), lang="ar")
    assert page.status_code == 400 and "تعذرت قراءة الملف." in page.text and "nested" not in page.text
