from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps_catalog.selectors import catalog_for_user

PAGE_SIZE = 24


@require_GET
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    apps = catalog_for_user(user=request.user)
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "apps_catalog/catalog.html", {"page": page})
