"""Uploaded files wait in the database until Kestra has them, and nothing of them stays after:
not once delivered, not after Kestra refused the submission or the portal gave up, not when
a worker stopped half-way (the sweep). Kestra is the emulator over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from executions import services, uploads
from executions.kestra import get_client
from executions.models import Execution, StoredFile, SubmissionFile
from executions.presenters import failure_text
from tests.conftest import import_example

pytestmark = pytest.mark.django_db

NOTES = b"disk full on build agent 3\n" * 100


@pytest.fixture
def it_ticket():
    return import_example("it_ticket")


@pytest.fixture
def faults(kestra: str) -> Iterator[str]:
    yield f"{kestra}/_emulator/faults"
    requests.post(f"{kestra}/_emulator/faults", json={"fail_rate": 0}, timeout=5)


def _submit(app, title: str = "Build agent 3 is down") -> Execution:
    values = {"title": title, "kind": "Bug"}
    attachment = SimpleUploadedFile("notes.txt", NOTES, content_type="text/plain")
    return services.execution_submit(
        app=app, values=values, shown=values, files={"attachment": attachment}
    )


def _downloaded(execution: Execution) -> bytes:
    uri = execution.snapshot["inputs"]["attachment"]
    chunks, _ = get_client().download(execution.kestra_id or "", uri)
    return b"".join(chunks)


def test_a_file_waits_in_the_database_not_on_this_machines_disk(kestra, it_ticket):
    execution = _submit(it_ticket)

    stored = StoredFile.objects.get()
    assert bytes(stored.content) == NOTES and stored.size == len(NOTES)
    assert stored.name == execution.files.get().file.name
    assert not (settings.MEDIA_ROOT / stored.name).exists()


def test_a_submission_rolled_back_leaves_no_file(kestra, it_ticket):
    with pytest.raises(RuntimeError), transaction.atomic():
        _submit(it_ticket)
        raise RuntimeError("the request failed after storing")

    assert (Execution.objects.count(), StoredFile.objects.count()) == (0, 0)


def test_kestra_gets_the_bytes_and_the_portal_keeps_none(kestra, it_ticket):
    execution = _submit(it_ticket)

    delivered = services.execution_deliver(execution_id=execution.pk)

    assert delivered is not None and _downloaded(delivered) == NOTES
    assert (SubmissionFile.objects.count(), StoredFile.objects.count()) == (0, 0)


def test_a_submission_kestra_refuses_leaves_no_file(kestra, it_ticket):
    execution = _submit(it_ticket, title="Bug")  # the flow wants 5 to 120 characters

    services.execution_deliver(execution_id=execution.pk)

    execution.refresh_from_db()
    assert execution.delivery == "FAILED" and "rejected" in failure_text(execution)
    assert (SubmissionFile.objects.count(), StoredFile.objects.count()) == (0, 0)


def test_files_wait_through_a_failed_attempt_and_go_when_the_portal_gives_up(
    kestra, faults, settings, it_ticket
):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    execution = _submit(it_ticket)
    requests.post(faults, json={"fail_rate": 1.0}, timeout=5)

    services.execution_deliver(execution_id=execution.pk)
    assert StoredFile.objects.count() == 1  # the next attempt needs it

    Execution.objects.filter(pk=execution.pk).update(next_action_at=timezone.now())
    services.execution_deliver(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.delivery == "FAILED"
    assert (SubmissionFile.objects.count(), StoredFile.objects.count()) == (0, 0)


def test_the_sweep_removes_what_a_submission_left_behind_and_nothing_waiting(kestra, it_ticket):
    waiting = _submit(it_ticket)
    stopped_half_way = _submit(it_ticket)  # delivered, then the worker stopped
    Execution.objects.filter(pk=stopped_half_way.pk).update(delivery="DELIVERED")
    orphan = _submit(it_ticket)  # its app was deleted: the rows went, the bytes stayed
    orphan_name = orphan.files.get().file.name
    SubmissionFile.objects.filter(execution=orphan).delete()
    young = StoredFile.objects.create(name="submissions/x/attachment/new.txt", content=b"", size=0)
    an_hour_ago = timezone.now() - uploads.ORPHAN_AFTER - timedelta(seconds=1)
    StoredFile.objects.exclude(pk=young.pk).update(created=an_hour_ago)

    assert uploads.sweep(now=timezone.now()) == 2

    assert list(StoredFile.objects.order_by("name").values_list("name", flat=True)) == sorted(
        [waiting.files.get().file.name, young.name]
    )
    assert not stopped_half_way.files.exists()
    assert orphan_name not in StoredFile.objects.values_list("name", flat=True)
    assert uploads.sweep(now=timezone.now()) == 0


def test_the_sweep_walks_a_file_system_storage_too(kestra, it_ticket, tmp_path, monkeypatch):
    """UPLOAD_STORAGE=filesystem (one machine): the same sweep, through the storage's listing."""
    field = SubmissionFile._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path))
    assert uploads.sweep(now=timezone.now()) == 0  # nothing was ever uploaded: no folder yet

    waiting = _submit(it_ticket)
    orphan = _submit(it_ticket)
    orphan_path = tmp_path / orphan.files.get().file.name
    SubmissionFile.objects.filter(execution=orphan).delete()
    an_hour_ago = (timezone.now() - uploads.ORPHAN_AFTER - timedelta(seconds=1)).timestamp()
    os.utime(orphan_path, (an_hour_ago, an_hour_ago))

    assert uploads.sweep(now=timezone.now()) == 1

    assert not orphan_path.exists()
    assert (tmp_path / waiting.files.get().file.name).read_bytes() == NOTES
    assert StoredFile.objects.count() == 0
