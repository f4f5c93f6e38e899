"""Error pages that match the portal's look instead of Django's bare defaults, the
branding's style sheet, and the health endpoints."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from kestra_apps import health, metrics
from kestra_apps.branding import Branding


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


@require_GET
def branding_css(request: HttpRequest) -> HttpResponse:
    """The colours set by PORTAL_PRIMARY_COLOR and PORTAL_ACCENT_COLOR. Linked with
    `?v=` the colours' digest, so a browser may keep it for a day."""
    response = HttpResponse(Branding.from_settings().css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process serves: nothing else is asked."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """The database, the broker and Kestra answer: 200, or 503 naming what failed."""
    checks = health.readiness()
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "failed", **checks}, status=200 if ready else 503
    )


@never_cache
@require_GET
def metrics_scrape(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape, for allowed networks and the token holder only."""
    try:
        metrics.may_scrape(
            address=request.META.get("REMOTE_ADDR", ""),
            authorization=request.headers.get("Authorization", ""),
        )
    except metrics.Refused as refused:
        response = HttpResponse(status=refused.status)
        if refused.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.scrape(), content_type=CONTENT_TYPE_LATEST)
