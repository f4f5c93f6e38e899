"""Which stage of an app's layout an execution is in: a pure function of what the portal knows."""

from __future__ import annotations

from collections.abc import Sequence

OPEN = "OPEN"
CREATED = "CREATED"
RUNNING = "RUNNING"
PAUSE = "PAUSE"
RESUME = "RESUME"
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
ERROR = "ERROR"
FALLBACK = "FALLBACK"

FINAL_STAGES = frozenset({SUCCESS, FAILURE, ERROR})

TERMINAL_STATES = frozenset(
    {"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED", "RESUBMITTED"}
)
# Kestra's state from a kill request until the execution is KILLED.
STATE_KILLING = "KILLING"
STATE_PAUSED = "PAUSED"
_CREATED_STATES = frozenset({"CREATED", "QUEUED", "SUBMITTED"})
_SUCCESS_STATES = frozenset({"SUCCESS", "WARNING"})

# What the portal knows of a submission before and besides Kestra's state.
DELIVERY_QUEUED = "QUEUED"
DELIVERY_DELIVERED = "DELIVERED"
DELIVERY_FAILED = "FAILED"


def stage_for(*, delivery: str, state: str = "", history: Sequence[str] = ()) -> str:
    """The stage for a delivery status, Kestra's current state and the state history."""
    if delivery == DELIVERY_FAILED:
        return ERROR
    if delivery == DELIVERY_QUEUED or not state or state in _CREATED_STATES:
        return CREATED
    if state == "PAUSED":
        return PAUSE
    if state in _SUCCESS_STATES:
        return SUCCESS
    if state in TERMINAL_STATES:
        return FAILURE
    if "PAUSED" in history:
        return RESUME
    return RUNNING


def is_final(stage: str) -> bool:
    return stage in FINAL_STAGES
