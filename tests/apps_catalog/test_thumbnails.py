"""Thumbnails kept as namespace files (`thumbnail: nsfiles:///logo.svg`): read through
Kestra's namespace files API (the emulator's, over HTTP), cached, served by the portal, and
shown on the catalog card, the app page, the API's catalog and the admin's preview; absent,
never an error, when the file is missing, not a picture, too big, or Kestra is down."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps_catalog.models import App
from apps_catalog.services import app_save_source
from apps_catalog.thumbnails import namespace_file_path
from executions.kestra import KestraClient, KestraUnavailable
from tests.apps_catalog.conftest import app_yaml
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4"/></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CARD_IMG = re.compile(r'<img class="card-thumbnail" src="(/apps/[A-Za-z0-9]{22}/thumbnail\?v=\w+)"')


@pytest.fixture(scope="module")
def files_kestra(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """An emulator whose namespace files are a folder of this module's: (URL, folder)."""
    from kestra_emulator.server import create_app, start_in_thread

    folder = tmp_path_factory.mktemp("namespace_files")
    emulator = create_app(flows_dir=EXAMPLES / "flows", namespace_files_dir=folder)
    server, base_url = start_in_thread(emulator)
    yield base_url, folder
    server.shutdown()
    emulator.shutdown()


@pytest.fixture
def nsfiles(settings, files_kestra) -> Path:
    """The portal on that emulator; the demo namespace's files folder, emptied."""
    url, folder = files_kestra
    settings.KESTRA_URL = url
    demo = folder / "demo"
    demo.mkdir(exist_ok=True)
    for old in demo.iterdir():
        old.unlink()
    return demo


def public_app(thumbnail: str, app_id: str = "pictured") -> App:
    source = app_yaml(app_id, access="PUBLIC", thumbnail=f'"{thumbnail}"')
    return app_save_source(source=source)[0]


