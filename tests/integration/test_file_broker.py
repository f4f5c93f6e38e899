"""The file-system broker of `make run`: a message is read whole, or not yet, never half.

Two processes publish while this one takes messages as fast as it can, which is when
kombu's own transport hands a reader a file it has created but not written yet (the
message is then lost and the worker exits): 3 of 4,000 here with kombu's class.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from kombu import Connection

import kestra_apps.celery  # noqa: F401 - registers the portal's transport for filesystem://

TOTAL = 4_000
WRITERS = 2


def _options(folder: Path) -> dict[str, object]:
    (folder / "control").mkdir(exist_ok=True)
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0,
    }


def _publish(folder: Path, numbers: range) -> None:
    with Connection("filesystem://", transport_options=_options(folder)) as connection:
        queue = connection.SimpleQueue("race")
        for number in numbers:
            queue.put({"n": number, "padding": "x" * 2_000})


def test_messages_published_while_a_worker_reads_all_arrive_whole(tmp_path):
    share = TOTAL // WRITERS
    writers = [
        multiprocessing.Process(target=_publish, args=(tmp_path, range(k * share, (k + 1) * share)))
        for k in range(WRITERS)
    ]
    received: set[int] = set()
    failures: list[Exception] = []
    with Connection("filesystem://", transport_options=_options(tmp_path)) as connection:
        assert type(connection.transport).__module__ == "kestra_apps.broker"
        queue = connection.SimpleQueue("race")
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 60
        while len(received) < TOTAL and time.monotonic() < deadline:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                continue
            except Exception as exc:  # noqa: BLE001 - every failure to read is counted
                failures.append(exc)
                continue
            received.add(message.payload["n"])
            message.ack()
        for writer in writers:
            writer.join(timeout=30)

    assert failures == []
    assert len(received) == TOTAL
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []
