"""Where the portal is served under WSGI (runserver, a sync gunicorn) pages do not stream:
the page offers no stream and asks /live/, and a stream asked for anyway is refused with
503 and Retry-After, costing no thread. Under ASGI: tests/integration/test_live_pages.py."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accounts import policy
from apps_catalog.services import app_save_source
from executions.models import Execution
from kestra_apps.streams import SLOTS

pytestmark = pytest.mark.django_db

APP = """id: live_wsgi
type: io.kestra.plugin.ee.apps.Execution
displayName: Live under WSGI
namespace: demo
flowId: data_request
access: PUBLIC
"""


def test_under_wsgi_a_page_polls_and_its_stream_is_refused():
    app = app_save_source(source=APP)[0]
    execution = Execution.objects.create(
        app=app, kestra_id="livewsgi000000000001", delivery="DELIVERED", state="RUNNING",
        stage="RUNNING", next_action_at=timezone.now(),
    )  # fmt: skip
    client = Client()
    path = f"/apps/{app.uid}/executions/{execution.kestra_id}/"
    page = client.get(path, {"link": policy.execution_link(execution)})
    assert page.status_code == 200
    assert b"data-live-url" in page.content and b"data-stream-url" not in page.content

    refused = client.get(f"{path}stream/")
    assert refused.status_code == 503 and refused["Retry-After"] == "5"
    assert SLOTS.open == 0
    assert client.get(f"{path}live/").status_code == 200  # what the page asks instead
