"""Work a request leaves for after its response (kestra_apps.after_response): the workers'
wake-up is sent once the visitor has their page, and a broker that cannot take it costs
the visitor nothing."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from kombu.exceptions import OperationalError

from executions import enqueue
from executions.models import Execution
from kestra_apps.after_response import AfterResponseMiddleware, later

# Closing a response tells Django the request has finished, which tidies the database
# connections.
pytestmark = pytest.mark.django_db


def _serve(view):
    return AfterResponseMiddleware(view)(RequestFactory().get("/"))


def test_work_left_by_a_view_is_done_when_the_response_is_closed_not_before():
    done: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        later(lambda: done.append("first"))
        later(lambda: done.append("second"))
        return HttpResponse("page")

    response = _serve(view)
    assert done == []  # the response is still on its way

    response.close()
    assert done == ["first", "second"]


def test_outside_a_request_the_work_is_done_at_once():
    done: list[str] = []
    later(lambda: done.append("now"))
    assert done == ["now"]


def test_a_streamed_response_does_not_hold_the_work_while_it_stays_open():
    done: list[str] = []

    def view(request: HttpRequest) -> StreamingHttpResponse:
        later(lambda: done.append("now"))
        return StreamingHttpResponse(iter([b"event"]))

    _serve(view)
    assert done == ["now"]


def test_a_view_that_fails_still_gets_its_work_done():
    done: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        later(lambda: done.append("kept"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        _serve(view)
    assert done == ["kept"]


def test_work_that_fails_is_logged_and_the_rest_still_runs(caplog):
    done: list[str] = []

    def broken() -> None:
        raise OperationalError("broker down")

    def view(request: HttpRequest) -> HttpResponse:
        later(broken)
        later(lambda: done.append("after"))
        return HttpResponse("page")

    _serve(view).close()
    assert done == ["after"]
    assert "work after the response failed" in caplog.messages


@pytest.mark.django_db(transaction=True)  # the submission's transaction really commits
def test_a_submission_while_the_broker_is_down_sends_the_visitor_to_their_page(
    client, kestra, data_request_app, monkeypatch, caplog
):
    sent: list[str] = []

    def unreachable(name: str, args: tuple = ()) -> None:
        sent.append(name)
        raise OperationalError("the broker cannot be reached")

    monkeypatch.setattr(enqueue.current_app, "send_task", unreachable)

    response = client.post(
        f"/apps/{data_request_app.uid}/",
        {"input.dataset": "stores", "input.since": "2025-01-01", "input.rows": "10"},
    )

    stored = Execution.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(f"/apps/{data_request_app.uid}/executions/")
    # Stored and due: the periodic hand-out of due work delivers it once the broker is back.
    assert stored.delivery == Execution.Delivery.QUEUED
    assert sent == [enqueue.DELIVER]
    assert "work after the response failed" in caplog.messages
