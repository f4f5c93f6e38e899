"""Writes on app definitions: create or update from YAML source, enable and disable; and
the files an export writes them to."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from apps_catalog.definition import AppDefinition, Translation, parse_app
from apps_catalog.models import USE_CODENAME, App, Tag, search_text_of
from apps_catalog.sources import approval_names, with_disabled

# Namespaces and ids are already limited to these characters by the parser; the pattern
# is applied anyway so that no stored value can reach outside the folder.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _apply(app: App, definition: AppDefinition, source: str) -> None:
    app.source = source
    app.set_definition(definition)
    app.app_id = definition.id
    app.namespace = definition.namespace
    app.flow_id = definition.flow_id
    app.display_name = definition.display_name
    app.description = definition.description
    app.name_translations = {
        code: Translation(t.display_name, t.description).to_dict()
        for code, t in definition.translations.items()
        if t.display_name is not None or t.description is not None
    }
    app.access = definition.access.type
    app.catalog = definition.access.catalog
    app.enabled = not definition.disabled
    app.thumbnail = definition.thumbnail or ""
    app.tag_names = sorted(set(definition.tags))
    app.search_text = search_text_of(app)
    app.expiration_start = definition.expiration_start
    app.expiration_end = definition.expiration_end


def _groups_of(stored: dict[str, Any] | None) -> set[str]:
    return set(((stored or {}).get("access") or {}).get("groups") or ())


def _sync_groups(app: App, before: set[str], after: tuple[str, ...]) -> None:
    """Grant use to the groups the YAML names; take it back from the ones it no longer
    names. Grants made by hand in the admin to other groups are left alone."""
    for name in after:
        group, _ = Group.objects.get_or_create(name=name)
        assign_perm(USE_CODENAME, group, app)
    for group in Group.objects.filter(name__in=before - set(after)):
        remove_perm(USE_CODENAME, group, app)


@transaction.atomic
def app_save_source(
    *,
    source: str,
    definition: AppDefinition | None = None,
    app: App | None = None,
    flow: dict[str, Any] | None = None,
) -> tuple[App, bool]:
    """Create or update the app that the source defines. Returns (app, created).

    Without `app`, the app is found by (namespace, id), so importing the same file again
    updates it. With `app` (the admin editing one app), that app is updated even when the
    source renames it, so its uid, URLs and grants stay. `flow` is the flow Kestra just
    served, kept for when Kestra is down. Raises DefinitionError when the source is not a
    valid app; the source is stored exactly as given.
    """
    definition = definition or parse_app(source)
    if app is None:
        app = App.objects.filter(namespace=definition.namespace, app_id=definition.id).first()
    app = app or App()
    created = app.pk is None
    groups_before = set() if created else _groups_of(app.definition)
    _apply(app, definition, source)
    if flow is not None:
        app.flow_snapshot = flow
    app.save()
    app.tags.set([Tag.objects.get_or_create(name=name)[0] for name in definition.tags])
    _sync_groups(app, groups_before, definition.access.groups)
    return app, created


@transaction.atomic
def app_set_enabled(*, app: App, enabled: bool) -> bool:
    """Enable or disable an app by setting `disabled` in its source, as Kestra does for
    flows, so the state travels with the YAML (export, import). Returns whether it changed.

    Raises SourceEditError when the source cannot be edited safely.
    """
    if app.enabled == enabled:
        return False
    source = with_disabled(app.source, not enabled)
    definition = parse_app(source)
    app.source = source
    app.set_definition(definition)
    app.enabled = enabled
    app.save(update_fields=["source", "definition", "enabled", "updated"])
    return True


def export_files(apps: Iterable[App]) -> Iterator[tuple[str, App]]:
    """Each app with the file name `manage.py export_apps` and the API's ZIP export give
    its source: `<namespace>.<id>.yml`, safe on every OS and unique even on a disk blind to
    case (ids differing only in case get the app's uid added)."""
    taken: set[str] = set()
    for app in apps:
        name = _UNSAFE.sub("_", f"{app.namespace}.{app.app_id}").lstrip(".") or app.uid
        if f"{name}.yml".lower() in taken:
            name = f"{name}.{app.uid}"
        taken.add(f"{name}.yml".lower())
        yield f"{name}.yml", app


SELF_APPROVAL_WARNING = (
    "the requester may approve their own request: this app's flow pauses for a decision and"
    " the app has no approval policy. One line prevents it: approval: {selfApproval: false}"
)


def app_warnings(
    *, definition: AppDefinition, source: str, flow: Mapping[str, Any] | None
) -> list[str]:
    """What the person saving an app should know although it can be saved: a flow that
    pauses for a decision with no approval policy (`flow`: the app's flow, None when Kestra
    could not be asked), and approvers named that nobody has yet (groups may first arrive
    from the identity provider at someone's login)."""
    warnings = []
    if definition.approval is None and flow is not None and _pauses(flow):
        warnings.append(SELF_APPROVAL_WARNING)
    names = approval_names(source)
    users = {n for kind, n, _ in names if kind == "user"}
    groups = {n for kind, n, _ in names if kind == "group"}
    known_users = set(
        get_user_model().objects.filter(username__in=users).values_list("username", flat=True)
    )
    known_groups = set(Group.objects.filter(name__in=groups).values_list("name", flat=True))
    for kind, name, line in names:
        if kind == "user" and name not in known_users:
            warnings.append(f"line {line}: approval: no user is named {name!r} yet")
        if kind == "group" and name not in known_groups:
            warnings.append(
                f"line {line}: approval: no group is named {name!r} yet"
                " (it may arrive from the identity provider at someone's login)"
            )
    return warnings


def _pauses(node: Any) -> bool:
    """Whether a flow has a Pause task anywhere (io.kestra.plugin.core.flow.Pause, or the
    older io.kestra.core.tasks.flows.Pause)."""
    if isinstance(node, Mapping):
        if str(node.get("type") or "").endswith(".Pause"):
            return True
        return any(_pauses(value) for value in node.values())
    if isinstance(node, list):
        return any(_pauses(item) for item in node)
    return False
