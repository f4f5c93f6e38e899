"""Nothing lost, nothing twice: submissions through a failing or unreachable Kestra, with two
workers at once (real workers, real broker, the emulator over HTTP)."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from executions import services
from executions.models import Execution
from tests.integration import test_tracking_support as support
from tests.integration.test_tracking_support import (
    holds,
    overlaps,
    set_faults,
    submissions_in_kestra,
    wait_until,
)

# The shared fixtures, used by name below.
tracking_emulator = support.tracking_emulator
tracking_kestra = support.tracking_kestra
start_worker = support.start_worker
quick_app = support.quick_app

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _final_stages() -> dict[str, int]:
    counts: dict[str, int] = {}
    for stage in Execution.objects.values_list("stage", flat=True):
        counts[stage] = counts.get(stage, 0) + 1
    return counts


def test_a_hundred_submissions_through_failures_make_a_hundred_executions(
    tracking_kestra, start_worker, quick_app
):
    first = start_worker("first", beat=True)
    second = start_worker("second")
    # 30% of requests fail; half of the creations that get through answer an error after
    # creating the execution (the case a naive retry would duplicate).
    set_faults(tracking_kestra, fail_rate=0.3, fail_after_create_rate=0.5)
    submitted = [
        services.execution_submit(app=quick_app, values={"name": f"n{i}"}, shown={})
        for i in range(100)
    ]
    wait_until(
        lambda: Execution.objects.filter(stage="SUCCESS").count() == 100,
        timeout=75,
        what=f"100 successes; stages now {_final_stages()}",
    )
    set_faults(tracking_kestra, fail_rate=0.0, fail_after_create_rate=0.0)

    per_submission = submissions_in_kestra(tracking_kestra, "tracking", "quick")
    assert sum(per_submission.values()) == 100, "exactly 100 executions in Kestra"
    assert per_submission == {execution.token: 1 for execution in submitted}
    kestra_ids = set(Execution.objects.values_list("kestra_id", flat=True))
    assert len(kestra_ids) == 100 and None not in kestra_ids
    assert Execution.objects.filter(attempts__gt=1).exists(), "some deliveries were retried"
    n7 = Execution.objects.get(snapshot__inputs__name="n7")
    assert "Bye n7" in [log.message for log in n7.logs.all()], (
        n7.snapshot,
        list(n7.logs.values_list("position", "message")),
    )

    work = holds(first, second)
    assert {hold.worker for hold in work} == {"first", "second"}, "both workers worked"
    assert overlaps(work) == []
    delivered = [h for h in work if h.kind == "deliver" and h.worker]
    assert len({h.execution_id for h in delivered}) == 100


def test_submissions_while_kestra_is_unreachable_are_delivered_once_it_is_back(
    tracking_kestra, start_worker, quick_app
):
    first = start_worker("first", beat=True)
    second = start_worker("second")
    client = Client()
    assert client.get(f"/apps/{quick_app.uid}/").status_code == 200  # keeps the flow's copy
    set_faults(tracking_kestra, unreachable=True)
    went_down = time.monotonic()
    pages = []
    for i in range(50):
        response = client.post(f"/apps/{quick_app.uid}/", {"input.name": f"u{i}"})
        assert response.status_code == 302
        pages.append(response["Location"])
    for page in pages[:: len(pages) // 5]:
        html = client.get(f"{page}live/").content.decode()
        assert re.search(r'data-stage="CREATED"', html), "the visitor sees it queued"
    # Queued the whole time Kestra is down (15 s at least), and each one tried again: how
    # soon every one has had its second attempt depends on how busy the machine is.
    while time.monotonic() - went_down < 15 or Execution.objects.filter(attempts__lt=2).exists():
        assert set(Execution.objects.values_list("stage", "delivery")) == {("CREATED", "QUEUED")}
        assert time.monotonic() - went_down < 60, "not every submission was retried in 60 s"
        time.sleep(1)
    set_faults(tracking_kestra, unreachable=False)

    took = wait_until(
        lambda: Execution.objects.filter(stage="SUCCESS").count() == 50,
        timeout=45,
        what=f"50 successes; stages now {_final_stages()}",
    )
    assert took < 30
    per_submission = submissions_in_kestra(tracking_kestra, "tracking", "quick")
    assert sorted(per_submission.values()) == [1] * 50
    assert overlaps(holds(first, second)) == []
