"""The JSON shapes of Kestra's Apps API (kestrapy's models), field for field."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps_catalog.definition import APP_TYPE
from apps_catalog.models import App, absolute_url
from apps_catalog.selectors import CatalogCard


class AppSerializer(serializers.Serializer):
    """AppsControllerApiApp: an app in a search result, or after enable/disable."""

    uid = serializers.CharField()
    id = serializers.CharField(source="app_id")
    name = serializers.CharField(source="display_name")
    type = serializers.SerializerMethodField()
    namespace = serializers.CharField()
    flowId = serializers.CharField(source="flow_id")
    tags = serializers.ListField(source="tag_names", child=serializers.CharField())
    enabled = serializers.BooleanField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def get_type(self, app: App) -> str:
        return APP_TYPE


class AppSourceSerializer(serializers.Serializer):
    """AppsControllerApiAppSource: an app with its YAML source, exactly as stored."""

    uid = serializers.CharField()
    id = serializers.CharField(source="app_id")
    name = serializers.CharField(source="display_name")
    namespace = serializers.CharField()
    flowId = serializers.CharField(source="flow_id")
    tags = serializers.ListField(source="tag_names", child=serializers.CharField())
    disabled = serializers.SerializerMethodField()
    # A declared field: DRF's metaclass takes it off the class, so no clash with Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def get_disabled(self, app: App) -> bool:
        return not app.enabled


class CatalogItemSerializer(serializers.Serializer):
    """AppsControllerApiAppCatalogItem: a card of the catalog."""

    uid = serializers.CharField()
    name = serializers.CharField(source="display_name")
    description = serializers.CharField()
    type = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField())
    thumbnail = serializers.SerializerMethodField()

    def get_type(self, card: CatalogCard) -> str:
        return APP_TYPE

    def get_thumbnail(self, card: CatalogCard) -> str | None:
        """An absolute URL: a web thumbnail as written, the portal's for a namespace file."""
        url = card.thumbnail_url
        if url and url.startswith("/"):
            return absolute_url(url, self.context.get("base_url", ""))
        return url


class BulkRequestSerializer(serializers.Serializer):
    """AppsControllerApiBulkOperationRequest."""

    uids = serializers.ListField(
        child=serializers.CharField(max_length=22), max_length=10_000, required=False
    )


class BulkResponseSerializer(serializers.Serializer):
    """AppsControllerApiBulkOperationResponse: the uids the operation applied to."""

    success = serializers.ListField(child=serializers.CharField())


class IssueSerializer(serializers.Serializer):
    path = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer):
    """AppsControllerApiBulkImportResponseError, with the issues one by one."""

    # A declared field: DRF's metaclass takes it off the class, so no clash with Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    message = serializers.CharField()
    issues = IssueSerializer(many=True, required=False)


class ImportResponseSerializer(serializers.Serializer):
    success = serializers.ListField(child=serializers.CharField())
    # A declared field: DRF's metaclass takes it off the class, so no clash with Serializer.errors.
    errors = ImportErrorSerializer(many=True)  # type: ignore[assignment]


class ImportRequestSerializer(serializers.Serializer):
    fileUpload = serializers.FileField(
        help_text="A ZIP of YAML files, or one (multi-document) YAML file."
    )


class TagsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField())


class FileMetasSerializer(serializers.Serializer):
    size = serializers.IntegerField()


class LayoutSerializer(serializers.Serializer):
    blocks = serializers.ListField(child=serializers.DictField())


class VoteSerializer(serializers.Serializer):
    voter = serializers.CharField()
    choice = serializers.ChoiceField(choices=["APPROVE", "REJECT", "CHANGES"])
    comment = serializers.CharField(allow_blank=True)
    onBehalfOf = serializers.CharField(allow_null=True, help_text="Who delegated this vote.")


class DelegationSerializer(serializers.Serializer):
    by = serializers.CharField(help_text="The approver who handed the decision on.")
    to = serializers.CharField()
    note = serializers.CharField(allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    """Where the decision on the execution's pause stands, under the app's approval policy."""

    verdict = serializers.CharField(allow_null=True, help_text="Approved, Rejected, …")
    progress = serializers.CharField(help_text='"1 of 2 approvals"')
    approvals = serializers.ListField(child=serializers.CharField())
    needed = serializers.IntegerField()
    step = serializers.CharField(allow_null=True)
    waitingOn = serializers.CharField(allow_null=True)
    rules = serializers.ListField(child=serializers.CharField())
    deadline = serializers.DateTimeField(allow_null=True)
    whenTimeIsUp = serializers.CharField(allow_null=True)
    escalation = serializers.CharField(allow_null=True)
    votes = VoteSerializer(many=True)
    delegations = DelegationSerializer(many=True)
    mayVote = serializers.BooleanField()
    refusal = serializers.CharField(allow_null=True, help_text="Why this caller may not vote.")


class AppResponseSerializer(serializers.Serializer):
    """AppResponse, plus where the app is: its stage and execution."""

    dispatch = serializers.CharField(allow_null=True, help_text="Token of the main action here.")
    stream = serializers.CharField(
        allow_null=True, help_text="Token to follow this view as server-sent events."
    )
    layout = LayoutSerializer()
    stage = serializers.CharField()
    executionId = serializers.CharField(allow_null=True)
    state = serializers.CharField(allow_null=True)
    final = serializers.BooleanField()
    decision = DecisionSerializer(allow_null=True)


class ProblemErrorSerializer(serializers.Serializer):
    path = serializers.CharField(required=False)
    rule = serializers.CharField(required=False, help_text="The approval rule that refused it.")
    line = serializers.IntegerField(required=False, allow_null=True)
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as Kestra answers errors."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    # A declared field: DRF's metaclass takes it off the class, so no clash with Serializer.errors.
    errors = ProblemErrorSerializer(many=True, required=False)  # type: ignore[assignment]


def paged(results: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """Kestra's PagedResults."""
    return {"results": results, "total": total}


class PagedAppsSerializer(serializers.Serializer):
    """PagedResults_AppsControllerApiApp."""

    results = AppSerializer(many=True)
    total = serializers.IntegerField()


class PagedCatalogSerializer(serializers.Serializer):
    """PagedResults_AppsControllerApiAppCatalogItem."""

    results = CatalogItemSerializer(many=True)
    total = serializers.IntegerField()
