"""Pause, resume (with onResume inputs), validate resume and kill, in both dialects."""

from __future__ import annotations

import time

from .conftest import Kestra

VACATION = {
    "request.name": "Ann",
    "request.start_date": "2026-07-01",
    "request.end_date": "2026-07-10",
}


def _action(kestra: Kestra, execution_id: str, action: str) -> str:
    prefix = "/actions" if kestra.dialect == "2.0" else ""
    return f"/executions/{execution_id}{prefix}/{action}"


def _paused_vacation(kestra: Kestra) -> dict:
    created = kestra.create("vacation_request", VACATION)
    return kestra.wait_for(created["id"], {"PAUSED"})


def test_a_pause_task_pauses_the_execution_with_an_end_date(any_kestra: Kestra) -> None:
    paused = _paused_vacation(any_kestra)
    assert paused["inputs"]["request"] == {
        "name": "Ann",
        "start_date": "2026-07-01",
        "end_date": "2026-07-10",
    }
    runs = {t["taskId"]: t for t in paused["taskRunList"]}
    assert runs["wait_for_approval"]["state"]["current"] == "PAUSED"
    assert "endDate" in paused["state"] and "duration" in paused["state"]


def test_resume_with_inputs_continues_and_exposes_on_resume_outputs(any_kestra: Kestra) -> None:
    paused = _paused_vacation(any_kestra)
    response = any_kestra.post(
        _action(any_kestra, paused["id"], "resume"),
        files={"approved": (None, "true"), "comment": (None, "Have fun")},
    )
    if any_kestra.dialect == "2.0":
        assert response.status_code == 200
        assert response.json()["id"] == paused["id"]
        assert response.json()["state"]["current"] == "RESTARTED"
    else:
        assert response.status_code == 204 and response.content == b""
    done = any_kestra.wait_for(paused["id"])
    assert done["state"]["current"] == "SUCCESS"
    states = [h["state"] for h in done["state"]["histories"]]
    assert states == ["CREATED", "RUNNING", "PAUSED", "RESTARTED", "RUNNING", "SUCCESS"]
    logs = any_kestra.get(f"/logs/{paused['id']}").json()
    assert "Booked: Have fun" in [entry["message"] for entry in logs]


def test_resume_uses_on_resume_defaults_and_rejection_fails(any_kestra: Kestra) -> None:
    paused = _paused_vacation(any_kestra)
    response = any_kestra.post(
        _action(any_kestra, paused["id"], "resume"), files={"approved": (None, "false")}
    )
    assert response.status_code in (200, 204)
    done = any_kestra.wait_for(paused["id"])
    assert done["state"]["current"] == "FAILED"
    logs = any_kestra.get(f"/logs/{paused['id']}", params={"minLevel": "ERROR"}).json()
    assert any(e["message"] == "Declined: Enjoy your time off" for e in logs)


def test_resume_rejects_invalid_inputs_with_422(any_kestra: Kestra) -> None:
    paused = _paused_vacation(any_kestra)
    response = any_kestra.post(
        _action(any_kestra, paused["id"], "resume"), files={"approved": (None, "perhaps")}
    )
    assert response.status_code == 422
    assert "approved" in response.text
    assert any_kestra.execution(paused["id"])["state"]["current"] == "PAUSED"


def test_validate_resume_reports_errors_inline_with_200(any_kestra: Kestra) -> None:
    paused = _paused_vacation(any_kestra)
    response = any_kestra.post(
        _action(any_kestra, paused["id"], "resume/validate"), files={"approved": (None, "perhaps")}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "vacation_request" and body["namespace"] == "demo"
    by_id = {i["input"]["id"]: i for i in body["inputs"]}
    assert by_id["approved"]["errors"][0]["message"].startswith("it must be a boolean")
    assert by_id["comment"]["value"] == "Enjoy your time off"
    assert "errors" not in by_id["comment"]
    assert any_kestra.execution(paused["id"])["state"]["current"] == "PAUSED"


def test_resume_of_an_execution_that_is_not_paused_is_409(any_kestra: Kestra) -> None:
    created = any_kestra.create("slow")
    response = any_kestra.post(_action(any_kestra, created["id"], "resume"))
    assert response.status_code == 409
    assert "is not paused, can't resume it" in response.text
    validate = any_kestra.post(_action(any_kestra, created["id"], "resume/validate"))
    assert validate.status_code == 409
    any_kestra.delete(_action(any_kestra, created["id"], "kill"))


def test_resume_of_an_unknown_execution_is_404(any_kestra: Kestra) -> None:
    assert any_kestra.post(_action(any_kestra, "unknownExecution1234", "resume")).status_code == 404


def test_kill_of_a_running_execution(any_kestra: Kestra) -> None:
    created = any_kestra.create("slow")
    any_kestra.wait_for(created["id"], {"RUNNING"})
    started = time.monotonic()
    response = any_kestra.delete(_action(any_kestra, created["id"], "kill"))
    if any_kestra.dialect == "2.0":
        assert response.status_code == 200
        assert response.json()["state"]["current"] in ("KILLING", "KILLED")
    else:
        assert response.status_code == 202 and response.content == b""
    killed = any_kestra.wait_for(created["id"])
    assert time.monotonic() - started < 2
    assert killed["state"]["current"] == "KILLED"
    assert [h["state"] for h in killed["state"]["histories"]][-2:] == ["KILLING", "KILLED"]
    runs = {t["taskId"]: t["state"]["current"] for t in killed["taskRunList"]}
    assert runs == {"first": "SUCCESS", "long_sleep": "KILLED"}


def test_kill_of_a_paused_execution_goes_through_killing(any_kestra: Kestra) -> None:
    paused = _paused_vacation(any_kestra)
    any_kestra.delete(_action(any_kestra, paused["id"], "kill"))
    killed = any_kestra.wait_for(paused["id"])
    assert [h["state"] for h in killed["state"]["histories"]][-3:] == [
        "PAUSED",
        "KILLING",
        "KILLED",
    ]


def test_kill_of_a_finished_execution(any_kestra: Kestra) -> None:
    done = any_kestra.wait_for(
        any_kestra.create("feedback", {"email": "a@b.co", "rating": "4"})["id"]
    )
    path = _action(any_kestra, done["id"], "kill")
    assert any_kestra.delete(path).status_code == (200 if any_kestra.dialect == "2.0" else 202)
    assert any_kestra.execution(done["id"])["state"]["current"] == "SUCCESS"
    refused = any_kestra.delete(path, params={"isOnKillCascade": "false"})
    assert refused.status_code == 409


def test_kill_of_an_unknown_execution_is_404(any_kestra: Kestra) -> None:
    response = any_kestra.delete(_action(any_kestra, "unknownExecution1234", "kill"))
    assert response.status_code == 404
    if any_kestra.dialect == "1.3":
        assert response.content == b""


def test_pause_duration_applies_its_behavior_and_on_resume_defaults(kestra: Kestra) -> None:
    created = kestra.create("pause_timeout")
    done = kestra.wait_for(created["id"])
    assert done["state"]["current"] == "WARNING"
    wait = next(t for t in done["taskRunList"] if t["taskId"] == "wait")
    assert wait["state"]["current"] == "WARNING"
    outputs = kestra.get(f"/outputs/tasks/{created['id']}/{wait['id']}").json()
    assert outputs["onResume"] == {"answer": "silence"}
    logs = kestra.get(f"/logs/{created['id']}").json()
    assert logs[-1]["message"] == "answer=silence"
