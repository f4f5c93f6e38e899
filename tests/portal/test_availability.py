from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_an_app_not_yet_open_says_when_it_opens(client, data_request_app):
    data_request_app.expiration_start = timezone.now() + timedelta(days=2)
    data_request_app.save()
    response = client.get(f"/apps/{data_request_app.uid}/")
    assert response.status_code == 410
    assert b"This app opens on" in response.content


def test_an_expired_app_says_it_closed(client, data_request_app):
    data_request_app.expiration_end = timezone.now() - timedelta(minutes=1)
    data_request_app.save()
    response = client.get(f"/apps/{data_request_app.uid}/")
    assert response.status_code == 410
    assert b"This app closed on" in response.content
    assert client.post(f"/apps/{data_request_app.uid}/", {}).status_code == 410
