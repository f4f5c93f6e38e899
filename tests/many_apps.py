"""A big catalog, for the tests and for `make bench` (bench/catalog.py): 2,000 private
apps with 100 tags, a user in two groups, every fourth app granted to one of the groups in
turn. The helpers write to the database: Django must be set up.
"""

from __future__ import annotations

from typing import Any

APPS, TAGS = 2_000, 100
FEW_APPS = 50
GRANT_EVERY = 4  # 500 of 2,000 apps granted, half through each group
GROUPS = ("Sales", "Support")


def _description(index: int) -> str:
    return f"Ask for **report {index}**: the numbers of [team {index % 40}](https://example.com)."


def _tag_indexes(index: int) -> list[int]:
    return sorted({index % TAGS, (index * 7 + 3) % TAGS, (index * 13 + 5) % TAGS})


def catalog_user() -> Any:
    """The user of the measurements: in two groups, each granted a share of the apps."""
    from tests.personas import make_user

    return make_user("many", groups=GROUPS)


def _app(index: int, tag_names: list[str]) -> Any:
    """App `index`, as app_save_source would have stored it, for a bulk create."""
    from apps_catalog.ids import new_uid
    from apps_catalog.models import App, search_text_of

    app = App(
        uid=new_uid(),
        app_id=f"app_{index}",
        namespace=f"team{index % 40}",
        flow_id="flow",
        display_name=f"Report {index}",
        description=_description(index),
        access=App.Access.PRIVATE,
        thumbnail="https://example.com/t.png" if index % 2 else "",
        tag_names=tag_names,
        source="(bulk-created for the benchmark)",
        definition={},
    )
    app.search_text = search_text_of(app)
    return app


def add_apps(start: int, stop: int) -> list[Any]:
    """Apps `start` to `stop - 1`, private, with up to three of the 100 tags each; every
    fourth granted to one of the two groups in turn. Returns the granted ones."""
    from django.contrib.auth.models import Group, Permission

    from apps_catalog.models import App, AppGroupObjectPermission, Tag

    tags = list(Tag.objects.order_by("name")) or Tag.objects.bulk_create(
        Tag(name=f"tag-{i:03}") for i in range(TAGS)
    )
    apps = App.objects.bulk_create(
        _app(i, [tags[t].name for t in _tag_indexes(i)]) for i in range(start, stop)
    )
    App.tags.through.objects.bulk_create(
        App.tags.through(app_id=app.pk, tag_id=tags[t].pk)
        for i, app in enumerate(apps, start)
        for t in _tag_indexes(i)
    )
    use = Permission.objects.get(codename="use_app")
    groups = list(Group.objects.filter(name__in=GROUPS).order_by("name"))
    granted = [(i, app) for i, app in enumerate(apps, start) if i % GRANT_EVERY == 0]
    AppGroupObjectPermission.objects.bulk_create(
        AppGroupObjectPermission(
            group=groups[i // GRANT_EVERY % 2], permission=use, content_object=app
        )
        for i, app in granted
    )
    return [app for _i, app in granted]
