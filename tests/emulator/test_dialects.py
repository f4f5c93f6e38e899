"""Where 1.3 and 2.0 differ: execution shape, outputs, search params, paths, error bodies."""

from __future__ import annotations

from .conftest import Kestra


def test_13_execution_carries_task_outputs_and_flow_outputs(kestra13: Kestra) -> None:
    done = kestra13.wait_for(kestra13.create("basics", {"name": "ann"})["id"])
    assert done["outputs"] == {"shout": "ANN"}
    assert done["deleted"] is False
    value = next(t for t in done["taskRunList"] if t["taskId"] == "value")
    assert value["outputs"] == {"value": "ANN"}
    assert value["executionId"] == done["id"] and value["namespace"] == "test"
    assert value["flowId"] == "basics"
    hello = next(t for t in done["taskRunList"] if t["taskId"] == "hello")
    assert "outputs" in hello and hello["outputs"] is None  # @JsonInclude(ALWAYS)


def test_20_execution_is_slim_and_outputs_have_their_endpoints(kestra: Kestra) -> None:
    done = kestra.wait_for(kestra.create("basics", {"name": "ann"})["id"])
    assert "outputs" not in done and "deleted" not in done
    value = next(t for t in done["taskRunList"] if t["taskId"] == "value")
    assert set(value) <= {"id", "taskId", "parentTaskRunId", "value", "attempts", "state"}
    assert kestra.get(f"/outputs/executions/{done['id']}").json() == {"shout": "ANN"}
    listing = kestra.get(f"/outputs/tasks/{done['id']}").json()
    assert {"taskId": "value", "taskRunId": value["id"], "inline": True} in listing
    assert kestra.get(f"/outputs/tasks/{done['id']}/{value['id']}").json() == {"value": "ANN"}
    assert kestra.get(f"/outputs/tasks/{done['id']}/unknownTaskRun").status_code == 404


def test_13_has_no_outputs_endpoints(kestra13: Kestra) -> None:
    done = kestra13.create("basics")
    assert kestra13.get(f"/outputs/executions/{done['id']}").status_code == 404


def test_execution_json_common_fields(any_kestra: Kestra) -> None:
    created = any_kestra.create("basics", labels=["env:dev"])
    assert created["tenantId"] == "main"
    assert len(created["id"]) == 22 and created["id"].isalnum()
    assert created["originalId"] == created["id"]
    assert created["flowRevision"] == 1
    assert created["metadata"]["attemptNumber"] == 1
    assert created["state"]["startDate"].endswith("Z")
    assert "endDate" not in created["state"] and "duration" not in created["state"]
    assert "taskRunList" not in created
    labels = {(lb["key"], lb["value"]) for lb in created["labels"]}
    assert labels == {("team", "qa"), ("env", "dev"), ("system.correlationId", created["id"])}


def test_13_search_takes_flat_parameters(kestra13: Kestra) -> None:
    one = kestra13.create("basics", labels=["k:1"])
    kestra13.create("feedback", {"email": "a@b.co", "rating": "3"})
    by_flow = kestra13.get(
        "/executions/search", params={"namespace": "test", "flowId": "basics"}
    ).json()
    assert [e["id"] for e in by_flow["results"]] == [one["id"]]
    assert "taskRunList" in kestra13.wait_for(one["id"]) and by_flow["total"] == 1
    by_label = kestra13.get("/executions/search", params={"labels": "k:1"}).json()
    assert by_label["total"] == 1
    kestra13.wait_for(one["id"])
    by_state = kestra13.get("/executions/search", params={"state": "SUCCESS"}).json()
    assert one["id"] in [e["id"] for e in by_state["results"]]


def test_20_search_ignores_flat_parameters_and_takes_filters(kestra: Kestra) -> None:
    one = kestra.create("basics")
    kestra.create("feedback", {"email": "a@b.co", "rating": "3"})
    ignored = kestra.get("/executions/search", params={"flowId": "basics"}).json()
    assert ignored["total"] == 2  # the silent wrong answer a 2.x server gives
    filtered = kestra.get(
        "/executions/search",
        params={"filters[namespace][EQUALS]": "test", "filters[flowId][EQUALS]": "basics"},
    ).json()
    assert [e["id"] for e in filtered["results"]] == [one["id"]]
    kestra.wait_for(one["id"])
    in_states = kestra.get(
        "/executions/search",
        params={"filters[state][IN]": "SUCCESS,FAILED", "filters[flowId][EQUALS]": "basics"},
    ).json()
    assert in_states["total"] == 1
    running = kestra.get(
        "/executions/search",
        params={"filters[state][EQUALS]": "RUNNING", "filters[flowId][EQUALS]": "basics"},
    )
    assert running.json()["total"] == 0


