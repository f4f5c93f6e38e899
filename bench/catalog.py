"""The catalog with 2,000 apps against a plain Django page showing the same cards.

    .venv/bin/python bench/catalog.py [--rounds 60] [--json PATH]

2,000 apps, 100 tags, and a user who may use 500 of them through two groups (guardian
object permissions). The catalog (`/apps/`, second page) and a plain page rendering the
same template and pager over the same cards held in memory (`/bench/catalog/`) are asked
in turn through Django's test client, in this process, on a fresh SQLite database, so the
ratio is the portal's own work: access rules, the search, the queries. The SQL queries of
one catalog page are counted with 50 apps and again with 2,000: they must not grow.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Figure, add_json_argument, emit, median, ms, ratio  # noqa: E402
from tests.many_apps import APPS, FEW_APPS, add_apps, catalog_user  # noqa: E402

MAX_RATIO = 1.5  # issue 22 (was 2x)


def catalog_queries(client: Any, params: dict[str, Any]) -> int:
    """How many SQL queries one catalog page costs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/apps/", params).status_code == 200
    return len(queries)


def _fill_plain_page(granted: list[Any]) -> None:
    """The cards of the plain page: the granted apps with their tags, in memory, and the
    namespaces to choose from."""
    from apps_catalog.models import App
    from apps_catalog.selectors import CatalogCard
    from apps_catalog.thumbnails import web_url
    from bench import views

    apps = App.objects.filter(pk__in=[a.pk for a in granted])
    views.CATALOG_CARDS[:] = [
        CatalogCard(
            a.uid,
            a.display_name,
            a.description,
            web_url(a.thumbnail),
            a.get_absolute_url(),
            a.tag_names,
        )
        for a in apps.order_by("display_name")
    ]
    views.CATALOG_TAGS[:] = sorted({tag for card in views.CATALOG_CARDS for tag in card.tags})
    views.CATALOG_NAMESPACES[:] = sorted({app.namespace for app in apps})


def _timed(client: Any, url: str, params: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = client.get(url, params)
    took = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return took


def measure(rounds: int) -> list[Figure]:
    from django.test import Client

    user = catalog_user()
    client = Client(HTTP_HOST="localhost")  # an allowed host, outside the test runner
    client.force_login(user)
    granted = add_apps(0, FEW_APPS)
    client.get("/apps/")  # fills the per-process caches (content types) once
    few = catalog_queries(client, {"page": 1})
    granted += add_apps(FEW_APPS, APPS)
    many = catalog_queries(client, {"page": 1})
    searched_queries = catalog_queries(client, {"q": "report", "tags": ["tag-007"]})
    _fill_plain_page(granted)

    catalog: list[float] = []
    plain: list[float] = []
    searched: list[float] = []
    for _ in range(5):  # warm both up: templates, caches
        _timed(client, "/apps/", {"page": 2})
        _timed(client, "/bench/catalog/", {"page": 2})
    for _ in range(rounds):  # in turn, so both see the same moments of machine noise
        catalog.append(_timed(client, "/apps/", {"page": 2}))
        plain.append(_timed(client, "/bench/catalog/", {"page": 2}))
        searched.append(_timed(client, "/apps/", {"q": "report", "tags": ["tag-007"]}))
    value, base = median(catalog), median(plain)
    return [
        Figure(
            f"catalog page, {APPS:,} apps ({len(granted)} usable): median",
            ms(value),
            f"plain Django page, same cards: {ms(base)}",
            ratio(value, base),
            f"within {MAX_RATIO:g}x",
            value <= MAX_RATIO * base,
        ),
        Figure(
            "catalog page searched by text and tag: median",
            ms(median(searched)),
            f"plain Django page: {ms(base)}",
            ratio(median(searched), base),
        ),
        Figure(
            "catalog page: SQL queries",
            f"{many} with {APPS:,} apps ({searched_queries} searched)",
            f"{few} with {FEW_APPS} apps",
            ratio(many, few),
            "constant",
            many <= few and searched_queries <= few,
        ),
    ]


def _setup(data_dir: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        PORTAL_DATA_DIR=data_dir,
        DATABASE_URL=f"sqlite:///{data_dir}/catalog.sqlite3",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    add_json_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as data_dir:
        _setup(data_dir)
        emit(measure(args.rounds), args.json)


if __name__ == "__main__":
    main()
