"""The catalog with 2,000 apps, 100 tags and a user who may use 500 of them through two
groups (guardian object permissions): the same few queries as with 50 apps. Its time
against a plain Django page is measured by bench/catalog.py (`make bench`)."""

from __future__ import annotations

import pytest

from apps_catalog.views import PAGE_SIZE
from tests.many_apps import APPS, FEW_APPS, add_apps, catalog_user

pytestmark = pytest.mark.django_db

# session, user, the matching ids with their tags (the tag choices), one page of cards
QUERIES = 4


def test_a_big_portal_costs_the_same_few_queries(
    client, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(catalog_user())
    granted = add_apps(0, FEW_APPS)
    client.get("/apps/")  # fills Django's per-process content type cache
    with django_assert_num_queries(QUERIES):
        client.get("/apps/")

    granted += add_apps(FEW_APPS, APPS)
    with django_assert_num_queries(QUERIES):
        response = client.get("/apps/", {"page": 2})
    with django_assert_max_num_queries(QUERIES):
        searched = client.get("/apps/", {"q": "report", "tags": ["tag-007"]})

    assert response.context["page"].paginator.count == len(granted) == APPS // 4
    assert len(response.context["apps"]) == PAGE_SIZE
    assert searched.context["page"].paginator.count > 0
