"""Sweep page: upload or pick a log, follow the sweep, see the hits, send the sightings; and what
an organization must never see or reach through it."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient
from stixgen import stix_id
from web_world import FROM_PEER, PRIVATE, RED_SECRET, World, csrf_of, eve, sign_in

from accord.audit import current_head
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import stix_object
from accord.web import errors, logfiles
from accord.web.i18n import Lang

LOG = eve(
    "www.kit.example.net",
    "kit.example.net",
    f"{RED_SECRET}.example.com",
    f"{PRIVATE}.example.com",
    f"{FROM_PEER}.example.com",
    "harmless.example.org",
)


def start(client: TestClient, collection: str, log: bytes | None = None, **fields: str):
    form = client.get("/sweep")
    assert form.status_code == 200
    csrf = csrf_of(form.text)
    data = {"csrf": csrf, "collection": collection, "format": "auto", **fields}
    files = {"upload": ("eve.json", log, "application/octet-stream")} if log is not None else None
    # multipart, as the page's form sends it: the CSRF token travels in the action's query string
    return client.post("/sweep", params={"csrf": csrf}, data=data, files=files, follow_redirects=False)


def finished(client: TestClient, job_url: str) -> str:
    """Poll the progress fragment as the page's script does, then return the job's page."""
    deadline = time.monotonic() + 120
    while "data-done" not in client.get(job_url + "/progress").text:
        assert time.monotonic() < deadline, "the sweep did not finish"
        time.sleep(0.1)
    page = client.get(job_url)
    assert page.status_code == 200
    return page.text


def run(client: TestClient, collection: str, log: bytes = LOG, **fields: str) -> tuple[str, str]:
    started = start(client, collection, log, **fields)
    assert started.status_code == 303, started.text
    job_url = started.headers["location"]
    return job_url, finished(client, job_url)


def sighted(page: str) -> set[str]:
    table = page.split('class="sighted"', 1)[1].split("</table>", 1)[0]
    return set(re.findall(r'dir="auto">([^<]+)</a>', table))


def _sightings(world: World) -> list[dict]:
    with read_transaction(world.node.engine) as conn:
        rows = conn.execute(sa.select(stix_object.c.body).where(stix_object.c.type == "sighting"))
        return [json.loads(r.body) for r in rows]


def test_upload_sweep_follow_and_send_the_sightings(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    form = fr.get("/sweep").text
    assert 'enctype="multipart/form-data"' in form and 'href="/sweep"' in form
    job_url, page = run(fr, world.shared_uuid)
    assert sighted(page) == {"fr-phishing-kit", FROM_PEER}
    assert "www.kit.example.net" in page and "dns.rrname" in page  # the hits
    assert re.search(r'id="sighted-count">2<', page)
    assert not list((world.node.settings.data_dir / logfiles.UPLOADS_DIR).iterdir())  # upload deleted
    assert "eve.json" in fr.get("/sweep").text  # listed among recent sweeps

    with read_transaction(world.node.engine) as conn:
        size_before = current_head(conn).tree_size
    sent = fr.post(
        job_url + "/sightings",
        data={"csrf": csrf_of(page), "collection": world.shared_uuid, "tlp": "TLP:GREEN"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    after = fr.get(job_url).text
    assert "2 sightings stored in \u2068Shared\u2069." in after and 'action="' + job_url not in after
    stored = _sightings(world)
    assert {s["sighting_of_ref"] for s in stored} == {
        stix_id("indicator", "fr-phishing-kit"),
        stix_id("indicator", FROM_PEER),
    }
    fr_identity = next(o.identity_id for o in _orgs(world) if o.name == "cert-fr")
    assert all(s["where_sighted_refs"] == [fr_identity] for s in stored)
    assert {s["count"] for s in stored} == {2, 1}
    with read_transaction(world.node.engine) as conn:
        assert current_head(conn).tree_size > size_before  # recorded in the audit log
        routed = conn.execute(  # what sync routes home: sightings about the peer's indicator
            sa.select(sa.func.count())
            .select_from(stix_object)
            .where(
                stix_object.c.type == "sighting", stix_object.c.about_ref == stix_id("indicator", FROM_PEER)
            )
        ).scalar_one()
    assert routed == 1
    again = fr.post(job_url + "/sightings", data={"csrf": csrf_of(page), "collection": world.shared_uuid})
    assert again.status_code == 409 and len(_sightings(world)) == 2


def test_two_sweeps_of_one_log_send_the_same_sightings_once(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    pages = []
    for _ in range(2):
        job_url, page = run(fr, world.shared_uuid)
        sent = fr.post(
            job_url + "/sightings",
            data={"csrf": csrf_of(page), "collection": world.shared_uuid, "tlp": "TLP:GREEN"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        pages.append(fr.get(job_url).text)
    assert "2 sightings stored in \u2068Shared\u2069." in pages[0]
    assert "0 sightings stored in \u2068Shared\u2069." in pages[1] and 'class="error"' not in pages[1]
    with read_transaction(world.node.engine) as conn:
        rows = conn.execute(
            sa.select(stix_object.c.stix_id, stix_object.c.version).where(stix_object.c.type == "sighting")
        ).all()
    assert len(rows) == 2 and len({r.stix_id for r in rows}) == 2  # one version of each, no duplicate


def _orgs(world: World) -> list[admin.Org]:
    with read_transaction(world.node.engine) as conn:
        return admin.list_orgs(conn)


def test_logs_on_the_server_are_listed_and_nothing_else_can_be_picked(
    app, world: World, tmp_path: Path
) -> None:
    logs = logfiles.logs_dir(world.node.settings.data_dir)
    (logs / "suricata").mkdir(parents=True)
    (logs / "suricata" / "eve.json").write_bytes(LOG)
    outside = tmp_path / "secret.log"
    outside.write_bytes(eve("kit.example.net"))
    (logs / "escape.log").symlink_to(outside)
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    form = fr.get("/sweep").text
    assert '<option value="suricata/eve.json">' in form and "escape.log" not in form
    for name in ("../web.db", str(outside), "escape.log", "suricata/../../web.db", "/etc/passwd"):
        refused = start(fr, world.shared_uuid, server_log=name)
        assert refused.status_code == 400, name
        assert "not in the node" in refused.text
    started = start(fr, world.shared_uuid, server_log="suricata/eve.json")
    assert started.status_code == 303
    page = finished(fr, started.headers["location"])
    assert sighted(page) == {"fr-phishing-kit", FROM_PEER}
    assert (logs / "suricata" / "eve.json").exists()  # the server's own logs are left in place
    both = start(fr, world.shared_uuid, LOG, server_log="suricata/eve.json")
    neither = start(fr, world.shared_uuid)
    assert both.status_code == neither.status_code == 400 and "one of the two" in neither.text


def test_an_organization_never_sees_another_s_indicators_or_sweeps(app, world: World) -> None:
    fr, ng = TestClient(app), TestClient(app)
    sign_in(fr, world.fr_token)
    sign_in(ng, world.ng_token)
    with read_transaction(world.node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        assert root is not None
        private = admin.find_collection(conn, root, "ng-only")
        assert private is not None
    form = fr.get("/sweep").text
    assert private.uuid not in form and "NG only" not in form and "Requests for assistance" not in form
    refused = start(fr, private.uuid, LOG)
    assert refused.status_code == 400 and "may read" in refused.text
    fr_url, fr_page = run(fr, world.shared_uuid)
    for hidden in (RED_SECRET, PRIVATE, stix_id("indicator", RED_SECRET), stix_id("indicator", PRIVATE)):
        assert hidden not in fr_page
    assert f"{RED_SECRET}.example.com" not in fr_page  # not even as a hit
    ng_url, ng_page = run(ng, world.shared_uuid)
    assert sighted(ng_page) == {"fr-phishing-kit", FROM_PEER, RED_SECRET}
    _, ng_private = run(ng, private.uuid)
    assert sighted(ng_private) == {PRIVATE}
    for path in (ng_url, ng_url + "/progress"):
        assert fr.get(path).status_code == 404
    csrf = csrf_of(fr.get("/sweep").text)
    posted = fr.post(ng_url + "/sightings", data={"csrf": csrf, "collection": world.shared_uuid})
    assert posted.status_code == 404 and _sightings(world) == []
    assert ng_url.rsplit("/", 1)[1] not in fr.get("/sweep").text
    assert fr_url.rsplit("/", 1)[1] not in ng.get("/sweep").text
    # sightings go only where the organization may write
    sent = fr.post(fr_url + "/sightings", data={"csrf": csrf, "collection": private.uuid, "tlp": "green"})
    assert sent.status_code == 400 and _sightings(world) == []


def test_sweep_forms_need_csrf(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    files = {"upload": ("eve.json", LOG, "application/octet-stream")}
    refused = fr.post("/sweep", data={"collection": world.shared_uuid}, files=files)
    assert refused.status_code == 403
    job_url, page = run(fr, world.shared_uuid)
    assert fr.post(job_url + "/sightings", data={"collection": world.shared_uuid}).status_code == 403
    assert _sightings(world) == []


def test_sweep_errors_are_translated(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    expected = {
        "en": "The format of the log was not recognised: choose it in the form.",
        "ar": "لم يُتعرَّف على صيغة السجل: اخترها في النموذج.",
        "zh": "无法识别日志格式：请在表单中选择。",
    }
    for lang, message in expected.items():
        fr.get("/sweep", params={"lang": lang})
        job_url, page = run(fr, world.shared_uuid, b"\x00\x01 not a log at all\n")
        assert f'<p class="error" role="alert" id="sweep-error">{message}</p>' in page, lang
    with write_transaction(world.node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        assert root is not None
        empty = admin.add_collection(conn, root, "Empty", alias="empty")
        org = admin.find_org(conn, "cert-fr")
        assert org is not None
        admin.grant(conn, empty, org, read=True, write=False)
    fr.get("/sweep", params={"lang": "zh"})
    _, page = run(fr, empty.uuid)
    assert "您的组织在此集合中看不到任何指标" in page
    fr.get("/sweep", params={"lang": "ar"})
    neither = start(fr, world.shared_uuid)
    assert neither.status_code == 400 and "ارفع سجلًا أو اختر سجلًا على الخادم" in neither.text


def test_at_most_two_sweeps_run_at_once(world: World) -> None:
    from accord.web.sweep_jobs import Job, SweepBusy, SweepJobs

    with read_transaction(world.node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        assert root is not None
        shared = admin.find_collection(conn, root, "shared")
    assert shared is not None
    release = threading.Event()
    jobs = SweepJobs()

    def job(n: int) -> Job:
        return Job(
            id=f"job-{n}",
            org_id=1,
            collection=shared,
            source="x",
            fmt="auto",
            exact_domains=False,
            total_bytes=1,
        )

    def work(job: Job) -> None:
        release.wait(60)
        job.stage = "done"

    running = [job(1), job(2)]
    for j in running:
        jobs.start(j, work)
    with pytest.raises(SweepBusy) as busy:
        jobs.start(job(3), work)
    assert "此节点上正在运行的扫描过多" in errors.explain(Lang("zh"), busy.value)
    release.set()
    deadline = time.monotonic() + 30
    while not all(j.finished for j in running):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    jobs.start(job(4), work)  # room again
