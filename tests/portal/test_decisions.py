"""The record a decision leaves, and what a decision does to the stored execution.

Direct tests of executions.actions, with a Kestra client that only notes what it was asked
(the guard tests and the permission matrices send the same decisions to the emulator over
HTTP): who decided, from where, with what, and that nothing a worker wrote meanwhile is
overwritten.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import timezone

from executions import actions
from executions.models import Decision, Execution
from tests.conftest import import_example

pytestmark = pytest.mark.django_db

PAUSED = {"state": "PAUSED"}
SECRET_FORM = {
    "inputs": [
        {"input": {"id": "approved", "type": "BOOL"}},
        {"input": {"id": "passphrase", "type": "SECRET"}},
        {"input": {"id": "evidence", "type": "FILE"}},
    ]
}


class NotingClient:
    """Kestra as far as a decision needs it: what was asked, and a state to answer."""

    def __init__(self, state: dict[str, Any] | None) -> None:
        self.answer = {"state": state} if state is not None else {}
        self.calls: list[tuple[Any, ...]] = []

    def execution(self, kestra_id: str) -> dict[str, Any]:
        return self.answer

    def resume(self, kestra_id: str, values: dict[str, str], files: Any) -> None:
        self.calls.append(("resume", kestra_id, values, files))

    def kill(self, kestra_id: str) -> None:
        self.calls.append(("kill", kestra_id))


@pytest.fixture
def kestra(monkeypatch) -> NotingClient:
    client = NotingClient({"current": "PAUSED"})
    monkeypatch.setattr(actions, "get_client", lambda: client)
    return client


@pytest.fixture
def paused() -> Execution:
    return Execution.objects.create(
        app=import_example("vacation_approval"),
        kestra_id="k-paused",
        delivery="DELIVERED",
        state="PAUSED",
        stage="PAUSE",
        resume_form=SECRET_FORM,
        snapshot={"state": {"current": "PAUSED", "histories": [{"state": "RUNNING"}, PAUSED]}},
        next_action_at=timezone.now() + timedelta(minutes=5),
    )


def _request(session_key: str = "", **meta: str) -> Any:
    request = RequestFactory().post("/", **meta)
    request.user = AnonymousUser()
    request.session = SessionStore(session_key=session_key or None)
    return request


def test_the_record_keeps_a_digest_of_the_session_the_address_and_the_browser():
    request = _request("k" * 32, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="b" * 400)
    actor = actions.Actor.from_request(request)
    assert actor.session == hashlib.sha256(("k" * 32).encode()).hexdigest()[:16]
    assert actor.ip_address == "203.0.113.7"
    assert actor.user_agent == "b" * 300
    assert actor.user is None


def test_without_a_session_address_or_browser_the_record_leaves_them_empty():
    request = _request()
    request.META.pop("REMOTE_ADDR", None)
    actor = actions.Actor.from_request(request)
    assert (actor.session, actor.ip_address, actor.user_agent) == ("", None, "")


def test_a_resume_is_recorded_with_who_where_and_the_values_secrets_masked(kestra, paused):
    actor = actions.Actor(session="5e55", ip_address="198.51.100.2", user_agent="Firefox")
    evidence = ("report.csv", io.BytesIO(b"a,b"), "text/csv")
    values = {"approved": "true", "passphrase": "open-sesame"}

    actions.execution_resume(
        execution=paused, actor=actor, values=values, files={"evidence": evidence}
    )

    assert kestra.calls == [("resume", "k-paused", values, {"evidence": evidence})]
    decision = Decision.objects.get()
    assert (decision.action, decision.label, decision.session) == ("RESUME", "Resume", "5e55")
    assert (decision.ip_address, decision.user_agent) == ("198.51.100.2", "Firefox")
    assert decision.values == {
        "approved": "true",
        "passphrase": "******",
        "evidence": "file: report.csv",
    }


def test_a_resume_moves_the_page_on_and_polls_at_once_without_undoing_a_workers_write(
    kestra, paused
):
    Execution.objects.filter(pk=paused.pk).update(log_count=7)  # a worker, meanwhile
    actions.execution_resume(execution=paused, actor=actions.Actor(), values={}, label="Ja")

    stored = Execution.objects.get(pk=paused.pk)
    assert (stored.state, stored.stage, stored.resume_form) == ("RESTARTED", "RESUME", {})
    assert stored.log_count == 7
    assert stored.next_action_at <= timezone.now()
    assert Decision.objects.get().label == "Ja"


def test_a_long_button_text_is_cut_to_what_the_record_holds(kestra, paused):
    actions.execution_resume(execution=paused, actor=actions.Actor(), values={}, label="x" * 200)
    assert Decision.objects.get().label == "x" * 150


def test_a_cancel_kills_records_and_shows_the_kill_at_once(kestra, paused):
    Execution.objects.filter(pk=paused.pk).update(log_count=7)
    actions.execution_cancel(execution=paused, actor=actions.Actor(ip_address="192.0.2.1"))

    assert kestra.calls == [("kill", "k-paused")]
    decision = Decision.objects.get()
    assert (decision.action, decision.label, decision.values) == ("CANCEL", "Cancel", {})
    assert decision.ip_address == "192.0.2.1"
    stored = Execution.objects.get(pk=paused.pk)
    assert (stored.state, stored.log_count) == ("KILLING", 7)
    assert stored.next_action_at <= timezone.now()
    assert not stored.is_cancellable


def test_a_cancel_goes_ahead_when_kestra_says_nothing_of_the_state(kestra, paused):
    kestra.answer = {}
    actions.execution_cancel(execution=paused, actor=actions.Actor())
    assert kestra.calls == [("kill", "k-paused")]


def test_a_cancel_of_what_kestra_already_finished_is_refused_and_not_recorded(kestra, paused):
    kestra.answer = {"state": {"current": "SUCCESS"}}
    with pytest.raises(actions.AlreadyOver):
        actions.execution_cancel(execution=paused, actor=actions.Actor())
    assert kestra.calls == [] and not Decision.objects.exists()
