"""A Django storage that keeps files in the database (`StoredFile`), the default for uploads.

Why the database: every web process and worker already shares it, so a file taken by one
machine is read by a worker on another with no extra service to run; the bytes are written
in the submission's transaction (a submission that fails to commit leaves no file); and
they go when the submission's files are discarded (`executions.uploads`). Uploads wait
only until Kestra has them, so they never pile up. S3-compatible object storage
(django-storages) is the alternative for large files: UPLOAD_STORAGE=s3.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

from executions.models import StoredFile


@deconstructible
class DatabaseStorage(Storage):
    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        stored = StoredFile.objects.filter(name=name).values_list("content", flat=True).first()
        if stored is None:
            raise FileNotFoundError(name)
        return ContentFile(bytes(stored), name=name)

    def _save(self, name: str, content: File[Any]) -> str:
        data = b"".join(content.chunks())
        StoredFile.objects.create(name=name, content=data, size=len(data))
        return name

    def delete(self, name: str) -> None:
        StoredFile.objects.filter(name=name).delete()

    def exists(self, name: str) -> bool:
        return StoredFile.objects.filter(name=name).exists()

    def size(self, name: str) -> int:
        size = StoredFile.objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = f"{path.rstrip('/')}/"
        folders: set[str] = set()
        files: list[str] = []
        for name in StoredFile.objects.filter(name__startswith=prefix).values_list(
            "name", flat=True
        ):
            head, slash, _ = name.removeprefix(prefix).partition("/")
            if slash:
                folders.add(head)
            else:
                files.append(head)
        return sorted(folders), files

    def get_modified_time(self, name: str) -> datetime:
        created = StoredFile.objects.filter(name=name).values_list("created", flat=True).first()
        if created is None:
            raise FileNotFoundError(name)
        return created

    def url(self, name: str | None) -> str:
        raise NotImplementedError("uploads are read by the workers, never served")
