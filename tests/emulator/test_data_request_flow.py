"""Milestone scenario: the data request example, end to end, as the portal drives it (2.0)."""

from __future__ import annotations

from .conftest import Kestra


def test_it_reports_the_server_version_per_dialect(make_kestra) -> None:
    for dialect, version in (("2.0", "2.0.1"), ("1.3", "1.3.14")):
        client = make_kestra(dialect)
        configs = client.session.get(client.base_url + "/api/v1/configs").json()
        assert configs["version"] == version
        assert configs["edition"] == "OSS"


def test_it_serves_the_flow_with_inputs_defaults_as_strings(kestra: Kestra) -> None:
    flow = kestra.get("/flows/demo/data_request").json()
    assert flow["id"] == "data_request" and flow["namespace"] == "demo"
    assert "source" not in flow
    by_id = {i["id"]: i for i in flow["inputs"]}
    assert by_id["dataset"]["values"][0] == "customers"
    assert by_id["since"]["defaults"] == "2024-12-03"
    assert by_id["rows"]["defaults"] == "10"
    assert by_id["rows"]["min"] == 1 and by_id["rows"]["max"] == 1000
    assert by_id["rows"]["required"] is True
    with_source = kestra.get("/flows/demo/data_request", params={"source": "true"}).json()
    assert with_source["source"].startswith("id: data_request")


def test_it_runs_data_request_to_success_with_outputs_logs_and_file(kestra: Kestra) -> None:
    created = kestra.create(
        "data_request", {"rows": "5", "dataset": "products"}, labels=["portal.submission:s-1"]
    )
    assert created["state"]["current"] == "CREATED"
    assert created["inputs"] == {"dataset": "products", "since": "2024-12-03", "rows": 5}
    assert {"key": "portal.submission", "value": "s-1"} in created["labels"]
    assert created["url"].endswith(f"/ui/main/executions/demo/data_request/{created['id']}")

    done = kestra.wait_for(created["id"])
    assert done["state"]["current"] == "SUCCESS"
    assert [h["state"] for h in done["state"]["histories"]] == ["CREATED", "RUNNING", "SUCCESS"]
    assert done["state"]["duration"].startswith("PT")
    assert "outputs" not in done  # 2.0 serves them from /outputs/executions/{id}
    assert all("outputs" not in t for t in done["taskRunList"])

    outputs = kestra.get(f"/outputs/executions/{created['id']}").json()
    assert outputs["row_count"] == 5
    uri = outputs["data"]
    assert uri.startswith(f"kestra:///demo/data_request/executions/{created['id']}/tasks/extract/")
    assert uri.endswith(".csv")

    file = kestra.get(f"/executions/{created['id']}/file", params={"path": uri})
    assert file.status_code == 200
    assert file.text == "id,dataset,since\n1,products,2024-12-03\n2,products,2024-12-03\n"
    assert "attachment" in file.headers["Content-Disposition"]
    metas = kestra.get(f"/executions/{created['id']}/file/metas", params={"path": uri}).json()
    assert metas == {"size": len(file.content)}

    logs = kestra.get(f"/logs/{created['id']}").json()
    assert logs[0]["message"] == "Preparing 5 rows of products since 2024-12-03"
    assert logs[0]["taskId"] == "announce" and logs[0]["level"] == "INFO"
    assert logs[-1]["message"] == f"Extract ready at {uri}"


def test_it_finds_an_execution_by_its_label(kestra: Kestra) -> None:
    first = kestra.create("data_request", labels=["portal.submission:one"])
    kestra.create("data_request", labels=["portal.submission:two"])
    found = kestra.get(
        "/executions/search", params={"filters[labels][EQUALS][portal.submission]": "one"}
    ).json()
    assert found["total"] == 1
    assert found["results"][0]["id"] == first["id"]
    assert "taskRunList" not in found["results"][0]


def test_it_rejects_invalid_inputs_with_422_per_input(kestra: Kestra) -> None:
    response = kestra.post(
        "/executions/demo/data_request",
        files={"rows": (None, "5000"), "dataset": (None, "planets")},
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/invalid-entity") and body["status"] == 422
    assert {e["path"] for e in body["errors"]} == {"rows", "dataset"}
    assert "it must be less than `1000`" in body["detail"]
    assert kestra.get("/executions/search").json()["total"] == 0
