"""Basic auth on /api/v1 and fault injection through the control endpoint."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import Kestra, KestraFactory


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
def test_basic_auth_guards_the_api_only(make_kestra: KestraFactory, dialect: str) -> None:
    kestra = make_kestra(dialect, basic_auth=("admin", "s3cret"))
    anonymous = requests.get(f"{kestra.base_url}/api/v1/configs", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    if dialect == "1.3":
        assert anonymous.content == b""
    else:
        assert anonymous.json()["type"].endswith("/unauthenticated")
    wrong = requests.get(f"{kestra.api}/flows/test/basics", auth=("admin", "no"), timeout=5)
    assert wrong.status_code == 401
    right = requests.get(f"{kestra.api}/flows/test/basics", auth=("admin", "s3cret"), timeout=5)
    assert right.status_code == 200
    assert requests.get(f"{kestra.base_url}/_emulator/faults", timeout=5).status_code == 200


def test_fault_settings_update_partially(kestra: Kestra) -> None:
    url = f"{kestra.base_url}/_emulator/faults"
    assert requests.get(url, timeout=5).json() == {
        "latency_ms": 0,
        "fail_rate": 0.0,
        "unreachable": False,
        "fail_after_create_rate": 0.0,
        "refuse_streams": 0,
        "streams_cut": 0,
    }
    assert kestra.faults(latency_ms=10)["latency_ms"] == 10
    assert kestra.faults(fail_rate=0.5) == {
        "latency_ms": 10,
        "fail_rate": 0.5,
        "unreachable": False,
        "fail_after_create_rate": 0.0,
        "refuse_streams": 0,
        "streams_cut": 0,
    }
    assert requests.post(url, json={"fail_rate": 2}, timeout=5).status_code == 400
    assert requests.post(url, json={"bogus": 1}, timeout=5).status_code == 400
    assert kestra.emulator.faults.fail_rate == 0.5


def test_fail_rate_answers_503_without_doing_anything(any_kestra: Kestra) -> None:
    any_kestra.faults(fail_rate=1.0)
    response = any_kestra.post("/executions/test/basics")
    assert response.status_code == 503
    if any_kestra.dialect == "2.0":
        assert response.json()["type"].endswith("/service-unavailable")
    else:
        assert response.json()["message"].startswith("Service Unavailable")
    any_kestra.faults(fail_rate=0.0)
    assert any_kestra.get("/executions/search").json()["total"] == 0


def test_latency_slows_the_api(kestra: Kestra) -> None:
    kestra.faults(latency_ms=300)
    started = time.monotonic()
    kestra.get("/flows/test/basics")
    assert time.monotonic() - started >= 0.3


def test_unreachable_drops_connections_and_can_be_switched_back(kestra: Kestra) -> None:
    kestra.faults(unreachable=True)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{kestra.api}/flows/test/basics", timeout=5)
    kestra.faults(unreachable=False)
    assert kestra.get("/flows/test/basics").status_code == 200


def test_fail_after_create_creates_the_execution_then_answers_500(any_kestra: Kestra) -> None:
    any_kestra.faults(fail_after_create_rate=1.0)
    response = any_kestra.post("/executions/test/basics", params={"labels": "portal.submission:7"})
    assert response.status_code == 500
    any_kestra.faults(fail_after_create_rate=0.0)
    if any_kestra.dialect == "2.0":
        params = {"filters[labels][EQUALS][portal.submission]": "7"}
    else:
        params = {"labels": "portal.submission:7"}
    found = any_kestra.get("/executions/search", params=params).json()
    assert found["total"] == 1


def test_reset_forgets_executions(kestra: Kestra) -> None:
    kestra.create("slow")
    assert requests.post(f"{kestra.base_url}/_emulator/reset", timeout=5).status_code == 200
    assert kestra.get("/executions/search").json()["total"] == 0
