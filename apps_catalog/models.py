from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps_catalog.definition import AppDefinition, Translation, translation_for
from apps_catalog.ids import new_uid

# The parsed definitions of the app versions read lately, oldest first (App.parsed).
PARSED_VERSIONS_KEPT = 256
_PARSED: dict[tuple[int, datetime], AppDefinition] = {}
_PARSED_LOCK = threading.Lock()


def quoted_column(model: type[models.Model], name: str) -> str:
    """The quoted column of a model's concrete field, for SQL written once from the models'
    metadata where the ORM would build it again on every request of a busy page."""
    return connection.ops.quote_name(concrete_field(model, name).column)


def concrete_field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column  # a concrete field: it has a column
    return field


class ModelColumns:
    """A model's concrete columns for SQL written once (`alias`: its table's name in that
    query), and its instances made again from those columns of a row, each value converted
    as the ORM converts it (JSON decoded, dates parsed)."""

    def __init__(
        self, model: type[models.Model], alias: str, names: Sequence[str] | None = None
    ) -> None:
        """`names`: these fields only, in this order (values() reads them); else every
        concrete field (instance() needs them all)."""
        fields = (
            model._meta.concrete_fields
            if names is None
            else [concrete_field(model, name) for name in names]
        )
        self.model = model
        self.sql = ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields)
        self.width = len(fields)
        self._names = [f.attname for f in fields]
        self._columns = [f.get_col(alias) for f in fields]
        self._converters = [
            connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            for column in self._columns
        ]

    def query(self, template: str, **fields: str) -> str:
        """SQL written from `template` with quoted names only: {columns} these columns,
        {table} the model's table, each other placeholder the column of the field it names
        (values stay parameters)."""
        return template.format(
            columns=self.sql,
            table=connection.ops.quote_name(self.model._meta.db_table),
            **{key: quoted_column(self.model, name) for key, name in fields.items()},
        )

    def values(self, row: Sequence[Any]) -> list[Any]:
        """These columns' values of a row, in the order of `sql`, as the ORM reads them."""
        converted = list(row)
        for index, converters in enumerate(self._converters):
            for converter in converters:
                converted[index] = converter(converted[index], self._columns[index], connection)
        return converted

    def instance(self, row: Sequence[Any]) -> Any:
        """The model's instance from these columns' values, in the order of `sql`."""
        return self.model.from_db(connection.alias, self._names, self.values(row))


def search_text_of(app: App) -> str:
    """What a catalog search looks for its words in, read from the app's own columns: its
    name, description, id, namespace and tags, and its name and description in every
    language it is translated into; each casefolded (so that "électricité" finds
    "Électricité" in any database), one per line (so that no word is found across two)."""
    translated = [text for texts in app.name_translations.values() for text in texts.values()]
    texts = [app.display_name, app.description, app.app_id, app.namespace, *app.tag_names]
    return "\n".join(text.casefold() for text in [*texts, *translated] if text)


def site_url(request: HttpRequest) -> str:
    """The portal's address as this request reached it, for absolute links (app_url's
    base_url)."""
    return request.build_absolute_uri("/").rstrip("/")


def app_url(uid: str, base_url: str = "") -> str:
    """Where an app is used: its path or, given the site's address as a request reached it
    (base_url), its absolute URL, at PORTAL_BASE_URL when that is set."""
    return absolute_url(reverse("executions:app", kwargs={"uid": uid}), base_url)


def absolute_url(path: str, base_url: str = "") -> str:
    """A portal path, or given the site's address as a request reached it (base_url), its
    absolute URL, at PORTAL_BASE_URL when that is set."""
    if not base_url:
        return path
    return f"{settings.PORTAL_BASE_URL or base_url}{path}"


def shown_texts(
    display_name: str, description: str, translations: dict[str, Any]
) -> tuple[str, str]:
    """An app's name and description in the active language, from its row's
    `name_translations` (the YAML's `translations:`), else as written."""
    chosen = translation_for(translations, translation.get_language())
    if chosen is None:
        return display_name, description
    return Translation.from_dict(chosen).texts(display_name, description)


# The permission that grants use of a private app (guardian takes the codename alone).
USE_CODENAME = "use_app"

# Why an app is not available (App.unavailable_because); DISABLED hides it altogether.
DISABLED, NOT_OPEN_YET, CLOSED = "disabled", "not open yet", "closed"
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "lte": operator.le,
    "gt": operator.gt,
}


def _availability(now: datetime) -> tuple[tuple[str, str, str, Any], ...]:
    """When an app may be used, written once: (why not, field, lookup, bound) for each
    condition. A NULL date is no bound. Both the query and the instance test read this."""
    return (
        (DISABLED, "enabled", "exact", True),
        (NOT_OPEN_YET, "expiration_start", "lte", now),
        (CLOSED, "expiration_end", "gt", now),
    )


