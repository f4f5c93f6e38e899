"""Lists: the managers' search, the catalog (the same apps as the web catalog), the tags,
and the stage names."""

from __future__ import annotations

from django.db.models import F, QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import policy
from api import permissions, query
from api.apps_io import TAG
from api.serializers import (
    AppSerializer,
    CatalogItemSerializer,
    PagedAppsSerializer,
    PagedCatalogSerializer,
    ProblemSerializer,
    TagsSerializer,
    paged,
)
from api.views.base import TenantView
from apps_catalog.definition import STAGES
from apps_catalog.models import App, Tag, site_url
from apps_catalog.selectors import (
    CATALOG_ORDER,
    catalog_cards,
    catalog_listing,
    catalog_search,
    in_namespace,
    namespace_term,
    search_terms,
)

SORT_COLUMNS = {
    "name": "display_name",
    "id": "app_id",
    "uid": "uid",
    "namespace": "namespace",
    "flowId": "flow_id",
    "enabled": "enabled",
    "created": "created",
    "updated": "updated",
}
PAGING = [
    OpenApiParameter("page", int, description="1-based page number", default=1),
    OpenApiParameter("size", int, description=f"1 to {query.MAX_PAGE_SIZE}", default=10),
]
TEXT_AND_TAGS = [
    OpenApiParameter("q", str, description="Words that must all match somewhere"),
    OpenApiParameter("tags", str, many=True, description="Apps carrying all these tags"),
]
NAMESPACE = OpenApiParameter("namespace", str, description="This namespace and those below")
BAD_QUERY = OpenApiResponse(ProblemSerializer, "A parameter is not understood.")


def _in_namespace(apps: QuerySet[App], filters: query.Filters) -> QuerySet[App]:
    """The namespace filters exactly (EQUALS) as asked; the prefix is catalog_search's."""
    apps = in_namespace(apps, namespace_term(filters.namespace), exact=True)
    if filters.flow_id:
        apps = apps.filter(flow_id=filters.flow_id)
    return apps


def _ordered(apps: QuerySet[App], sorts: list[query.Sort]) -> QuerySet[App]:
    order = [F(s.key).desc() if s.descending else F(s.key).asc() for s in sorts]
    return (
        apps.order_by(*order, "display_name", "pk")
        if order
        else apps.order_by("display_name", "pk")
    )


def _page_of_ids(apps: QuerySet[App], page: query.Page) -> tuple[list[int], int]:
    ids = list(apps.values_list("pk", flat=True))
    return ids[page.offset : page.offset + page.size], len(ids)


class SearchView(TenantView):
    permission_classes = [permissions.CanReadApps]

    @extend_schema(
        tags=[TAG],
        operation_id="searchApps",
        summary="Search every app (enabled or not), paged and sorted",
        parameters=[
            *PAGING,
            OpenApiParameter("sort", str, many=True, description="field:asc or field:desc"),
            NAMESPACE,
            OpenApiParameter("flowId", str),
            *TEXT_AND_TAGS,
        ],
        responses={200: PagedAppsSerializer, 400: BAD_QUERY},
    )
    def get(self, request: Request, tenant: str) -> Response:
        params = request.query_params
        page = query.page_of(params)
        sorts = query.sorts_of(params, SORT_COLUMNS)
        filters = query.filters_of(params, {"namespace", "flowId", "tags", "q"})
        tags, text = search_terms(filters.tags, filters.text)
        managed = policy.managed_apps(request.user, "read")
        apps = catalog_search(
            _in_namespace(managed, filters),
            tags=tags,
            text=text,
            namespace=namespace_term(filters.namespace_prefix),
        )
        ids, total = _page_of_ids(_ordered(apps, sorts), page)
        found = App.objects.filter(pk__in=ids).defer("source", "definition", "flow_snapshot")
        by_pk = {app.pk: app for app in found}
        results = AppSerializer([by_pk[pk] for pk in ids if pk in by_pk], many=True).data
        return Response(paged(results, total))  # type: ignore[arg-type]  # many=True: a list


class CatalogView(TenantView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG],
        operation_id="searchAppsFromCatalog",
        summary="The catalog: enabled, listed apps this person may use",
        parameters=[*PAGING, NAMESPACE, *TEXT_AND_TAGS],
        responses={200: PagedCatalogSerializer, 400: BAD_QUERY},
    )
    def get(self, request: Request, tenant: str) -> Response:
        page = query.page_of(request.query_params)
        filters = query.filters_of(request.query_params, {"namespace", "tags", "q"})
        tags, text = search_terms(filters.tags, filters.text)
        found = in_namespace(
            policy.catalog(request.user), namespace_term(filters.namespace), exact=True
        )
        found = catalog_search(
            found, tags=tags, text=text, namespace=namespace_term(filters.namespace_prefix)
        )
        ids, total = _page_of_ids(found.order_by(*CATALOG_ORDER), page)
        context = {"base_url": site_url(request)}
        results = CatalogItemSerializer(catalog_cards(ids=ids), many=True, context=context).data
        return Response(paged(results, total))  # type: ignore[arg-type]  # many=True: a list


class TagsView(TenantView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=[TAG],
        operation_id="listTags",
        summary="Tags to filter by: every tag for managers, the catalog's for others",
        responses={200: TagsSerializer},
    )
    def get(self, request: Request, tenant: str) -> Response:
        if policy.can_manage(request.user, "read"):
            names = list(
                Tag.objects.filter(apps__isnull=False).distinct().values_list("name", flat=True)
            )
        else:
            names = catalog_listing(policy.catalog(request.user)).tags
        return Response({"tags": sorted(names)})


class StatesView(TenantView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=[TAG],
        operation_id="appStates",
        summary="The stages a layout may be given for (`on:`)",
        responses={200: {"type": "array", "items": {"type": "string", "enum": list(STAGES)}}},
    )
    def get(self, request: Request, tenant: str) -> Response:
        return Response(list(STAGES))
