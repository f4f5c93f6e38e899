"""Which messages an app sends, the portal's extension to Kestra's app YAML
(`notifications:`). Pure core: no Django, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from apps_catalog.approval import iso_duration, seconds_of

PENDING = "pending"  # an execution waits for a decision: to those who may decide
REMINDER = "reminder"  # still waiting: again, every `remind_every`
ESCALATION = "escalation"  # the escalation's time came: to the added approvers
DELEGATION = "delegation"  # a decision was handed on: to the delegate
DECISION = "decision"  # approved, rejected, sent back: to the requester
FINISHED = "finished"  # the request ended (SUCCESS, FAILURE): to the requester
EVENTS = (PENDING, REMINDER, ESCALATION, DELEGATION, DECISION, FINISHED)
DEFAULT_EVENTS = (PENDING, ESCALATION, DELEGATION, DECISION, FINISHED)


@dataclass(frozen=True)
class NotificationSettings:
    """The events an app sends, the reminder's pace, the chat channels (named in the
    CHAT_CHANNELS setting: their addresses hold secrets, so they stay out of the YAML),
    and, for a public app, the input that holds an anonymous requester's email address."""

    events: tuple[str, ...] = DEFAULT_EVENTS
    remind_every: timedelta | None = None
    chat: tuple[str, ...] = ()
    requester_email: str = ""

    def sends(self, event: str) -> bool:
        if event == REMINDER:
            return event in self.events and self.remind_every is not None
        return event in self.events

    def to_dict(self) -> dict[str, Any]:
        """As the `notifications:` YAML says it (nulls count as absent there)."""
        every = self.remind_every
        return {
            "events": list(self.events),
            "remindEvery": None if every is None else iso_duration(every),
            "chat": list(self.chat),
            "requesterEmail": self.requester_email or None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NotificationSettings:
        every = data.get("remindEvery")
        return cls(
            events=tuple(data.get("events") or ()),
            remind_every=None if every is None else seconds_of(every),
            chat=tuple(data.get("chat") or ()),
            requester_email=data.get("requesterEmail") or "",
        )
