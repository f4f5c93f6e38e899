"""kombu's file-system transport (the broker of `make run`), with messages that appear whole.

kombu creates a message's file, then writes it. A worker listing the folder between the two
takes an empty file, fails to decode it and exits (seen every few minutes at the pace of
the beat's hand-out of due work). Here the message is written under a name no reader looks
for and then renamed into place, which is atomic within one folder: a reader finds it whole or
not at all. Registered under the `filesystem` scheme by kestra_apps.celery.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # kombu's filesystem Channel names the argument `payload` where its base says `message`;
    # celery-types copies both, so any override contradicts one of them.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Put the message on `queue`: kombu's file name, written first as `tmp-….part`,
        which never ends in `<queue>.msg` and so is skipped by every reader."""
        folder = self.data_folder_out
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(folder, f"tmp-{uuid.uuid4()}.part")
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(folder, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