class AppQuerySet(models.QuerySet["App"]):
    def available(self, now: datetime | None = None, *, dates: bool = True) -> AppQuerySet:
        """The apps available at `now` (App.is_available as a filter); `dates=False` keeps
        the disabled ones out but ignores the expiration dates."""
        rule = models.Q()
        for reason, name, lookup, bound in _availability(now or timezone.now()):
            if dates or reason == DISABLED:
                met = models.Q(**{f"{name}__{lookup}": bound})
                field = self.model._meta.get_field(name)
                if isinstance(field, models.Field) and field.null:
                    met |= models.Q(**{f"{name}__isnull": True})
                rule &= met
        return self.filter(rule)


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class App(models.Model):
    """An app definition: the YAML as written, and the normalised form the runtime reads."""

    class Access(models.TextChoices):
        PUBLIC = "PUBLIC", _("Public")
        PRIVATE = "PRIVATE", _("Private")

    uid = models.CharField(_("uid"), max_length=22, unique=True, default=new_uid, editable=False)
    app_id = models.CharField(_("id"), max_length=100)
    namespace = models.CharField(_("namespace"), max_length=150)
    flow_id = models.CharField(_("flow id"), max_length=100)
    display_name = models.CharField(_("display name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    # Indexed: the apps a person may use are the public ones and those granted to them
    # (accounts.policy.public_or_granted), looked up by id rather than read all.
    access = models.CharField(
        _("access"), max_length=10, choices=Access.choices, default=Access.PRIVATE, db_index=True
    )
    catalog = models.BooleanField(_("catalog"), default=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    expiration_start = models.DateTimeField(_("expiration start"), null=True, blank=True)
    expiration_end = models.DateTimeField(_("expiration end"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="apps", verbose_name=_("tags"))
    # The same tags' names, in order, in the app's own row: a card is read from one row.
    # The many-to-many above is what searches filter on; both are set by app_save_source.
    tag_names = models.JSONField(default=list, editable=False)
    # The YAML's `thumbnail`, kept in a column so the catalog need not load the definition.
    thumbnail = models.TextField(blank=True, default="", editable=False)
    # The name and description in the YAML's other languages (`translations:` without the
    # content), language -> {displayName, description}: a card is still read from one row.
    name_translations = models.JSONField(default=dict, editable=False)
    # What a catalog search's words are looked for in (search_text_of): set with the texts
    # by app_save_source.
    search_text = models.TextField(default="", editable=False)
    source = models.TextField(
        _("source"), help_text=_("The YAML definition, stored exactly as written.")
    )
    definition = models.JSONField(editable=False)
    flow_snapshot = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("The flow as Kestra last served it, so forms still work while Kestra is down."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = AppQuerySet.as_manager()

    class Meta:
        verbose_name = _("app")
        verbose_name_plural = _("apps")
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "app_id"], name="app_unique_id_in_namespace"
            )
        ]
        permissions = [(USE_CODENAME, "Can use the app")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.namespace}.{self.app_id})"

    def get_absolute_url(self) -> str:
        return app_url(self.uid)

    @cached_property
    def parsed(self) -> AppDefinition:
        """The normalised definition. Built once per stored version of the app and shared
        by every request that loads that version: every save sets `updated`, so (pk,
        updated) names one definition, and an AppDefinition is immutable."""
        if self.pk is None or self.updated is None:
            return AppDefinition.from_dict(self.definition)
        key = (self.pk, self.updated)
        with _PARSED_LOCK:
            found = _PARSED.get(key)
        if found is None:
            found = AppDefinition.from_dict(self.definition)
            with _PARSED_LOCK:
                while len(_PARSED) >= PARSED_VERSIONS_KEPT:
                    del _PARSED[next(iter(_PARSED))]
                _PARSED[key] = found
        return found

    def shown(self) -> AppDefinition:
        """The definition as a visitor in the active language sees it (its translations)."""
        return self.parsed.in_language(translation.get_language())

    @property
    def shown_name(self) -> str:
        return shown_texts(self.display_name, self.description, self.name_translations)[0]

    @property
    def shown_description(self) -> str:
        return shown_texts(self.display_name, self.description, self.name_translations)[1]

    def set_definition(self, definition: AppDefinition) -> None:
        self.definition = definition.to_dict()
        self.__dict__["parsed"] = definition

    @property
    def is_public(self) -> bool:
        return self.access == self.Access.PUBLIC

    def unavailable_because(self, now: datetime | None = None) -> str | None:
        """The first condition of availability this app fails at `now` (DISABLED,
        NOT_OPEN_YET, CLOSED), or None when it is available."""
        for reason, name, lookup, bound in _availability(now or timezone.now()):
            value = getattr(self, name)
            if value is not None and not _COMPARE[lookup](value, bound):
                return reason
        return None

    def is_available(self, now: datetime | None = None) -> bool:
        return self.unavailable_because(now) is None

    def is_reachable(self) -> bool:
        """Enabled, whatever its expiration dates: they stop new submissions only, and the
        executions already started stay reachable, as in Kestra."""
        return self.unavailable_because() != DISABLED


class AppUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(App, on_delete=models.CASCADE)


class AppGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(App, on_delete=models.CASCADE)
