"""What a page view costs in calls to Kestra."""

import pytest

from executions.kestra.client import KestraClient
from executions.models import Execution
from tests.conftest import import_example
from tests.personas import own_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def kestra_calls(monkeypatch, kestra):
    calls: list[str] = []
    original = KestraClient._request

    def counting(self, method, path, **kwargs):
        calls.append(f"{method} {path}")
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(KestraClient, "_request", counting)
    return calls


def test_a_form_without_dynamic_inputs_costs_no_call_once_the_flow_is_cached(
    client, kestra_calls, data_request_app
):
    client.get(f"/apps/{data_request_app.uid}/")
    kestra_calls.clear()
    response = client.get(f"/apps/{data_request_app.uid}/")
    assert response.status_code == 200 and b'name="input.rows"' in response.content
    assert kestra_calls == []


def test_a_form_with_conditional_inputs_costs_one_call(client, kestra_calls, admin):
    app = import_example("it_ticket")
    client.force_login(admin)
    client.get(f"/apps/{app.uid}/")
    kestra_calls.clear()
    assert client.get(f"/apps/{app.uid}/").status_code == 200
    assert len(kestra_calls) == 1 and kestra_calls[0].endswith("/validate")


def test_the_live_part_costs_no_call(client, kestra_calls, data_request_app):
    execution = Execution.objects.create(
        app=data_request_app,
        kestra_id="k1",
        delivery="DELIVERED",
        state="RUNNING",
        stage="RUNNING",
        session_key=own_session(client),
    )
    url = f"/apps/{data_request_app.uid}/executions/{execution.kestra_id}/live/"
    assert client.get(url).status_code == 200
    assert kestra_calls == []