def dead_kestra() -> str:
    """The URL of a port nothing listens on: every request is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("thumbnail", "path"),
    [
        ("nsfiles:///logo.svg", "/logo.svg"),
        ("nsfile:///img/logo.PNG", "/img/logo.PNG"),
        ("nsfiles:///my%20logo.jpg", "/my logo.jpg"),
        ("nsfiles:///a/../b.webp", "/b.webp"),
        ("nsfiles://other.namespace/logo.svg", None),  # another namespace's
        ("nsfiles:///../../_flows/x.svg", None),  # Kestra's flows folder
        ("nsfiles:///", None),
        ("nsfiles:///logo.html", None),  # not a picture
        ("https://example.com/a.png", None),
        ("kestra:///demo/logo.svg", None),
    ],
)
def test_which_thumbnails_name_a_namespace_file(thumbnail, path):
    assert namespace_file_path(thumbnail) == path


def test_the_catalog_card_shows_the_namespace_file_served_by_the_portal(client, outsider, nsfiles):
    (nsfiles / "logo.svg").write_bytes(SVG)
    app = public_app("nsfiles:///logo.svg")
    client.force_login(outsider)

    html = client.get("/apps/").content.decode()
    (src,) = CARD_IMG.findall(html)
    picture = client.get(src)

    assert src.startswith(f"/apps/{app.uid}/thumbnail?v=")
    assert picture.status_code == 200
    assert picture.content == SVG
    assert picture["Content-Type"] == "image/svg+xml"
    # Opened on its own, the SVG runs no script and loads nothing; no type is guessed.
    assert "sandbox" in picture["Content-Security-Policy"]
    assert "default-src 'none'" in picture["Content-Security-Policy"]
    assert picture["X-Content-Type-Options"] == "nosniff"
    assert picture["Cache-Control"].startswith("private")


def test_a_missing_file_is_no_thumbnail_and_no_error(client, outsider, nsfiles):
    app = public_app("nsfiles:///nowhere.svg")
    client.force_login(outsider)

    page = client.get("/apps/")

    assert page.status_code == 200 and "card-thumbnail" not in page.content.decode()
    assert ">Pictured</a>" in page.content.decode()
    assert client.get(f"/apps/{app.uid}/thumbnail").status_code == 404


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.svg", b"<html><script>alert(1)</script></html>"),  # says SVG, is a page
        ("logo.png", b"GIF89a not a png"),
        ("logo.svg", b"<svg" + b" " * 300),  # larger than THUMBNAIL_MAX_BYTES below
    ],
)
def test_a_file_that_is_not_a_small_picture_of_its_kind_is_not_served(
    client, outsider, nsfiles, settings, name, content
):
    settings.THUMBNAIL_MAX_BYTES = 200
    (nsfiles / name).write_bytes(content)
    app = public_app(f"nsfiles:///{name}")
    client.force_login(outsider)

    assert "card-thumbnail" not in client.get("/apps/").content.decode()
    assert client.get(f"/apps/{app.uid}/thumbnail").status_code == 404


def test_with_kestra_down_the_catalog_shows_no_thumbnail_and_stays_quick(
    client, outsider, settings
):
    settings.KESTRA_URL = dead_kestra()
    apps = [public_app(f"nsfiles:///logo{n}.svg", f"pictured_{n}") for n in range(5)]
    client.force_login(outsider)

    started = time.monotonic()
    page = client.get("/apps/")
    took = time.monotonic() - started

    assert page.status_code == 200
    assert page.content.decode().count('class="card"') == 5
    assert "card-thumbnail" not in page.content.decode()
    assert took < 2.0
    assert client.get(f"/apps/{apps[0].uid}/thumbnail").status_code == 404


def test_a_thumbnail_read_once_is_served_from_the_cache_while_kestra_is_down(
    client, outsider, nsfiles, settings
):
    (nsfiles / "logo.png").write_bytes(PNG)
    app = public_app("nsfiles:///logo.png")
    client.force_login(outsider)
    assert client.get(f"/apps/{app.uid}/thumbnail").content == PNG

    settings.KESTRA_URL = dead_kestra()
    (nsfiles / "logo.png").unlink()

    again = client.get(f"/apps/{app.uid}/thumbnail")
    assert again.status_code == 200 and again.content == PNG
    assert again["Content-Type"] == "image/png"


def test_a_file_found_missing_is_asked_again_after_the_retry_time(
    client, outsider, nsfiles, settings
):
    settings.THUMBNAIL_RETRY_SECONDS = 1  # whole seconds: Redis keeps no less
    app = public_app("nsfiles:///late.svg")
    client.force_login(outsider)
    assert client.get(f"/apps/{app.uid}/thumbnail").status_code == 404

    (nsfiles / "late.svg").write_bytes(SVG)
    assert client.get(f"/apps/{app.uid}/thumbnail").status_code == 404  # still remembered
    time.sleep(1.2)

    assert client.get(f"/apps/{app.uid}/thumbnail").content == SVG


def test_the_app_page_header_shows_the_thumbnail(client, nsfiles):
    (nsfiles / "logo.svg").write_bytes(SVG)
    app = public_app("nsfiles:///logo.svg")

    html = client.get(f"/apps/{app.uid}/").content.decode()

    assert re.search(
        rf'<h1 class="app-title"><img class="app-thumbnail" src="/apps/{app.uid}/thumbnail\?v=\w+"',
        html,
    )


def test_the_api_catalog_gives_the_thumbnail_as_an_absolute_portal_url(client, outsider, nsfiles):
    (nsfiles / "logo.svg").write_bytes(SVG)
    pictured = public_app("nsfiles:///logo.svg")
    public_app("nsfiles:///missing.svg", "unpictured")
    client.force_login(outsider)

    results = client.get("/api/v1/main/apps/catalog").json()["results"]
    thumbnails = {item["uid"]: item["thumbnail"] for item in results}

    assert re.fullmatch(
        rf"http://testserver/apps/{pictured.uid}/thumbnail\?v=\w+", thumbnails[pictured.uid]
    )
    assert list(thumbnails.values()).count(None) == 1
    assert client.get(thumbnails[pictured.uid]).content == SVG


def test_the_admin_preview_shows_the_namespace_file_in_the_header(client, admin, nsfiles):
    (nsfiles / "logo.svg").write_bytes(SVG)
    client.force_login(admin)
    source = app_yaml("not_saved_yet", access="PUBLIC", thumbnail="nsfiles:///logo.svg")

    answer = client.post("/admin/apps_catalog/app/preview/", {"source": source}).json()

    # The preview is a sandboxed frame of an app that may not exist yet: the picture is in it.
    assert answer["valid"]
    assert '<img class="app-thumbnail" src="data:image/svg+xml;base64,' in answer["html"]


def test_a_page_of_cards_stops_asking_kestra_once_it_does_not_answer(
    client, outsider, kestra, monkeypatch
):
    asked: list[str] = []

    def unavailable(self, namespace: str, path: str, **kwargs) -> bytes:
        asked.append(path)
        raise KestraUnavailable("Kestra answered 503")

    monkeypatch.setattr(KestraClient, "namespace_file", unavailable)
    for n in range(5):
        public_app(f"nsfiles:///logo{n}.svg", f"pictured_{n}")
    client.force_login(outsider)

    first = client.get("/apps/")
    second = client.get("/apps/")
    header = client.get(f"/apps/{App.objects.get(app_id='pictured_4').uid}/")

    assert first.status_code == second.status_code == header.status_code == 200
    assert "card-thumbnail" not in first.content.decode()
    assert "app-thumbnail" not in header.content.decode()
    # One request, for the first card: then nobody asks until THUMBNAIL_RETRY_SECONDS pass.
    assert asked == ["/logo0.svg"]


def test_kestra_is_asked_again_once_the_retry_time_passed(client, outsider, nsfiles, settings):
    settings.THUMBNAIL_RETRY_SECONDS = 1  # whole seconds: Redis keeps no less
    (nsfiles / "logo.svg").write_bytes(SVG)
    app = public_app("nsfiles:///logo.svg")
    client.force_login(outsider)
    url = settings.KESTRA_URL
    settings.KESTRA_URL = dead_kestra()
    assert client.get(f"/apps/{app.uid}/thumbnail").status_code == 404

    settings.KESTRA_URL = url
    assert client.get(f"/apps/{app.uid}/thumbnail").status_code == 404  # still remembered
    time.sleep(1.2)

    assert client.get(f"/apps/{app.uid}/thumbnail").content == SVG


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"disabled": "true"}, 404),  # not there at all
        ({"expiration": "{endDate: 2020-01-01T00:00:00Z}"}, 200),  # its executions' pages
        ({"access": "{type: PUBLIC, catalog: false}"}, 200),  # its page, by its link
    ],
)
def test_the_thumbnail_follows_who_may_see_the_app(client, outsider, nsfiles, extra, status):
    (nsfiles / "logo.svg").write_bytes(SVG)
    source = app_yaml("pictured", **{"access": "PUBLIC", **extra}, thumbnail="nsfiles:///logo.svg")
    app = app_save_source(source=source)[0]
    client.force_login(outsider)

    assert client.get(f"/apps/{app.uid}/thumbnail").status_code == status
    assert client.get("/apps/nosuchapp0000000000000/thumbnail").status_code == 404
