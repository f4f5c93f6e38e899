"""Data migrations keep what existing apps already had."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("apps_catalog", "0002_app_thumbnail")]
AFTER = [("apps_catalog", "0003_app_tag_names")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_apps_stored_before_tag_names_keep_their_tags_on_their_cards():
    old = migrate(BEFORE)
    App, Tag = old.get_model("apps_catalog", "App"), old.get_model("apps_catalog", "Tag")
    tagged, _bare = (
        App.objects.create(
            uid=app_id[0] * 22,
            app_id=app_id,
            namespace="demo",
            flow_id="f",
            display_name=app_id.title(),
            source=f"id: {app_id}",
            definition={},
        )
        for app_id in ("tagged", "bare")
    )
    tagged.tags.set([Tag.objects.create(name="Zeta"), Tag.objects.create(name="Alpha")])

    try:
        App = migrate(AFTER).get_model("apps_catalog", "App")
        names = dict(App.objects.values_list("app_id", "tag_names"))
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert names == {"tagged": ["Alpha", "Zeta"], "bare": []}
