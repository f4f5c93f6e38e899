"""Input no page can use gets a clear 400, never a 500 from the database."""

import pytest

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
