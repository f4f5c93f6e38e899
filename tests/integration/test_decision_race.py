"""Two approvers deciding at the same moment, in two browsers: Kestra is called once, and
the other vote is kept as too late with a message saying why.

Votes are counted with the execution's row locked (SELECT … FOR UPDATE), which only
PostgreSQL (CI) makes concurrent; SQLite serialises whole transactions.
"""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from executions.models import Decision, Vote
from tests import kestra_http
from tests.approvals import submitted, vacation_app
from tests.personas import make_user, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

DECIDED = "This request was decided a moment ago: your vote is recorded as too late."
MOVED_ON = "Too late: Kestra has moved on"


@pytest.mark.parametrize("policy", ["", "approval: {selfApproval: false}\n"])
def test_two_approvers_at_once_move_kestra_on_once(kestra, policy):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent votes need PostgreSQL's row locks (CI); SQLite serialises them")
    approvers = [make_user(name, groups=["HR"]) for name in ("mona", "nick", "olga")]
    app = vacation_app(policy)
    execution = submitted(kestra, signed_in(make_user("rita", groups=["HR"])), app)
    url = f"/apps/{app.uid}/executions/{execution.kestra_id}/resume/"
    clients = [signed_in(user) for user in approvers]
    start = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def vote(client: Client) -> None:
        try:
            start.wait(10)
            response = client.post(url, {"input.approved": "true", "input.comment": "ok"})
            answers.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    kestra_http.wait_for(kestra, execution.kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(kestra, execution.kestra_id)
    assert Decision.objects.count() == 1
    assert sorted(code for code, _ in answers) == [302, 409, 409]
    for code, body in answers:
        if code == 409:
            assert DECIDED in body or MOVED_ON in body, re.findall(r"alert[^>]*>([^<]*)<", body)
    statuses = sorted(Vote.objects.values_list("status", flat=True))
    assert statuses == ["COUNTED", "TOO_LATE", "TOO_LATE"]
