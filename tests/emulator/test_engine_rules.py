"""The emulator's state machine, driven directly: no HTTP server, a runner per test.

tests/emulator/test_pause_resume_kill.py and test_tasks.py follow the same rules through
the API; these check each transition as Kestra records it (every state in the histories,
in order), each task outcome and each message, in milliseconds, so that `make mutate`
tells a change in kestra_emulator/engine.py from an unchanged one.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kestra_emulator import engine as engine_module
from kestra_emulator.engine import (
    Engine,
    Runner,
    new_execution,
    short_type,
    store_uploads,
    worst,
)
from kestra_emulator.flows import Flow
from kestra_emulator.inputs import InputResult, Upload
from kestra_emulator.model import Execution, TaskRun
from kestra_emulator.storage import Storage

CORE = "io.kestra.plugin.core"
LOG = f"{CORE}.log.Log"
RETURN = f"{CORE}.debug.Return"
FAIL = f"{CORE}.execution.Fail"
PAUSE = f"{CORE}.flow.Pause"
IF = f"{CORE}.flow.If"
SLEEP = f"{CORE}.flow.Sleep"
WRITE = f"{CORE}.storage.Write"
DOWNLOAD = f"{CORE}.http.Download"


@pytest.fixture(autouse=True)
def _no_start_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "START_DELAY_S", 0.0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(Storage(tmp_path))
    yield engine
    engine.shutdown()


def flow(*tasks: dict[str, Any], **definition: Any) -> Flow:
    return Flow(
        "company.team", "my_flow", "", {"id": "my_flow", "tasks": list(tasks), **definition}
    )


def execution_of(
    flow: Flow, results: list[InputResult] | None = None, execution_id: str = "exec1"
) -> Execution:
    return new_execution(
        flow,
        execution_id=execution_id,
        labels=[{"key": "team", "value": "ops"}],
        resolver_results=results or [],
        schedule_date=None,
        kind=None,
    )


def run(engine: Engine, flow: Flow, execution: Execution | None = None) -> Execution:
    """Run the execution to its end, as the engine's thread would, within 5 seconds."""
    execution = execution or execution_of(flow)
    engine.executions[execution.id] = execution
    run_runner(Runner(engine, execution, flow))
    return execution


def run_runner(runner: Runner) -> None:
    """A run that never ends (a pause nobody answers) fails the test instead of hanging it."""
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    thread.join(timeout=5)
    if thread.is_alive():
        runner.execution.kill_requested.set()
        pytest.fail("the run did not end within 5 s")


def states(owner: Execution | TaskRun) -> list[str]:
    return [state for state, _ in owner.state.histories]


def task_states(execution: Execution) -> dict[str, list[str]]:
    return {task_run.task_id: states(task_run) for task_run in execution.task_runs}


def log_lines(execution: Execution) -> list[str]:
    return [f"{entry.level} {entry.message}" for entry in execution.logs]


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def started(engine: Engine, flow: Flow) -> Execution:
    execution = execution_of(flow)
    engine.start(execution, flow)
    return execution


def ended(execution: Execution) -> Execution:
    wait_for(lambda: execution.state.terminated)
    return execution


# --- helpers --------------------------------------------------------------------------------


def test_the_worst_state_wins_in_kestras_order():
    order = ["SUCCESS", "WARNING", "FAILED", "CANCELLED", "KILLED"]
    for i, better in enumerate(order):
        for worse in order[i:]:
            assert worst(better, worse) == worse
            assert worst(worse, better) == worse


def test_a_task_type_is_known_by_its_last_part():
    assert short_type({"type": "io.kestra.core.tasks.log.Log"}) == "Log"
    assert short_type({"type": "Log"}) == "Log"
    assert short_type({}) == ""


# --- runs that end by themselves --------------------------------------------------------------


def test_a_run_goes_created_running_success_and_so_do_its_tasks(engine):
    execution = run(engine, flow({"id": "hello", "type": LOG, "message": "hi"}))
    assert states(execution) == ["CREATED", "RUNNING", "SUCCESS"]
    assert task_states(execution) == {"hello": ["CREATED", "RUNNING", "SUCCESS"]}
    (task_run,) = execution.task_runs
    assert [states_of(a) for a in task_run.attempts] == [["RUNNING", "SUCCESS"]]
    assert task_run.parent_task_run_id is None and len(task_run.id) == 22
    assert log_lines(execution) == ["INFO hi"]


def states_of(state: Any) -> list[str]:
    return [name for name, _ in state.histories]


