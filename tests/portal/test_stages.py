import pytest

from executions import stages
from executions.stages import stage_for


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("CREATED", "CREATED"),
        ("QUEUED", "CREATED"),
        ("SUBMITTED", "CREATED"),
        ("RUNNING", "RUNNING"),
        ("RETRYING", "RUNNING"),
        ("RESTARTED", "RUNNING"),
        ("KILLING", "RUNNING"),
        ("PAUSED", "PAUSE"),
        ("SUCCESS", "SUCCESS"),
        ("WARNING", "SUCCESS"),
        ("FAILED", "FAILURE"),
        ("KILLED", "FAILURE"),
        ("CANCELLED", "FAILURE"),
    ],
)
def test_each_kestra_state_maps_to_its_stage(state, expected):
    assert stage_for(delivery=stages.DELIVERY_DELIVERED, state=state) == expected


def test_a_submission_not_yet_delivered_is_created():
    assert stage_for(delivery=stages.DELIVERY_QUEUED) == "CREATED"


def test_a_submission_kestra_refused_is_an_error():
    assert stage_for(delivery=stages.DELIVERY_FAILED, state="") == "ERROR"


@pytest.mark.parametrize("state", ["RESTARTED", "RUNNING"])
def test_running_again_after_a_pause_is_resume(state):
    history = ["CREATED", "RUNNING", "PAUSED", "RESTARTED"]
    assert stage_for(delivery=stages.DELIVERY_DELIVERED, state=state, history=history) == "RESUME"


def test_a_resumed_execution_that_ends_shows_its_outcome():
    history = ["CREATED", "RUNNING", "PAUSED", "RUNNING", "SUCCESS"]
    assert (
        stage_for(delivery=stages.DELIVERY_DELIVERED, state="SUCCESS", history=history) == "SUCCESS"
    )


def test_only_success_failure_and_error_are_final():
    assert {
        s
        for s in ("OPEN", "CREATED", "RUNNING", "PAUSE", "RESUME", "SUCCESS", "FAILURE", "ERROR")
        if stages.is_final(s)
    } == {"SUCCESS", "FAILURE", "ERROR"}
