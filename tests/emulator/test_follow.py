"""Follow an execution as server-sent events: start, progress..., end."""

from __future__ import annotations

import json
import threading

import requests

from .conftest import Kestra


def _frames(kestra: Kestra, execution_id: str) -> list[tuple[str, dict]]:
    frames: list[tuple[str, dict]] = []
    url = f"{kestra.api}/executions/{execution_id}/follow"
    with requests.get(url, stream=True, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        event_id = None
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                frames.append((event_id or "", json.loads(line[5:])))
    return frames


def test_follow_streams_progress_until_the_end(any_kestra: Kestra) -> None:
    created = any_kestra.create("basics", {"name": "sse"})
    frames = _frames(any_kestra, created["id"])
    assert frames[0] == ("start", {"id": created["id"]})
    assert frames[-1][0] == "end"
    assert frames[-1][1]["state"]["current"] == "SUCCESS"
    assert {f[0] for f in frames[1:-1]} == {"progress"}
    seen = [f[1]["state"]["current"] for f in frames[1:]]
    assert "RUNNING" in seen


def test_follow_of_a_finished_execution_sends_start_and_end(any_kestra: Kestra) -> None:
    created = any_kestra.create("feedback", {"email": "a@b.co", "rating": "5"})
    any_kestra.wait_for(created["id"])
    frames = _frames(any_kestra, created["id"])
    assert [f[0] for f in frames] == ["start", "end"]


def test_follow_keeps_the_stream_open_while_paused(kestra: Kestra) -> None:
    created = kestra.create("approval")
    kestra.wait_for(created["id"], {"PAUSED"})
    frames: list[tuple[str, dict]] = []
    reader = threading.Thread(target=lambda: frames.extend(_frames(kestra, created["id"])))
    reader.start()
    reader.join(0.5)
    assert reader.is_alive()  # PAUSED does not end the stream
    kestra.post(f"/executions/{created['id']}/actions/resume", files={"approved": (None, "true")})
    reader.join(5)
    assert not reader.is_alive()
    assert frames[-1][0] == "end" and frames[-1][1]["state"]["current"] == "SUCCESS"


def test_follow_of_an_unknown_execution_is_404(kestra: Kestra) -> None:
    assert kestra.get("/executions/unknownExecution1234/follow").status_code == 404
