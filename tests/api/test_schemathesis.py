"""Schemathesis against the published schema: generated requests to every operation, as a
superuser and as nobody, find no server error. Bounded: a few examples per operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api.tokens import dispatch_token, stream_token

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 15


def _run(operation, headers: dict[str, str], known: dict[str, str], statuses: list[int]) -> None:
    def aim(case):
        # Random path parameters only meet 404s; real ones reach the code behind them.
        for name in case.path_parameters or {}:
            if name in known:
                case.path_parameters[name] = known[name]
        return case

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy().map(aim))
    def check(case) -> None:
        response = case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=30)
        statuses.append(response.status_code)

    check()


@pytest.mark.parametrize("who", ["superuser", "anonymous"])
def test_no_server_error(live_server, kestra, settings, personas, apps, who) -> None:
    settings.API_STREAM_SECONDS = 1  # a stream that works ends quickly
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 23
    # Deletions last, so the other operations still find the app they are aimed at.
    operations.sort(key=lambda operation: operation.method.lower() == "delete")
    public = apps["public"]
    known = {
        "tenant": "main",
        "uid": public.uid,
        "dispatch_token": dispatch_token("create", public, None),
        "stream": stream_token(public, None),
    }
    failures, statuses = [], []
    for operation in operations:
        try:
            _run(operation, personas[who].headers, known, statuses)
        except Exception as exc:  # noqa: BLE001  # report every operation, not the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert sum(200 <= status < 300 for status in statuses) > 50  # the requests got through