def test_a_failed_task_stops_the_run_and_the_errors_branch_runs(engine):
    execution = run(
        engine,
        flow(
            {"id": "boom", "type": FAIL, "errorMessage": "no luck"},
            {"id": "never", "type": LOG, "message": "never"},
            errors=[{"id": "cleanup", "type": LOG, "message": "cleaning"}],
        ),
    )
    assert states(execution) == ["CREATED", "RUNNING", "FAILED"]
    assert task_states(execution) == {
        "boom": ["CREATED", "RUNNING", "FAILED"],
        "cleanup": ["CREATED", "RUNNING", "SUCCESS"],
    }
    assert log_lines(execution) == ["ERROR no luck", "INFO cleaning"]
    assert [entry.task_run for entry in execution.logs] == execution.task_runs


def test_the_errors_branch_does_not_run_when_all_went_well(engine):
    execution = run(
        engine,
        flow(
            {"id": "ok", "type": LOG, "message": "fine"},
            errors=[{"id": "cleanup", "type": LOG, "message": "cleaning"}],
        ),
    )
    assert list(task_states(execution)) == ["ok"]


def test_an_allowed_failure_is_a_warning_and_the_run_goes_on(engine):
    execution = run(
        engine,
        flow(
            {"id": "boom", "type": FAIL, "allowFailure": True},
            {"id": "next", "type": LOG, "message": "next"},
        ),
    )
    assert states(execution) == ["CREATED", "RUNNING", "WARNING"]
    assert task_states(execution)["boom"] == ["CREATED", "RUNNING", "WARNING"]
    assert task_states(execution)["next"] == ["CREATED", "RUNNING", "SUCCESS"]
    assert log_lines(execution) == ["ERROR Flow failed", "INFO next"]


def test_a_disabled_task_is_skipped(engine):
    execution = run(
        engine,
        flow(
            {"id": "off", "type": FAIL, "disabled": True},
            {"id": "on", "type": LOG, "message": "on"},
        ),
    )
    assert states(execution)[-1] == "SUCCESS"
    assert list(task_states(execution)) == ["on"]


def test_an_unknown_task_type_is_stubbed_with_no_outputs_and_says_so(engine):
    execution = run(engine, flow({"id": "odd", "type": "io.example.Odd"}))
    assert states(execution) == ["CREATED", "RUNNING", "SUCCESS"]
    assert log_lines(execution) == [
        "INFO Stubbed by the emulator: io.example.Odd does not run here; no outputs"
    ]
    assert execution.task_runs[0].outputs == {}


def test_an_engine_error_ends_the_run_failed_with_its_cause(engine, monkeypatch):
    def broken(ctx: Any, task: dict[str, Any]) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setitem(engine_module._RUNNABLE_BY_NAME, "Log", broken)
    execution = run(engine, flow({"id": "hello", "type": LOG, "message": "hi"}))
    assert states(execution) == ["CREATED", "RUNNING", "FAILED"]
    assert log_lines(execution) == ["ERROR Emulator error: RuntimeError('bug')"]
    assert execution.logs[0].task_run is None
    assert task_states(execution) == {"hello": ["CREATED", "RUNNING", "FAILED"]}


def test_an_if_runs_one_branch_under_its_own_task_run(engine):
    branches = {
        "then": [{"id": "yes", "type": LOG, "message": "yes"}],
        "else": [{"id": "no", "type": LOG, "message": "no"}],
    }
    condition = "{{ task.id == 'choose' and taskrun.attemptsCount == 0 }}"
    taken = run(engine, flow({"id": "choose", "type": IF, "condition": condition, **branches}))
    assert list(task_states(taken)) == ["choose", "yes"]
    choose, yes = taken.task_runs
    assert choose.attempts is None and yes.attempts is not None
    assert yes.parent_task_run_id == choose.id
    other = run(
        engine,
        flow({"id": "choose", "type": IF, "condition": "{{ 1 == 2 }}", **branches}),
        execution_of(flow(), execution_id="exec2"),
    )
    assert list(task_states(other)) == ["choose", "no"]
    failing = {"then": [{"id": "boom", "type": FAIL}]}
    failed = run(
        engine,
        flow({"id": "choose", "type": IF, "condition": "true", **failing}),
        execution_of(flow(), execution_id="exec3"),
    )
    assert task_states(failed)["choose"] == ["CREATED", "RUNNING", "FAILED"]
    empty = run(
        engine,
        flow({"id": "choose", "type": IF, "condition": "false"}),
        execution_of(flow(), execution_id="exec4"),
    )
    assert states(empty)[-1] == "SUCCESS"


