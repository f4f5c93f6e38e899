"""Files uploaded with a submission: kept in the uploads storage (UPLOAD_STORAGE) while the
submission waits for delivery, streamed to Kestra, then removed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta

from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile

from executions.kestra.client import FileField
from executions.models import Execution, SubmissionFile

FOLDER = "submissions"  # what `models._upload_path` names every file under
# A file written moments ago may belong to a submission whose transaction has not committed
# (with storages outside the database): the sweep leaves anything younger alone.
ORPHAN_AFTER = timedelta(hours=1)


def store(execution: Execution, files: Mapping[str, UploadedFile]) -> None:
    for input_id, upload in files.items():
        SubmissionFile.objects.create(
            execution=execution,
            input_id=input_id,
            name=upload.name or input_id,
            content_type=upload.content_type or "application/octet-stream",
            file=upload,
        )


@contextmanager
def opened(execution: Execution) -> Iterator[dict[str, FileField]]:
    """The submission's files, open for reading, as multipart file fields."""
    with ExitStack() as stack:
        fields: dict[str, FileField] = {}
        for stored in execution.files.all():
            handle = stack.enter_context(stored.file.open("rb"))
            fields[stored.input_id] = (stored.name, handle, stored.content_type)
        yield fields


def release(execution: Execution) -> None:
    """Files wait only while the submission waits for delivery: once Kestra has them, or
    never will (rejected, or given up on), nothing of them stays."""
    if execution.delivery != Execution.Delivery.QUEUED:
        discard(execution)


def discard(execution: Execution) -> None:
    for stored in execution.files.all():
        stored.file.delete(save=False)
    execution.files.all().delete()


def sweep(*, now: datetime) -> int:
    """Remove what a submission left behind, the number of files removed: the files of a
    submission no longer waiting for delivery (a worker stopped between delivering and
    removing), and files no submission row names (its app was deleted, or a transaction
    rolled back after the file was written)."""
    removed = 0
    for execution in (
        Execution.objects.filter(files__isnull=False)
        .exclude(delivery=Execution.Delivery.QUEUED)
        .distinct()
    ):
        removed += execution.files.count()
        discard(execution)
    storage = SubmissionFile._meta.get_field("file").storage
    waiting = set(
        SubmissionFile.objects.filter(execution__delivery=Execution.Delivery.QUEUED).values_list(
            "file", flat=True
        )
    )
    for name in _names(storage, FOLDER):
        if name not in waiting and storage.get_modified_time(name) < now - ORPHAN_AFTER:
            storage.delete(name)
            removed += 1
    return removed


def _names(storage: Storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a file system where nothing was ever uploaded
        return
    for file in files:
        yield f"{folder}/{file}"
    for sub in folders:
        yield from _names(storage, f"{folder}/{sub}")
