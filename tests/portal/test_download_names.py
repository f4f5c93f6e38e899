"""A file's name can't rewrite its download (issue 18, item 4): a FILE input uploaded as
`invoice.exe"; filename*=UTF-8''evil.html; x=".txt` passes the extension check, and its
download, from the page and from the API, is still saved under that one whole name.

Only public doors: the form, the page's and the API's downloads through Django's test
client, the delivery and poll services a worker runs, and the emulator over HTTP.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.http import parse_header_parameters

from accounts import policy
from apps_catalog.services import app_save_source
from executions import presenters, services
from executions.models import Execution
from tests import kestra_http

pytestmark = pytest.mark.django_db

EVIL = "invoice.exe\"; filename*=UTF-8''evil.html; x=\".txt"
PUBLIC_TICKETS = """id: public_tickets
type: io.kestra.plugin.ee.apps.Execution
displayName: Tickets (public)
namespace: demo
flowId: it_ticket
access: PUBLIC
"""


B = "boundary4711"


def _as_curl_sends_it() -> bytes:
    """The form as `curl -F 'input.attachment=@f;filename=...'` sends it: the quotes in the
    name escaped with a backslash, which the multipart parser reads back as quotes."""
    quoted = EVIL.replace('"', '\\"')
    parts = [
        f'--{B}\r\nContent-Disposition: form-data; name="input.title"\r\n\r\nPrinter on fire',
        f'--{B}\r\nContent-Disposition: form-data; name="input.kind"\r\n\r\nBug',
        f'--{B}\r\nContent-Disposition: form-data; name="input.attachment"; filename="{quoted}"'
        "\r\nContent-Type: text/plain\r\n\r\nhello",
    ]
    return ("\r\n".join(parts) + f"\r\n--{B}--\r\n").encode()


@pytest.fixture
def uploaded(kestra) -> tuple[str, Execution, str]:  # type: ignore[no-untyped-def]
    """The app's uid, the ticket that went through with the file, and the file's path."""
    app, _ = app_save_source(source=PUBLIC_TICKETS)
    posted = Client().post(
        f"/apps/{app.uid}/", _as_curl_sends_it(), content_type=f"multipart/form-data; boundary={B}"
    )
    assert posted.status_code == 302
    execution = Execution.objects.get()
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    (path,) = presenters.known_files(execution)
    return app.uid, execution, path


def _saved_as(disposition: str) -> str:
    """The name a browser saves the download under (RFC 6266: filename* wins)."""
    kind, params = parse_header_parameters(disposition)
    assert kind == "attachment"
    return params["filename"]


def test_the_page_gives_the_file_its_whole_name(uploaded) -> None:
    uid, execution, path = uploaded
    page = f"/apps/{uid}/executions/{execution.kestra_id}"
    link = policy.execution_link(execution)  # another browser than the submitter's
    response = Client().get(f"{page}/files/", {"path": path, "link": link})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    assert _saved_as(response["Content-Disposition"]) == presenters.file_name(path)
    assert presenters.file_name(path).endswith(".txt")


def test_the_api_gives_the_file_its_whole_name(uploaded) -> None:
    uid, execution, path = uploaded
    response = Client().get(
        f"/api/v1/main/apps/view/{uid}/file/download",
        {
            "path": path,
            "executionId": execution.kestra_id,
            "link": policy.execution_link(execution),
        },
    )
    assert response.status_code == 200
    assert _saved_as(response["Content-Disposition"]) == presenters.file_name(path)