def test_outputs_reach_later_tasks_and_the_run_context_is_kestras(engine):
    execution = run(
        engine,
        flow(
            {"id": "first", "type": RETURN, "format": "one"},
            {
                "id": "second",
                "type": RETURN,
                "format": (
                    "{{ outputs.first.value }} {{ flow.id }} {{ flow.namespace }}"
                    " {{ flow.revision }} {{ flow.tenantId }} {{ execution.id }}"
                    " {{ execution.originalId }} {{ execution.state }} {{ labels.team }}"
                    " {{ vars.colour }} {{ inputs.who }} {{ task.id }} {{ task.type }}"
                    " {{ taskrun.attemptsCount }}"
                ),
            },
            variables={"colour": "green"},
        ),
        execution_of(flow(), [InputResult({"id": "who", "type": "STRING"}, value="ada")]),
    )
    first, second = execution.task_runs
    assert first.outputs == {"value": "one"}
    assert second.outputs == {
        "value": f"one my_flow company.team 1 main exec1 exec1 RUNNING ops green ada second"
        f" {RETURN} 1"
    }


def test_the_run_context_names_the_task_run_and_dates_the_starts(engine):
    execution = run(
        engine,
        flow(
            {
                "id": "t",
                "type": RETURN,
                "format": "{{ execution.startDate }}|{{ taskrun.startDate }}|{{ taskrun.id }}",
            }
        ),
    )
    (task_run,) = execution.task_runs
    started = execution.state.to_json()["startDate"]
    assert task_run.outputs == {
        "value": f"{started}|{task_run.state.to_json()['startDate']}|{task_run.id}"
    }


def test_a_task_writes_files_under_its_execution_and_task_run(engine):
    execution = run(engine, flow({"id": "w", "type": WRITE, "content": "abc", "extension": ".txt"}))
    (task_run,) = execution.task_runs
    uri = task_run.outputs["uri"]
    assert uri.startswith(f"kestra:///company/team/my_flow/executions/exec1/tasks/w/{task_run.id}/")
    assert engine.storage.read(uri) == b"abc"


def test_flow_outputs_are_typed_when_the_run_succeeds(engine):
    execution = run(
        engine,
        flow(
            {"id": "r", "type": RETURN, "format": "41"},
            outputs=[
                {"id": "n", "type": "INT", "value": "{{ outputs.r.value }}"},
                {"id": "text", "value": "{{ outputs.r.value }}"},
                {"id": "j", "type": "JSON", "value": "{{ [1, 2] }}"},
                {"id": "js", "type": "JSON", "value": '{"a": 1}'},
                {"id": "jn", "type": "JSON", "value": "{{ {'a': null, 'b': 1} }}"},
                {"id": "yn", "type": "YAML", "value": "{{ {'a': null, 'b': 1} }}"},
                {"id": "arr", "type": "ARRAY", "value": "{{ [1, 2] }}"},
                {"id": "many", "type": "MULTISELECT", "value": "{{ ['x'] }}"},
                {"id": "sum", "type": "STRING", "value": "{{ 40 + 1 }}"},
            ],
        ),
    )
    assert execution.outputs == {
        "n": 41,
        "text": "41",
        "j": [1, 2],
        "js": {"a": 1},
        "jn": {"a": None, "b": 1},
        "yn": {"a": None, "b": 1},
        "arr": [1, 2],
        "many": ["x"],
        "sum": "41",
    }
    assert states(execution)[-1] == "SUCCESS"


def test_flow_outputs_keep_a_warning(engine):
    execution = run(
        engine,
        flow(
            {"id": "boom", "type": FAIL, "allowFailure": True},
            outputs=[{"id": "n", "type": "INT", "value": "3"}],
        ),
    )
    assert execution.outputs == {"n": 3}
    assert states(execution)[-1] == "WARNING"


def test_flow_outputs_that_do_not_render_fail_the_run(engine):
    execution = run(
        engine,
        flow(
            {"id": "r", "type": RETURN, "format": "x"},
            outputs=[{"id": "n", "type": "INT", "value": "{{ outputs.r.value }}"}],
        ),
    )
    assert states(execution) == ["CREATED", "RUNNING", "FAILED"]
    assert execution.outputs == {}
    assert log_lines(execution) == [
        'ERROR Failed to render the flow outputs: For input string: "x"'
    ]


