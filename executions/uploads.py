"""Files uploaded with a submission: kept on disk until delivered, streamed to Kestra."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager

from django.core.files.uploadedfile import UploadedFile

from executions.kestra.client import FileField
from executions.models import Execution, SubmissionFile


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


def discard(execution: Execution) -> None:
    """Kestra has the files now: nothing of them stays on the portal's disk."""
    for stored in execution.files.all():
        stored.file.delete(save=False)
    execution.files.all().delete()
