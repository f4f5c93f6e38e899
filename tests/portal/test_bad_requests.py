"""Input no page can use gets a clear 400, never a 500 from the database."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from executions.models import Execution

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/apps/abc%00def/",
        "/apps/requests/?page=1%00",
        "/apps/?q=%00",
        "/apps/?tags=a%00",
    ],
)
def test_a_nul_character_is_refused(client, url):
    response = client.get(url)
    assert response.status_code == 400


def test_a_nul_character_in_a_form_is_refused(client, data_request_app):
    response = client.post(f"/apps/{data_request_app.uid}/", {"input.dataset": "a\x00b"})
    assert response.status_code == 400


class _Body:
    """A request body that counts what is read of it."""

    def __init__(self, content: bytes) -> None:
        self.content, self.read_bytes = content, 0

    def read(self, size: int = -1) -> bytes:
        chunk = (
            self.content[self.read_bytes :] if size < 0 else self.content[self.read_bytes :][:size]
        )
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def test_a_body_larger_than_allowed_is_refused_before_it_is_read(
    settings, client, data_request_app
):
    settings.PORTAL_MAX_UPLOAD_MB = 1
    body = _Body(b"x" * 1024)
    response = client.post(
        f"/apps/{data_request_app.uid}/",
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(3 * 1024 * 1024),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert b"larger than the 1 MB allowed" in response.content
    assert body.read_bytes == 0


def test_a_form_larger_than_allowed_is_refused_whole(settings, kestra, client, data_request_app):
    settings.PORTAL_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.txt", b"x" * (3 * 1024 * 1024), content_type="text/plain")
    form = {"input.dataset": "stores", "input.since": "2025-03-04", "input.rows": "5"}
    response = client.post(f"/apps/{data_request_app.uid}/", {**form, "input.extra": big})
    assert response.status_code == 413
    assert not Execution.objects.exists()
