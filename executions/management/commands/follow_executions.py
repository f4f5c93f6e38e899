"""`manage.py follow_executions`: follow the executions people watch through Kestra's event
streams, so that they are not polled (executions.following, docs/tracking.md). One per site
is enough; a second one only shares the work. SIGTERM or Ctrl-C stops it, handing every
followed execution back to polling."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand

from executions.following import Follower


class Command(BaseCommand):
    help = "Follow watched executions through Kestra's event streams (instead of polling them)."

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await Follower().run(stop)