def test_flow_outputs_are_not_rendered_for_a_failed_run(engine):
    execution = run(
        engine,
        flow({"id": "boom", "type": FAIL}, outputs=[{"id": "n", "type": "INT", "value": "1"}]),
    )
    assert execution.outputs == {}


# --- pauses ---------------------------------------------------------------------------------


def pause_flow(**pause: Any) -> Flow:
    return flow(
        {"id": "wait", "type": PAUSE, **pause},
        {"id": "after", "type": LOG, "message": "after"},
    )


def test_a_resume_moves_paused_restarted_running_and_hands_over_its_values(engine):
    execution = started(engine, pause_flow())
    wait_for(lambda: execution.state.current == "PAUSED")
    task_run = execution.first_paused()
    assert task_run is not None and task_run.task_id == "wait"
    engine.resume(execution, task_run, {"approved": True})
    assert states(execution)[-1] == "RESTARTED"
    assert task_run.state.current == "RUNNING"
    ended(execution)
    assert states(execution) == ["CREATED", "RUNNING", "PAUSED", "RESTARTED", "RUNNING", "SUCCESS"]
    assert task_states(execution)["wait"] == ["CREATED", "RUNNING", "PAUSED", "RUNNING", "SUCCESS"]
    assert task_run.outputs["onResume"] == {"approved": True}
    assert task_run.outputs["resumed"]["to"] == "SUCCESS"
    assert not execution.resume_requested.is_set()


@pytest.mark.parametrize(
    ("behavior", "task_state", "final"),
    [
        (None, "SUCCESS", "SUCCESS"),
        ("RESUME", "SUCCESS", "SUCCESS"),
        ("warn", "WARNING", "WARNING"),
        ("FAIL", "FAILED", "FAILED"),
        ("CANCEL", "CANCELLED", "CANCELLED"),
        ("SOMETHING", "SUCCESS", "SUCCESS"),
    ],
)
def test_a_pause_that_runs_out_applies_its_behavior(engine, behavior, task_state, final):
    pause: dict[str, Any] = {
        "pauseDuration": "PT0.01S",
        "onResume": [
            {"id": "answer", "type": "STRING", "defaults": "silence"},
            {"id": "note", "type": "STRING", "required": False},
            {"id": "pw", "type": "SECRET", "defaults": "s3cret"},
        ],
    }
    if behavior:
        pause["behavior"] = behavior
    execution = run(engine, pause_flow(**pause))
    assert states(execution) == ["CREATED", "RUNNING", "PAUSED", "RESTARTED", "RUNNING", final]
    assert task_states(execution)["wait"] == ["CREATED", "RUNNING", "PAUSED", task_state]
    outputs = execution.task_runs[0].outputs
    assert outputs["onResume"] == {"answer": "silence", "note": None, "pw": "s3cret"}
    assert outputs["resumed"]["to"] == task_state
    assert ("after" in task_states(execution)) is (final in ("SUCCESS", "WARNING"))


@pytest.mark.parametrize("key", ["pauseDuration", "delay", "timeout"])
def test_a_pause_duration_may_be_named_three_ways_and_be_an_expression(engine, key):
    started_at = time.monotonic()
    execution = run(engine, pause_flow(**{key: "{{ 'PT0.05S' }}"}))
    assert time.monotonic() - started_at >= 0.05
    assert states(execution)[-1] == "SUCCESS"


def test_a_pause_duration_is_rendered_with_its_task(engine):
    duration = "{{ task.id == 'wait' ? 'PT0.01S' : 'nonsense' }}"
    execution = run(engine, pause_flow(pauseDuration=duration))
    assert states(execution)[-1] == "SUCCESS"


def test_what_a_pause_that_runs_out_resolves_sees_the_run(engine):
    execution = run(
        engine,
        pause_flow(
            pauseDuration="PT0.01S",
            onResume=[
                {"id": "flow", "type": "STRING", "defaults": "{{ flow.id }}"},
                {"id": "run", "type": "STRING", "defaults": "{{ execution.id }}"},
                {"id": "doc", "type": "FILE", "required": False},
            ],
        ),
    )
    assert states(execution)[-1] == "SUCCESS"
    assert execution.task_runs[0].outputs["onResume"] == {
        "flow": "my_flow",
        "run": "exec1",
        "doc": None,
    }


def test_a_pause_without_a_duration_waits_for_a_decision(engine):
    execution = started(engine, pause_flow())
    wait_for(lambda: execution.state.current == "PAUSED")
    time.sleep(0.1)
    assert execution.state.current == "PAUSED"
    engine.kill(execution)
    ended(execution)


