"""Labels set on an ended execution, in both dialects: Kestra replaces every label but its own
``system.*`` ones, and refuses a running execution and system labels it did not set."""

from __future__ import annotations

from typing import Any

from .conftest import Kestra


def _action(kestra: Kestra, execution_id: str, action: str = "labels") -> str:
    prefix = "/actions" if kestra.dialect == "2.0" else ""
    return f"/executions/{execution_id}{prefix}/{action}"


def _as_dict(execution: dict[str, Any]) -> dict[str, str]:
    return {label["key"]: label["value"] for label in execution["labels"]}


def _ended(kestra: Kestra) -> dict[str, Any]:
    created = kestra.create("basics", labels=["portal.submission:s-1"])
    return kestra.wait_for(created["id"])


def test_the_labels_sent_replace_all_but_the_system_ones(any_kestra: Kestra) -> None:
    done = _ended(any_kestra)
    sent = [
        {"key": "portal.submission", "value": "s-1"},
        {"key": "portal.decision", "value": "approved"},
        {"key": "portal.decidedBy", "value": "alice"},
    ]
    response = any_kestra.post(_action(any_kestra, done["id"]), json=sent)
    assert response.status_code == 200
    assert response.json()["id"] == done["id"]
    expected = {
        "portal.submission": "s-1",
        "portal.decision": "approved",
        "portal.decidedBy": "alice",
        "system.correlationId": done["id"],
    }
    assert _as_dict(response.json()) == expected
    assert _as_dict(any_kestra.execution(done["id"])) == expected  # the flow's team:qa is gone


def test_the_new_labels_find_the_execution(any_kestra: Kestra) -> None:
    done = _ended(any_kestra)
    path = _action(any_kestra, done["id"])
    any_kestra.post(path, json=[{"key": "portal.decidedBy", "value": "alice"}])
    if any_kestra.dialect == "2.0":
        params = {"filters[labels][EQUALS][portal.decidedBy]": "alice"}
    else:
        params = {"labels": "portal.decidedBy:alice"}
    found = any_kestra.get("/executions/search", params=params).json()
    assert [e["id"] for e in found["results"]] == [done["id"]]


def test_a_running_execution_is_refused_and_keeps_its_labels(any_kestra: Kestra) -> None:
    created = any_kestra.create("slow", labels=["portal.submission:s-2"])
    running = any_kestra.wait_for(created["id"], {"RUNNING"})
    sent = [{"key": "portal.decision", "value": "approved"}]
    response = any_kestra.post(_action(any_kestra, created["id"]), json=sent)
    assert response.status_code == 400
    if any_kestra.dialect == "2.0":
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["type"].endswith("/bad-request")
        assert response.json()["detail"] == "The execution is not terminated"
    else:
        assert response.headers["Content-Type"].startswith("text/plain")
        assert response.text == "The execution is not terminated"
    assert any_kestra.execution(created["id"])["labels"] == running["labels"]
    any_kestra.delete(_action(any_kestra, created["id"], "kill"))


def test_a_system_label_kestra_did_not_set_is_refused(any_kestra: Kestra) -> None:
    done = _ended(any_kestra)
    sent = [
        {"key": "portal.decision", "value": "approved"},
        {"key": "system.readOnly", "value": "true"},
    ]
    response = any_kestra.post(_action(any_kestra, done["id"]), json=sent)
    assert response.status_code == 422
    detail = "System labels can only be set by Kestra itself, offending label: system.readOnly=true"
    if any_kestra.dialect == "2.0":
        assert response.json()["type"].endswith("/invalid-argument")
        assert response.json()["detail"] == detail
    else:
        assert response.json()["message"] == f"Illegal argument: {detail}"
    assert any_kestra.execution(done["id"])["labels"] == done["labels"]


def test_an_existing_system_label_sent_unchanged_is_accepted(any_kestra: Kestra) -> None:
    done = _ended(any_kestra)
    sent = [{"key": "system.correlationId", "value": done["id"]}]
    response = any_kestra.post(_action(any_kestra, done["id"]), json=sent)
    assert response.status_code == 200
    assert response.json()["labels"] == sent


def test_changing_an_existing_system_label_is_refused(any_kestra: Kestra) -> None:
    done = _ended(any_kestra)
    sent = [{"key": "system.correlationId", "value": "someone-else"}]
    assert any_kestra.post(_action(any_kestra, done["id"]), json=sent).status_code == 422


def test_an_unknown_execution_is_404(any_kestra: Kestra) -> None:
    response = any_kestra.post(_action(any_kestra, "unknownExecution1234"), json=[])
    assert response.status_code == 404
    if any_kestra.dialect == "1.3":
        assert response.content == b""


def test_a_body_that_is_not_a_list_of_labels_is_422(any_kestra: Kestra) -> None:
    done = _ended(any_kestra)
    response = any_kestra.post(_action(any_kestra, done["id"]), json={"portal.x": "y"})
    assert response.status_code == 422
    assert any_kestra.execution(done["id"])["labels"] == done["labels"]
