from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


def plain(request: HttpRequest) -> HttpResponse:
    """A plain Django page of the same shape: a template over a few dozen rows."""
    rows = [{"level": "INFO", "task": f"task{i}", "message": f"message {i}"} for i in range(40)]
    return render(request, "plain.html", {"rows": rows})


urlpatterns = [
    path("bench/plain/", plain),
    path("", include("kestra_apps.urls")),
]
