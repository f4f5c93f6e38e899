"""The approval policy where apps are managed: the admin and `import_apps` warn about a
pause anyone may approve for themselves and about approvers nobody has yet, and
`export_apps --kestra` leaves the portal's extension out for Kestra Enterprise."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.management import call_command

from apps_catalog.definition import parse_app
from apps_catalog.models import App
from apps_catalog.services import SELF_APPROVAL_WARNING
from tests.approvals import VACATION
from tests.personas import make_user

pytestmark = pytest.mark.django_db

ADD = "/admin/apps_catalog/app/add/"
POLICY = """approval:
  selfApproval: false
  steps:
    - name: Team lead
      approvers: {users: [mona, ghost]}
    - approvers: {groups: [HR, Payroll]}
"""


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_admin_flags_a_pause_without_a_policy_and_saves_the_app(client, kestra, admin):
    client.force_login(admin)
    response = client.post(ADD, {"source": VACATION}, follow=True)
    assert App.objects.filter(app_id="vacation_approval").exists()
    assert SELF_APPROVAL_WARNING in messages_of(response)
    assert "requester may approve their own request" in response.content.decode()


def test_the_admin_warns_at_their_line_about_approvers_nobody_has_yet(client, kestra, admin):
    make_user("mona")
    Group.objects.get_or_create(name="HR")
    client.force_login(admin)
    response = client.post(ADD, {"source": VACATION + POLICY}, follow=True)
    warnings = messages_of(response)
    assert SELF_APPROVAL_WARNING not in warnings
    offset = VACATION.count("\n")
    assert f"line {offset + 5}: approval: no user is named 'ghost' yet" in warnings
    assert (
        f"line {offset + 6}: approval: no group is named 'Payroll' yet"
        " (it may arrive from the identity provider at someone's login)"
    ) in warnings
    assert not any("'mona'" in w or "'HR'" in w for w in warnings)


def test_a_malformed_policy_is_an_error_at_its_line_and_nothing_is_saved(client, kestra, admin):
    client.force_login(admin)
    source = VACATION + "approval:\n  quorum: many\n"
    response = client.post(ADD, {"source": source})
    assert response.status_code == 200
    line = VACATION.count("\n") + 2
    assert f"line {line}: approval.quorum: must be one of ALL, got &#x27;many&#x27;" in (
        response.content.decode()
    )
    assert not App.objects.exists()


def test_import_warns_too_and_still_imports(kestra, tmp_path):
    (tmp_path / "vacation.yml").write_text(VACATION)
    out, err = StringIO(), StringIO()
    call_command("import_apps", str(tmp_path), stdout=out, stderr=err)
    assert "created demo.vacation_approval" in out.getvalue()
    assert f"warning: {SELF_APPROVAL_WARNING}" in err.getvalue()


def test_export_keeps_the_policy_and_kestra_export_leaves_it_out(kestra, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "vacation.yml").write_text(VACATION + POLICY)
    call_command("import_apps", str(tmp_path / "in"), stdout=StringIO(), stderr=StringIO())

    call_command("export_apps", str(tmp_path / "portal"), stdout=StringIO())
    call_command("export_apps", str(tmp_path / "kestra"), "--kestra", stdout=StringIO())

    name = "demo.vacation_approval.yml"
    assert (tmp_path / "portal" / name).read_text() == VACATION + POLICY
    for_kestra = (tmp_path / "kestra" / name).read_text()
    assert for_kestra == VACATION
    assert parse_app(for_kestra).approval is None


def test_the_admin_preview_and_the_api_preview_show_the_policy_at_the_pause(client, kestra, admin):
    client.force_login(admin)
    html = client.post("/admin/apps_catalog/app/preview/", {"source": VACATION + POLICY}).json()[
        "html"
    ]
    pause = html[html.index('id="stage-PAUSE"') : html.index('id="stage-RESUME"')]
    assert "The person who made the request may not decide on it." in pause
    assert "Step 1 (Team lead): Approvers: mona and ghost; one approval is needed." in pause
    assert "0 of 1 approval" in pause and "Step 1 of 2: Team lead" in pause
    running = html[html.index('id="stage-RUNNING"') : html.index('id="stage-PAUSE"')]
    assert "may not decide" not in running

    answer = client.post(
        "/api/v1/main/apps/preview?state=PAUSE",
        VACATION + POLICY,
        content_type="application/x-yaml",
    )
    assert answer.status_code == 200, answer.content
    decision = answer.json()["decision"]
    assert decision["rules"][0] == "The person who made the request may not decide on it."
    assert (decision["progress"], decision["step"]) == ("0 of 1 approval", "Step 1 of 2: Team lead")
    assert decision["waitingOn"] == "mona and ghost" and decision["mayVote"] is False
