"""What the approval tests share: the example vacation app with a policy of the test's
choosing, and a request sent through its form, delivered and paused as a worker does it."""

from __future__ import annotations

from django.test import Client

from apps_catalog.models import App
from apps_catalog.services import app_save_source
from executions import services
from executions.models import Execution
from tests import kestra_http
from tests.conftest import EXAMPLES

FORM = {
    "input.request.name": "Zebulon Quist",
    "input.request.start_date": "2027-01-04",
    "input.request.end_date": "2027-01-08",
    "input.reason": "Family visit",
}
VACATION = (EXAMPLES / "apps" / "vacation_approval.yml").read_text()


def vacation_app(policy: str = "") -> App:
    """The example vacation app (private, for the group HR) with this approval policy."""
    app, _ = app_save_source(source=VACATION + policy)
    return app


def submitted(kestra: str, client: Client, app: App) -> Execution:
    """A request sent through the form, delivered and paused, as the worker records it."""
    response = client.post(f"/apps/{app.uid}/", FORM)
    assert response.status_code == 302, response.content.decode()[:500]
    execution = Execution.objects.latest("created")
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    kestra_http.wait_for(kestra, execution.kestra_id, {"PAUSED"})
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.awaits_decision
    return execution