def test_the_pause_output_says_when_and_to_what_it_resumed(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # the time is UTC whatever the machine's zone
    time.tzset()
    try:
        outputs = engine_module._pause_outputs({"a": 1}, "WARNING")
    finally:
        monkeypatch.undo()
        time.tzset()
    said = dt.datetime.fromisoformat(outputs["resumed"]["on"]).replace(tzinfo=dt.UTC)
    assert abs(dt.datetime.now(dt.UTC) - said) < dt.timedelta(seconds=60)
    assert outputs["onResume"] == {"a": 1}
    assert outputs["resumed"]["to"] == "WARNING"
    on = outputs["resumed"]["on"]
    assert len(on) == 23 and on[10] == "T" and "+" not in on and not on.endswith("Z")


# --- kills ----------------------------------------------------------------------------------


def test_a_kill_while_paused_goes_killing_then_killed_for_every_unfinished_task(engine):
    execution = started(engine, pause_flow())
    wait_for(lambda: execution.state.current == "PAUSED")
    engine.kill(execution)
    assert states(execution)[-1] == "KILLING"
    ended(execution)
    assert states(execution) == ["CREATED", "RUNNING", "PAUSED", "KILLING", "KILLED"]
    assert task_states(execution) == {"wait": ["CREATED", "RUNNING", "PAUSED", "KILLED"]}


def test_a_kill_while_a_task_sleeps_stops_it(engine):
    execution = started(
        engine,
        flow(
            {"id": "done", "type": LOG, "message": "x"},
            {"id": "nap", "type": SLEEP, "duration": "PT30S"},
        ),
    )
    wait_for(lambda: len(execution.task_runs) == 2)
    engine.kill(execution)
    ended(execution)
    assert states(execution) == ["CREATED", "RUNNING", "KILLING", "KILLED"]
    assert task_states(execution) == {
        "done": ["CREATED", "RUNNING", "SUCCESS"],
        "nap": ["CREATED", "RUNNING", "KILLED"],
    }


@pytest.fixture
def slow_server() -> Iterator[str]:
    """An HTTP server that answers after a second: a download the kill cannot stop."""

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            time.sleep(1.0)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/data.csv"
    server.shutdown()


@pytest.mark.parametrize("last", [True, False])
def test_a_kill_during_a_download_ends_killed_as_in_kestra(engine, slow_server, last):
    tasks = [{"id": "fetch", "type": DOWNLOAD, "uri": slow_server}]
    if not last:
        tasks.append({"id": "after", "type": LOG, "message": "x"})
    execution = started(engine, flow(*tasks))
    wait_for(lambda: len(execution.task_runs) == 1)
    engine.kill(execution)
    ended(execution)
    assert states(execution) == ["CREATED", "RUNNING", "KILLING", "KILLED"]
    assert task_states(execution) == {"fetch": ["CREATED", "RUNNING", "KILLED"]}


def test_a_kill_before_the_start_ends_killed_without_running(engine, monkeypatch):
    monkeypatch.setattr(engine_module, "START_DELAY_S", 5.0)
    execution = started(engine, pause_flow())
    engine.kill(execution)
    ended(execution)
    assert states(execution) == ["CREATED", "KILLING", "KILLED"]
    assert execution.task_runs == []


def test_a_runner_killed_between_tasks_marks_itself_killing_then_killed(engine):
    execution = execution_of(flow({"id": "a", "type": LOG, "message": "a"}))
    execution.kill_requested.set()
    run(engine, flow({"id": "a", "type": LOG, "message": "a"}), execution)
    assert states(execution) == ["CREATED", "KILLING", "KILLED"]


def test_a_kill_is_said_once_and_never_reopens_an_ended_run(engine):
    execution = run(engine, flow({"id": "a", "type": LOG, "message": "a"}))
    engine.kill(execution)
    assert states(execution) == ["CREATED", "RUNNING", "SUCCESS"]
    assert not execution.kill_requested.is_set()
    paused = started(engine, pause_flow())
    wait_for(lambda: paused.state.current == "PAUSED")
    engine.kill(paused)
    engine.kill(paused)
    ended(paused)
    assert states(paused).count("KILLING") == 1


def test_a_killed_run_that_was_reset_away_is_left_alone(engine):
    flow_ = flow({"id": "a", "type": LOG, "message": "a"})
    execution = execution_of(flow_)
    execution.kill_requested.set()
    run_runner(Runner(engine, execution, flow_))
    assert states(execution) == ["CREATED"]


def test_a_kill_wakes_whoever_follows_the_run(engine):
    execution = started(engine, pause_flow())
    wait_for(lambda: execution.state.current == "PAUSED")
    woke = threading.Event()

    def follow() -> None:
        with engine.changed:
            engine.changed.wait(timeout=5)
            woke.set()

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(0.05)
    engine.kill(execution)
    follower.join()
    assert woke.is_set()


# --- the store ------------------------------------------------------------------------------


def test_the_engine_keeps_what_it_started_until_reset(engine):
    flow_ = pause_flow()
    first = started(engine, flow_)
    assert engine.get("exec1") is first and engine.get("other") is None
    assert engine.all() == [first]
    assert engine.flows["exec1"] is flow_
    wait_for(lambda: first.state.current == "PAUSED")
    (engine.storage.root / "file").write_bytes(b"x")
    engine.reset()
    assert engine.all() == [] and engine.flows == {}
    assert first.kill_requested.is_set()
    assert list(engine.storage.root.iterdir()) == []


def test_shutdown_stops_every_run(engine):
    execution = started(engine, pause_flow())
    wait_for(lambda: execution.state.current == "PAUSED")
    engine.shutdown()
    ended(execution)
    assert states(execution)[-1] == "KILLED"
    assert all(not thread.is_alive() for thread in engine._threads)


def test_a_new_execution_masks_secrets_but_its_expressions_see_them():
    results = [
        InputResult({"id": "pw", "type": "SECRET"}, value="s3cret"),
        InputResult({"id": "opt", "type": "STRING"}, value=None),
    ]
    execution = new_execution(
        Flow("ns", "f", "", {"id": "f"}, revision=4),
        execution_id="e9",
        labels=[{"key": "k", "value": "v"}],
        resolver_results=results,
        schedule_date="2025-03-04T10:00:00Z",
        kind="TEST",
    )
    assert (execution.id, execution.namespace, execution.flow_id) == ("e9", "ns", "f")
    assert execution.flow_revision == 4
    assert execution.labels == [{"key": "k", "value": "v"}]
    assert execution.inputs == {"pw": "******"}
    assert execution.context_inputs == {"pw": "s3cret", "opt": None}
    assert (execution.schedule_date, execution.kind) == ("2025-03-04T10:00:00Z", "TEST")


def test_uploads_are_stored_for_enabled_file_inputs_only(tmp_path):
    storage = Storage(tmp_path)
    execution = execution_of(flow())
    results = [
        InputResult({"id": "doc"}, upload=Upload("a.csv", b"1,2")),
        InputResult({"id": "off"}, enabled=False, upload=Upload("b.csv", b"x")),
        InputResult({"id": "text"}, value="t"),
    ]
    store_uploads(storage, execution, results)
    prefix = "kestra:///company/team/my_flow/executions/exec1/inputs"
    assert storage.read(f"{prefix}/doc/a.csv") == b"1,2"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["a.csv"]


def test_expressions_follow_kestras_pebble_in_task_properties(engine):
    execution = run(
        engine,
        flow(
            {"id": "concat", "type": LOG, "message": "{{ 'a' + 1 }} {{ 7 / 2 }} {{ true }}"},
            {"id": "coalesce", "type": LOG, "message": "{{ trigger.date ?? 'manual' }}"},
        ),
    )
    assert states(execution)[-1] == "SUCCESS"
    assert log_lines(execution) == ["INFO a1 3 true", "INFO manual"]


def test_an_expression_that_fails_fails_its_task_with_kestras_message(engine):
    execution = run(
        engine,
        flow(
            {"id": "bad", "type": LOG, "message": "{{ 'a' * 1 }}"},
            {"id": "never", "type": LOG, "message": "never"},
        ),
    )
    assert states(execution) == ["CREATED", "RUNNING", "FAILED"]
    assert task_states(execution) == {"bad": ["CREATED", "RUNNING", "FAILED"]}
    assert log_lines(execution) == ["ERROR For input string: \"a\" ({{ 'a' * 1 }})"]


def test_an_unknown_variable_fails_its_task_in_kestras_words(engine):
    execution = run(engine, flow({"id": "bad", "type": LOG, "message": "{{inputs.invalid}}"}))
    assert task_states(execution) == {"bad": ["CREATED", "RUNNING", "FAILED"]}
    assert log_lines(execution) == [
        "ERROR Unable to find `invalid` used in the expression `{{inputs.invalid}}` at line 1"
    ]
