"""The catalog with 2,000 apps, 100 tags and a user who may use 500 of them through two
groups: a fixed number of queries, and a median time within 2x of a plain Django page
rendering the same cards from a list in memory (measured side by side, below).

The timing is opt-in, since a shared CI machine makes it noisy:
CATALOG_BENCHMARK=1 pytest tests/apps_catalog/test_catalog_benchmark.py -s
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, Permission, User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

from apps_catalog.ids import new_uid
from apps_catalog.models import App, AppGroupObjectPermission, Tag
from apps_catalog.views import PAGE_SIZE

APPS, TAGS, GRANTED = 2_000, 100, 500
ROUNDS = 40
MAX_RATIO = 2.0


@dataclass
class _TagList:
    names: list[Tag]

    def all(self) -> list[Tag]:
        return self.names


@dataclass
class Card:
    """What the catalog template reads of an app, held in memory."""

    uid: str
    display_name: str
    description: str
    thumbnail_url: str | None
    tags: _TagList = field(default_factory=lambda: _TagList([]))

    def get_absolute_url(self) -> str:
        return f"/apps/{self.uid}/"


_CARDS: list[Card] = []
_TAG_NAMES: list[str] = []


@login_required
def plain_page(request: HttpRequest) -> HttpResponse:
    """The baseline: the same template and pager over cards from a list in memory."""
    page = Paginator(_CARDS, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "apps": page.object_list,
        "tags": [],
        "q": "",
        "all_tags": _TAG_NAMES,
        "filters": "",
    }
    return render(request, "apps_catalog/catalog.html", context)


urlpatterns = [
    path("plain/", plain_page),
    path("", include("kestra_apps.urls")),
]


def _description(index: int) -> str:
    return f"Ask for **report {index}**: the numbers of [team {index % 40}](https://example.com)."


@pytest.fixture
def many_apps() -> User:
    tags = Tag.objects.bulk_create([Tag(name=f"tag-{i:03}") for i in range(TAGS)])
    apps = App.objects.bulk_create(
        App(
            uid=new_uid(),
            app_id=f"app_{i}",
            namespace=f"team{i % 40}",
            flow_id="flow",
            display_name=f"Report {i}",
            description=_description(i),
            access=App.Access.PRIVATE,
            thumbnail="https://example.com/t.png" if i % 2 else "",
            source="(bulk-created for the benchmark)",
            definition={},
        )
        for i in range(APPS)
    )
    tags_of = {
        app.pk: sorted({i % TAGS, (i * 7 + 3) % TAGS, (i * 13 + 5) % TAGS})
        for i, app in enumerate(apps)
    }
    App.tags.through.objects.bulk_create(
        App.tags.through(app_id=pk, tag_id=tags[t].pk) for pk, ts in tags_of.items() for t in ts
    )
    use = Permission.objects.get(codename="use_app")
    groups = [Group.objects.create(name="Sales"), Group.objects.create(name="Support")]
    # 500 granted apps, spread over the 2,000, half through each group.
    AppGroupObjectPermission.objects.bulk_create(
        AppGroupObjectPermission(group=groups[i % 2], permission=use, content_object=app)
        for i, app in enumerate(apps[:: APPS // GRANTED])
    )
    user = User.objects.create_user("many", password="pw-many-1")
    user.groups.set(groups)
    granted = apps[:: APPS // GRANTED]
    _TAG_NAMES[:] = sorted({tags[t].name for app in granted for t in tags_of[app.pk]})
    _CARDS[:] = [
        Card(
            app.uid,
            app.display_name,
            app.description,
            app.thumbnail_url,
            _TagList([tags[t] for t in tags_of[app.pk]]),
        )
        for app in granted
    ]
    return user


def _median_ms(client, url: str, params: dict) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(url, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_big_portal_costs_the_same_few_queries(
    client, many_apps, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(many_apps)
    client.get("/apps/")  # fills Django's per-process content type cache

    # session, user, the matching ids, one page of apps, their tags, the tag choices
    with django_assert_num_queries(6):
        response = client.get("/apps/", {"page": 2})
    with django_assert_max_num_queries(6):
        two_tags = [tag.name for tag in _CARDS[1].tags.all()][:2]
        searched = client.get("/apps/", {"q": "report", "tags": two_tags})

    assert response.context["page"].paginator.count == GRANTED
    assert len(response.context["apps"]) == PAGE_SIZE
    assert searched.context["page"].paginator.count > 0


@pytest.mark.skipif(
    not os.environ.get("CATALOG_BENCHMARK"), reason="timing: set CATALOG_BENCHMARK=1 to run"
)
@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_catalog_is_within_2x_of_a_plain_page(client, many_apps):
    client.force_login(many_apps)
    for _ in range(5):  # warm both up: template loading, caches
        client.get("/apps/")
        client.get("/plain/")

    catalog = _median_ms(client, "/apps/", {"page": 2})
    plain = _median_ms(client, "/plain/", {"page": 2})
    searched = _median_ms(client, "/apps/", {"q": "report", "tags": ["tag-007"]})

    ratio = catalog / plain
    print(
        f"\ncatalog {catalog:.1f} ms, plain page {plain:.1f} ms: ratio {ratio:.2f}"
        f" (searched by text and tag: {searched:.1f} ms)"
    )
    assert ratio < MAX_RATIO