def test_search_pages(kestra: Kestra) -> None:
    ids = [kestra.create("feedback", {"email": "a@b.co", "rating": "3"})["id"] for _ in range(3)]
    page = kestra.get("/executions/search", params={"size": 2, "page": 2}).json()
    assert page["total"] == 3
    assert [e["id"] for e in page["results"]] == [ids[0]]  # newest first


def test_20_answers_13_action_paths_wrongly(kestra: Kestra) -> None:
    created = kestra.create("slow")
    # POST …/{id}/resume matches "create an execution of flow {id}.resume" → flow not found.
    resume = kestra.post(f"/executions/{created['id']}/resume")
    assert resume.status_code == 404
    assert resume.json()["detail"] == "Requested Flow is not found."
    assert kestra.delete(f"/executions/{created['id']}/kill").status_code == 405
    kestra.delete(f"/executions/{created['id']}/actions/kill")


def test_13_has_no_actions_paths(kestra13: Kestra) -> None:
    created = kestra13.create("slow")
    assert kestra13.post(f"/executions/{created['id']}/actions/resume").status_code == 404
    kestra13.delete(f"/executions/{created['id']}/kill")


def test_error_bodies_per_dialect(kestra: Kestra, kestra13: Kestra) -> None:
    problem = kestra.get("/executions/unknownExecution1234")
    assert problem.status_code == 404
    assert problem.headers["Content-Type"] == "application/problem+json"
    body = problem.json()
    assert body["type"] == "https://kestra.io/docs/api-reference/problems/not-found"
    assert body["title"] == "Not Found" and body["status"] == 404
    assert body["instance"] == "/api/v1/main/executions/unknownExecution1234"

    legacy = kestra13.get("/executions/unknownExecution1234")
    assert legacy.status_code == 404
    assert legacy.json()["message"].startswith("Not Found")
    assert legacy.json()["_links"]["self"]["href"] == "/api/v1/main/executions/unknownExecution1234"


def test_422_input_error_body_in_13(kestra13: Kestra) -> None:
    response = kestra13.post("/executions/demo/feedback", files={"rating": (None, "9")})
    assert response.status_code == 422
    body = response.json()
    assert body["message"].startswith("Invalid entity: Invalid value for input `")
    errors = {e["path"]: e["message"] for e in body["_embedded"]["errors"]}
    assert errors["email"] == "Invalid value for input `email`. Cause: missing required input"
    assert errors["rating"] == "Invalid value for input `rating`. Cause: it must be less than `5`"


def test_other_tenant_is_400(any_kestra: Kestra) -> None:
    response = any_kestra.session.get(f"{any_kestra.base_url}/api/v1/acme/flows/test/basics")
    assert response.status_code == 400
    assert "Tenant must be 'main' for OSS version" in response.text


def test_unknown_and_disabled_flows(any_kestra: Kestra) -> None:
    assert any_kestra.get("/flows/test/nope").status_code == 404
    missing = any_kestra.post("/executions/test/nope")
    assert missing.status_code == 404 and "Requested Flow is not found." in missing.text
    disabled = any_kestra.post("/executions/test/disabled")
    assert disabled.status_code == 409 and "Requested Flow is disabled." in disabled.text


def test_system_labels_are_rejected_except_correlation_id(any_kestra: Kestra) -> None:
    response = any_kestra.post("/executions/test/basics", params={"labels": "system.app:x"})
    assert response.status_code == 422
    assert "System labels can only be set by Kestra itself" in response.text
    malformed = any_kestra.post("/executions/test/basics", params={"labels": "nocolon"})
    assert malformed.status_code == 422
    ok = any_kestra.post("/executions/test/basics", params={"labels": "system.correlationId:c1"})
    assert {"key": "system.correlationId", "value": "c1"} in ok.json()["labels"]


def test_20_flow_has_draft_flag(kestra: Kestra, kestra13: Kestra) -> None:
    assert kestra.get("/flows/test/basics").json()["draft"] is False
    assert "draft" not in kestra13.get("/flows/test/basics").json()


def test_create_with_wait_answers_once_the_execution_ended(any_kestra: Kestra) -> None:
    response = any_kestra.post("/executions/test/basics", params={"wait": "true"})
    assert response.status_code == 200
    assert response.json()["state"]["current"] == "SUCCESS"
    assert response.json()["url"].endswith(response.json()["id"])


def test_search_rejects_a_bad_page(kestra: Kestra) -> None:
    assert kestra.get("/executions/search", params={"page": "x"}).status_code == 400
