"""A SECRET typed into a form (issue 18, item 3): sealed in the database while the
submission waits for delivery, never on the execution's admin page, and gone from the row
at every final outcome; Kestra still gets the value itself.

Only public doors: the form and the admin through Django's test client, the delivery
service a worker runs, the emulator over HTTP, and the column as the database holds it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from apps_catalog.services import app_save_source
from executions import services
from executions.models import Execution
from executions.presenters import failure_text
from tests import kestra_http

pytestmark = pytest.mark.django_db

PASSPHRASE = kestra_http.PASSPHRASE
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def sealed_app(own_kestra):  # type: ignore[no-untyped-def]
    app, _ = app_save_source(source=kestra_http.app_on("sealed_order"))
    return app


def _stored_column(execution: Execution) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM executions_execution WHERE id = %s", [execution.pk])
        return str(cursor.fetchone()[0])


def _queued(app, **values: str) -> Execution:  # type: ignore[no-untyped-def]
    return services.execution_submit(app=app, values=values, shown={})


def _posted(app) -> Execution:  # type: ignore[no-untyped-def]
    form = {"input.item": "laptop", "input.passphrase": PASSPHRASE}
    assert Client().post(f"/apps/{app.uid}/", form).status_code == 302
    return Execution.objects.get()


def test_a_waiting_secret_is_sealed_in_the_database_and_kestra_gets_it(
    own_kestra, sealed_app
) -> None:
    execution = _posted(sealed_app)
    assert execution.delivery == "QUEUED"
    stored = _stored_column(execution)
    assert stored and PASSPHRASE not in stored and "laptop" not in stored

    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    # The flow fails unless it got the passphrase itself.
    assert kestra_http.wait_for(own_kestra, execution.kestra_id, {"SUCCESS", "FAILED"}) == (
        "SUCCESS"
    )
    assert _stored_column(execution) == ""


def test_the_admin_never_shows_the_form_values(sealed_app) -> None:
    execution = _posted(sealed_app)
    root = Client()
    root.force_login(User.objects.create_superuser("root", password="pw-root-12"))
    page = root.get(f"/admin/executions/execution/{execution.pk}/change/")
    assert page.status_code == 200
    assert execution.token in page.content.decode()
    assert PASSPHRASE not in page.content.decode()


def test_a_delivery_given_up_forgets_the_form_values(settings, sealed_app) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 1
    settings.KESTRA_URL = UNREACHABLE
    execution = _queued(sealed_app, item="laptop", passphrase=PASSPHRASE)
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.delivery == "FAILED" and "could not be reached" in failure_text(execution)
    assert execution.payload == {} and _stored_column(execution) == ""


def test_a_submission_kestra_rejects_forgets_the_form_values(sealed_app) -> None:
    execution = _queued(sealed_app, passphrase=PASSPHRASE)  # the item is required
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.delivery == "FAILED" and "rejected" in failure_text(execution)
    assert execution.payload == {} and _stored_column(execution) == ""


def test_values_sealed_with_a_key_since_replaced_fail_the_delivery_plainly(
    settings, sealed_app
) -> None:
    execution = _queued(sealed_app, item="laptop", passphrase=PASSPHRASE)
    settings.SECRET_KEY = "another-key-" + "x" * 50
    assert services.execution_deliver(execution_id=execution.pk) is None
    execution.refresh_from_db()
    assert execution.delivery == "FAILED"
    assert "SECRET_KEY has changed" in failure_text(execution)
    assert execution.kestra_id is None


def test_values_sealed_before_a_key_rotation_are_still_delivered(
    own_kestra, settings, sealed_app
) -> None:
    execution = _queued(sealed_app, item="laptop", passphrase=PASSPHRASE)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-key-" + "x" * 50
    assert services.execution_deliver(execution_id=execution.pk) is not None
    execution.refresh_from_db()
    assert kestra_http.wait_for(own_kestra, execution.kestra_id, {"SUCCESS", "FAILED"}) == (
        "SUCCESS"
    )


def stored_anywhere(execution: Execution) -> str:
    """Everything the database holds of the execution: its row and its log lines."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM executions_execution WHERE id = %s", [execution.pk])
        row = str(cursor.fetchone())
        cursor.execute(
            "SELECT message FROM executions_executionlog WHERE execution_id = %s", [execution.pk]
        )
        return row + str(cursor.fetchall())


def test_a_secret_input_kestra_sends_back_is_masked_before_it_is_stored(
    own_kestra, sealed_app
) -> None:
    execution = _posted(sealed_app)
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    kestra_http.wait_for(own_kestra, execution.kestra_id, {"SUCCESS"})
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.state == "SUCCESS"
    assert PASSPHRASE not in stored_anywhere(execution)
    assert execution.snapshot["inputs"]["passphrase"] == "******"


def test_a_secret_decided_on_that_kestra_echoes_is_masked_before_it_is_stored(own_kestra) -> None:
    app, _ = app_save_source(source=kestra_http.app_on("signed_approval"))
    kestra_id = kestra_http.start_paused(own_kestra, "test", "signed_approval", {})
    visitor = Client()
    visitor.force_login(User.objects.create_superuser("root", password="pw-root-12"))
    page = f"/apps/{app.uid}/executions/{kestra_id}/"
    assert visitor.get(page).status_code == 200
    resumed = visitor.post(
        f"{page}resume/", {"input.approved": "true", "input.passphrase": PASSPHRASE}
    )
    assert resumed.status_code == 302
    assert kestra_http.wait_for(own_kestra, kestra_id, {"SUCCESS", "FAILED"}) == "SUCCESS"
    execution = Execution.objects.get(kestra_id=kestra_id)
    services.execution_poll(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.state == "SUCCESS"
    assert PASSPHRASE not in stored_anywhere(execution)
