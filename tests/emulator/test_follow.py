"""Follow an execution as server-sent events: start, progress..., end."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from kestra_emulator.api_executions import _follow_events

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


def test_a_change_made_while_a_frame_is_sent_is_sent_at_once(kestra: Kestra) -> None:
    """Not at the stream's next wake-up: here none would come, the execution waits paused
    (Kestra pushes every change as it happens)."""
    created = kestra.create("approval")
    kestra.wait_for(created["id"], {"PAUSED"})
    engine = kestra.emulator.engine
    execution = engine.get(created["id"])
    frames = _follow_events(kestra.emulator, execution)
    assert next(frames).startswith(b"id: start")
    assert b'"PAUSED"' in next(frames)
    with engine.lock:  # the stream is between two frames, waiting for nothing
        execution.labels = [*execution.labels, {"key": "team", "value": "ops"}]
        engine.changed.notify_all()

    started = time.monotonic()
    changed = next(frames)
    assert time.monotonic() - started < 0.5
    assert changed.startswith(b"id: progress") and b'"team"' in changed


def test_follow_of_an_unknown_execution_is_404(kestra: Kestra) -> None:
    assert kestra.get("/executions/unknownExecution1234/follow").status_code == 404


def _log_frames(kestra: Kestra, execution_id: str, count: int, **params: str) -> list:
    """The first `count` frames of the logs stream (it never ends by itself)."""
    frames: list[tuple[str, dict]] = []
    url = f"{kestra.api}/logs/{execution_id}/follow"
    with requests.get(url, params=params, stream=True, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        event_id = None
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                frames.append((event_id or "", json.loads(line[5:])))
                if len(frames) == count:
                    break
    return frames


def test_follow_logs_sends_start_then_every_line_stored_and_new(any_kestra: Kestra) -> None:
    created = any_kestra.create("basics", {"name": "logs"})
    frames = _log_frames(any_kestra, created["id"], 3)
    assert frames[0][0] == "start" and frames[0][1]["attemptNumber"] is None
    assert [f[0] for f in frames[1:]] == ["progress", "progress"]
    assert [f[1]["message"] for f in frames[1:]] == ["Hello logs", "debug line"]
    # The same lines, in the same order, as the list endpoint gives once it has ended.
    any_kestra.wait_for(created["id"])
    listed = any_kestra.get(f"/logs/{created['id']}").json()
    assert [f[1] for f in frames[1:]] == listed


def test_follow_logs_keeps_the_level_filter_of_the_dialect(kestra13: Kestra) -> None:
    created = kestra13.create("basics", {"name": "lvl"})
    kestra13.wait_for(created["id"])
    frames = _log_frames(kestra13, created["id"], 2, minLevel="INFO")
    assert [f[1]["message"] for f in frames[1:]] == ["Hello lvl"]


def test_a_cut_ends_the_open_streams_without_an_end_event(any_kestra: Kestra) -> None:
    created = any_kestra.create("slow")
    url = f"{any_kestra.api}/executions/{created['id']}/follow"
    with requests.get(url, stream=True, timeout=10) as response:
        lines = response.iter_lines(decode_unicode=True)
        assert next(lines) == "id: start"
        assert any_kestra.faults(cut_streams=True)["streams_cut"] == 1
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            rest = list(lines)
            assert "id: end" not in rest
    # A stream opened after the cut is served again, in full.
    assert _log_frames(any_kestra, created["id"], 2)[1][1]["message"] == "started"


@pytest.mark.parametrize("status", [404, 501])
def test_refused_streams_answer_their_status_and_the_rest_of_the_api_works(
    any_kestra: Kestra, status: int
) -> None:
    created = any_kestra.create("basics", {"name": "no-sse"})
    any_kestra.faults(refuse_streams=status)
    assert any_kestra.get(f"/executions/{created['id']}/follow").status_code == status
    assert any_kestra.get(f"/logs/{created['id']}/follow").status_code == status
    assert any_kestra.get(f"/executions/{created['id']}").status_code == 200
    any_kestra.faults(refuse_streams=0)
    assert _frames(any_kestra, created["id"])[-1][0] == "end"


def test_a_stream_fault_setting_of_the_wrong_kind_is_refused(kestra: Kestra) -> None:
    for bad in ({"refuse_streams": 418}, {"refuse_streams": True}, {"cut_streams": 1}):
        response = requests.post(f"{kestra.base_url}/_emulator/faults", json=bad, timeout=5)
        assert response.status_code == 400, bad
