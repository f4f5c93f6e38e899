"""Writes on app definitions: create or update from YAML source."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from apps_catalog.definition import AppDefinition, parse_app
from apps_catalog.models import App, Tag


def _apply(app: App, definition: AppDefinition, source: str) -> None:
    app.source = source
    app.definition = definition.to_dict()
    app.app_id = definition.id
    app.namespace = definition.namespace
    app.flow_id = definition.flow_id
    app.display_name = definition.display_name
    app.description = definition.description
    app.access = definition.access.type
    app.catalog = definition.access.catalog
    app.enabled = not definition.disabled
    app.expiration_start = definition.expiration_start
    app.expiration_end = definition.expiration_end


def _grant_groups(app: App, group_names: tuple[str, ...]) -> None:
    for name in group_names:
        group, _ = Group.objects.get_or_create(name=name)
        assign_perm("apps_catalog.use_app", group, app)


@transaction.atomic
def app_save_source(*, source: str, definition: AppDefinition | None = None) -> tuple[App, bool]:
    """Create or update the app that the source defines, keyed by (namespace, id).

    Raises DefinitionError when the source is not a valid app. Returns (app, created).
    """
    definition = definition or parse_app(source)
    app = App.objects.filter(namespace=definition.namespace, app_id=definition.id).first()
    created = app is None
    app = app or App()
    _apply(app, definition, source)
    app.save()
    app.tags.set([Tag.objects.get_or_create(name=name)[0] for name in definition.tags])
    _grant_groups(app, definition.access.groups)
    return app, created
