"""The approvals inbox: every paused execution the person may vote on now, oldest first,
with where each decision stands."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from executions.selectors import pending_approvals_for_user

PAGE_SIZE = 50


@require_GET
@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    pending = pending_approvals_for_user(user=request.user, now=timezone.now())
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "executions/approvals.html", {"page": page})
