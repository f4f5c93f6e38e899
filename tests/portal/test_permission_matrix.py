"""Who may do what, for every page: personas × actions, on a private and a public app.

The tables below are the rule. Each cell of MATRIX is a test that asserts the status code
and, for the actions, the database and the emulator afterwards; each cell of LISTINGS, exactly
which apps, tags and requests a page lists; each cell of APPROVAL_MATRIX and APPROVAL_INBOX,
what the people an approval policy names (tests/approval_personas.py) see and do on a paused
request of an app with that policy: the page, the votes, decisions and delegations left,
Kestra moved on once or not at all, and exactly what their inbox lists.
docs/permissions.md is rendered from the tables and a test fails if it differs
(UPDATE_DOCS=1 rewrites the file).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib import auth
from django.contrib.auth.models import Group
from django.core import signing
from django.http import Http404
from django.test import AsyncRequestFactory, Client
from django.utils import timezone

from accounts import policy
from apps_catalog.models import App, AppUserObjectPermission
from apps_catalog.services import app_save_source
from executions import services
from executions.adoption import execution_adopt
from executions.models import VIA_LINK, Decision, Delegation, Execution, Vote
from executions.views.stream import execution_stream
from notifications import links
from notifications.models import Preference
from tests import approval_personas, kestra_http
from tests.approval_personas import AFTER, Paused, acting_as
from tests.conftest import EXAMPLES
from tests.personas import APPROVERS, grant_use, signed_in

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
PERSONAS = ["anonymous", "outsider", "member", "direct grant", "manager", "superuser"]
LOGIN = "→ login"  # a redirect to the login page, then back
ADMIN_LOGIN = "→ admin login"

# (app access, action) → the answer each persona gets. "ok" is 200 for a page, and for an
# action a redirect back to the execution with the action done.
MATRIX: dict[tuple[str, str], list[str]] = {
    ("PRIVATE", "catalog lists the app"): [LOGIN, "no", "yes", "yes", "no", "yes"],
    ("PRIVATE", "open app"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "submit"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "view execution"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "download a file"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "download the logs"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "follow execution (events)"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "resume"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "cancel"): [LOGIN, "404", "ok", "ok", "404", "ok"],
    ("PRIVATE", "see its thumbnail"): ["404", "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "catalog lists the app"): [LOGIN, "yes", "yes", "yes", "yes", "yes"],
    ("PUBLIC", "open app"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "see its thumbnail"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "submit"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "view execution"): ["404", "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "download a file"): ["404", "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "download the logs"): ["404", "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "follow execution (events)"): ["404", "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "follow own (same browser)"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "view own (same browser)"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "view through its signed link"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("PUBLIC", "view through a tampered link"): ["404", "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "resume someone else's"): ["404", "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "cancel someone else's"): ["404", "404", "ok", "ok", "404", "ok"],
    ("PUBLIC", "resume own (same browser)"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("ANY", "choose the language"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("ANY", "read the JavaScript catalog"): ["ok", "ok", "ok", "ok", "ok", "ok"],
    ("ADMIN", "read the audit record"): [
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        "ok",
        "ok",
    ],
    ("ADMIN", "change an app"): [ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, "ok", "ok"],
    ("ADMIN", "grant themselves use of an app"): [
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        "ok",
        "ok",
    ],
}

# (page, what it lists) → exactly what each persona sees there, in the page's order; LOGIN
# for a redirect to the login page. The world of these cells holds, beside the private and
# the public app, four apps nobody but a superuser should see listed (DISTRACTORS) and the
# requests of REQUESTS.
LISTINGS: dict[tuple[str, str], list[str | list[str]]] = {
    ("catalog `/apps/`", "apps"): [
        LOGIN,
        ["Vacation requests (public)"],
        ["Vacation requests", "Vacation requests (public)"],
        ["Vacation requests", "Vacation requests (public)"],
        ["Vacation requests (public)"],
        ["Locked away", "Vacation requests", "Vacation requests (public)"],
    ],
    ("catalog `/apps/`", "tag choices"): [
        LOGIN,
        ["Open"],
        ["HR", "Open"],
        ["HR", "Open"],
        ["Open"],
        ["HR", "Locked", "Open"],
    ],
    # An app's end date stops new requests, not the decisions on those under way.
    ("approvals `/apps/approvals/`", "paused requests"): [
        LOGIN,
        ["outsider's", "expired app's"],
        ["started in Kestra", "outsider's", "member's", "this browser's", "another browser's"],
        ["started in Kestra", "outsider's", "member's", "this browser's", "another browser's"],
        [],
        [
            "started in Kestra",
            "outsider's",
            "member's",
            "this browser's",
            "another browser's",
            "locked app's",
            "expired app's",
        ],
    ],
    ("my requests `/apps/requests/`", "requests"): [
        ["this browser's"],
        ["outsider's finished", "expired app's", "this browser's", "outsider's"],
        ["this browser's", "member's"],
        ["this browser's"],
        ["this browser's"],
        ["this browser's"],
    ],
}

# Approval policies: the vacation app with approval_personas.POLICY (two steps: lead or
# away, then payroll; no self-approval; boss after an hour; away handed the decision to
# deputy), PRIVATE as the example has it (for HR) and PUBLIC. The people are the columns.
APPROVAL_PERSONAS = list(approval_personas.PERSONAS)
DECIDES = "may decide"
DECIDES_FOR_AWAY = "may decide for away"
SELF = "`self-approval`"
NOT_APPROVER = "`not-an-approver`"
LOGIN_FIRST = "`login-required`"


def reads(rule: str) -> str:
    """The page is shown, saying why this person may not decide."""
    return f"reads: {rule}"


def refused(rule: str) -> str:
    return f"403 {rule}"


# A signed decision link names a person: nobody's link is not the portal's (404).
NO_LINK = "404 (no one's link)"

# (app access, action) → each persona's answer. "ok": the action is done (what it leaves is
# in render_matrix's text); "403 `rule`": refused by that rule of the policy, nothing done.
APPROVAL_MATRIX: dict[tuple[str, str], list[str]] = {
    ("PRIVATE", "view the paused request"): [
        reads(SELF), DECIDES, DECIDES_FOR_AWAY, reads(NOT_APPROVER), reads(NOT_APPROVER),
        DECIDES, "404", LOGIN,
    ],
    ("PRIVATE", "approve, step 1 under way"): [
        refused(SELF), "ok", "ok", refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        "404", LOGIN,
    ],
    ("PRIVATE", "approve, step 2 under way"): [
        refused(SELF), refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        refused(NOT_APPROVER), "ok", "404", LOGIN,
    ],
    ("PRIVATE", "reject"): [
        refused(SELF), "ok", "ok", refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        "404", LOGIN,
    ],
    ("PRIVATE", "request changes"): [
        refused(SELF), "ok", "ok", refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        "404", LOGIN,
    ],
    ("PRIVATE", "approve through their emailed link, step 1"): [
        refused(SELF), "ok", "ok", refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        "403 no access", NO_LINK,
    ],
    ("PRIVATE", "delegate to pat"): [
        refused(SELF), "ok", refused("`delegated`"), refused(NOT_APPROVER),
        refused(NOT_APPROVER), "ok", "404", LOGIN,
    ],
    ("PUBLIC", "view the paused request"): [
        reads(SELF), DECIDES, DECIDES_FOR_AWAY, reads(NOT_APPROVER), reads(NOT_APPROVER),
        DECIDES, "404", "404",
    ],
    ("PUBLIC", "approve, step 1 under way"): [
        refused(SELF), "ok", "ok", refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        "404", "404",
    ],
    ("PUBLIC", "approve, step 2 under way"): [
        refused(SELF), refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        refused(NOT_APPROVER), "ok", "404", "404",
    ],
    ("PUBLIC", "reject"): [
        refused(SELF), "ok", "ok", refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        "404", "404",
    ],
    ("PUBLIC", "request changes"): [
        refused(SELF), "ok", "ok", refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        "404", "404",
    ],
    ("PUBLIC", "approve through their emailed link, step 1"): [
        refused(SELF), "ok", "ok", refused(NOT_APPROVER), refused(NOT_APPROVER), "ok",
        "403 no access", NO_LINK,
    ],
    ("PUBLIC", "delegate to pat"): [
        refused(SELF), "ok", refused("`delegated`"), refused(NOT_APPROVER),
        refused(NOT_APPROVER), "ok", "404", "404",
    ],
}  # fmt: skip

# App access → exactly the requests the approvals inbox lists to each persona, oldest
# first, of INBOX_REQUESTS on that app.
STEP_1, STEP_2, LEADS_OWN, DECIDED = "rita's step 1", "rita's step 2", "lead's own", "decided"
APPROVAL_INBOX: dict[str, list[str | list[str]]] = {
    access: [
        [], [STEP_1], [STEP_1, LEADS_OWN], [STEP_2], [], [STEP_1, STEP_2, LEADS_OWN], [], LOGIN,
    ]
    for access in ("PRIVATE", "PUBLIC")
}  # fmt: skip

PUBLIC_VACATION = """id: open_vacation
type: io.kestra.plugin.ee.apps.Execution
displayName: Vacation requests (public)
namespace: demo
flowId: vacation_request
access: PUBLIC
tags: [Open]
"""
VACATION_INPUTS = {
    "request.name": "Lin",
    "request.start_date": "2027-01-04",
    "request.end_date": "2027-01-08",
}


def render_matrix() -> str:
    lines = [
        "# Permission matrix",
        "",
        "Generated from `tests/portal/test_permission_matrix.py`, where every cell is a test.",
        "`ok` is a 200 page or an action carried out; `→ login` a redirect to the login page;",
        "a member is granted use through a group, a manager may change apps but was granted",
        "no use of them. PRIVATE and PUBLIC are the app's `access.type`.",
        "",
        "**Managers can reach every app.** Whoever may change apps (`change_app`) may grant",
        "use of any app, to themselves too: on the app's object permissions page in the",
        "admin, by naming a group of theirs in the YAML's `access.groups`, or by making the",
        "app PUBLIC. Give `change_app` only to people trusted with every app and its",
        "requests. The admin's history of an app shows who changed its YAML; a grant made",
        "on the object permissions page is not recorded there.",
        "",
        "**On a PUBLIC app, one opens only one's own executions.** Someone not granted",
        "the app (anonymous, or signed in without a grant: the outsider, the manager) opens",
        "an execution, its live part, files and logs, and acts on it, only if they submitted",
        "it (as this user, or from this browser session), its approval names them, or a",
        "signed link names it (`?link=`, in the anonymous requester's messages; a tampered",
        "link is no link); anything else is `404`, as if it did not exist, and nothing is",
        "adopted from Kestra for them. Kestra hides public apps' execution ids for the",
        "same reason. Those granted the app and superusers open every execution, as on a",
        "PRIVATE app. In the rows below, the execution viewed, downloaded, resumed or",
        "cancelled is someone else's (one started in Kestra) unless the row says otherwise.",
        "",
        "An action cell checks its effect too: a submission is one request, the person's,",
        "that Kestra runs with the inputs sent; a resume moves the execution in Kestra on",
        "exactly once, a cancel kills it, and each leaves one decision naming who took it and",
        "what was sent; a change to an app is saved. A refused action changes nothing, in the",
        "portal or in Kestra.",
        "",
        "An app's thumbnail kept as a namespace file (`nsfiles:///…`, served by the portal)",
        "is shown to whoever may see the app, its card or its pages, and is `404` to anyone",
        "else, anonymous included: a picture sends nobody to the login page.",
        "",
        "| app | action | " + " | ".join(PERSONAS) + " |",
        "| --- | --- |" + " --- |" * len(PERSONAS),
    ]
    lines += [
        f"| {app} | {action} | " + " | ".join(row) + " |" for (app, action), row in MATRIX.items()
    ]
    lines += [
        "",
        "## What each page lists",
        "",
        "Exactly these, in the page's order, and nothing else. Beside the two apps above, the",
        "world holds a disabled app, an expired one, an unlisted one and a private one granted",
        "to nobody (Locked away, tag Locked), each with a tag of its own and a paused request",
        "the outsider made. The requests: a paused one on the private app, started in Kestra;",
        "paused ones on the public app made by the outsider, by the member, from the browser",
        "the persona uses (this browser's) and from another browser; and one the outsider made",
        "that is over (outsider's finished).",
        "",
        "| page | lists | " + " | ".join(PERSONAS) + " |",
        "| --- | --- |" + " --- |" * len(PERSONAS),
    ]
    lines += [
        f"| {page} | {what} | " + " | ".join(_shown(cell) for cell in row) + " |"
        for (page, what), row in LISTINGS.items()
    ]
    return "\n".join(lines + _render_approvals()) + "\n"


def _render_approvals() -> list[str]:
    lines = [
        "",
        "## Approval policies",
        "",
        "A paused vacation request of Rita's on the vacation app with this policy (PRIVATE:",
        "the example app, for the group HR; PUBLIC: the same app made public):",
        "",
        "```yaml",
        *approval_personas.POLICY.rstrip("\n").split("\n"),
        "```",
        "",
        'Away has handed the decision to deputy ("I am away this week"). The columns:',
        "**requester** (rita), **named approver** (lead, of step 1), **delegate** (deputy,",
        "in away's place), **approver of step 2** (payroll), the **escalation approver**",
        "(boss) with the pause begun ten minutes ago (before PT1H) or two hours ago (after),",
        "an **outsider** (signed in, granted nothing) and **anonymous**. All but the outsider",
        "are in HR.",
        "",
        "`may decide` is the page with the buttons (`for away`: in away's place); `reads:`",
        "the page without them, saying the rule's sentence; `403` a refusal by that rule (the",
        "API names it, the page says its sentence); `404` and `→ login` as above. Every",
        "refused cell checks that nothing changed: no vote, decision or delegation, and the",
        "execution's history in Kestra as it was.",
        "",
        "*Through their emailed link*: the signed link a message gave that person",
        "(docs/notifications.md), posted from a browser signed in as nobody. It acts as",
        "them under the same policy, and the vote says `via emailed link`; the outsider's",
        "link to the private app is refused (`403 no access`); no message names anonymous,",
        "and a link naming no one is not the portal's (`404`). On the PUBLIC app, the",
        "outsider and anonymous neither made the request nor are named by the policy: they",
        "do not open it (`404`; their emailed link: `403 no access`).",
        "",
        "What an `ok` leaves, checked in the Vote, Decision and Delegation rows and in",
        "Kestra (the emulator's history):",
        "",
        "- approve, step 1 under way: one vote, counted in step 1 (in away's seat for the",
        "  delegate); no decision yet, Kestra still paused. Payroll's inbox lists it now,",
        "  the voter's no longer does, but for boss after PT1H: the escalation names boss",
        "  in every step, so boss may approve step 2 as well.",
        "- approve, step 2 under way (lead approved step 1): the second vote meets the",
        "  policy; Kestra resumes exactly once; one RESUME decision naming the voter, with",
        "  the values and the comment.",
        "- reject, request changes: one vote; one rejection rejects, so Kestra kills the",
        "  execution (never resumed) and one CANCEL or CHANGES decision keeps the reason;",
        "  it leaves the voter's inbox.",
        "- delegate to pat: one delegation from the voter to pat with the note; nothing sent",
        "  to Kestra; pat's inbox lists the request, the voter's no longer does.",
        "",
        "The inbox row lists exactly these, oldest first, of four paused requests on that",
        "app: Rita's in step 1 (rita's step 1), Rita's in step 2, lead having approved",
        "step 1 (rita's step 2), lead's own in step 1 (lead's own), and Rita's approved a",
        "moment ago, not yet moved on in Kestra (decided), which nobody's inbox lists.",
        "",
        "| app | action | " + " | ".join(APPROVAL_PERSONAS) + " |",
        "| --- | --- |" + " --- |" * len(APPROVAL_PERSONAS),
    ]
    for access, inbox in APPROVAL_INBOX.items():
        lines += [
            f"| {app} | {action} | " + " | ".join(row) + " |"
            for (app, action), row in APPROVAL_MATRIX.items()
            if app == access
        ]
        cells = " | ".join(_shown(cell) for cell in inbox)
        lines.append(f"| {access} | inbox `/apps/approvals/` lists | {cells} |")
    return lines


def _shown(cell: str | list[str]) -> str:
    if isinstance(cell, str):
        return cell
    return ", ".join(cell) or "nothing"


def test_the_documented_matrix_is_the_tested_one():
    if os.environ.get("UPDATE_DOCS"):
        DOC.write_text(render_matrix())
    assert DOC.read_text() == render_matrix(), (
        "run with UPDATE_DOCS=1 to refresh docs/permissions.md"
    )


# The world each cell runs in


@pytest.fixture
def world(kestra, anonymous, outsider, approver, grantee, manager, admin):
    """The private vacation app (for group HR) and a public one; the personas of
    tests/personas.py under the matrix's names: the member is the approver persona (in HR),
    the direct grant the grantee, granted use of both apps."""
    private, _ = app_save_source(source=(EXAMPLES / "apps" / "vacation_approval.yml").read_text())
    public, _ = app_save_source(source=PUBLIC_VACATION)
    grant_use(Group.objects.get(name=APPROVERS), public)
    grant_use(grantee, private, public)
    users = {
        "anonymous": anonymous,
        "outsider": outsider,
        "member": approver,
        "direct grant": grantee,
        "manager": manager,
        "superuser": admin,
    }
    return {"PRIVATE": private, "PUBLIC": public, "users": users, "kestra": kestra}


def _client(world, persona: str) -> Client:
    return signed_in(world["users"][persona])


def _paused_execution(world, app: App, submitter: Client | None = None) -> Execution:
    kestra_id = kestra_http.start_paused(
        world["kestra"], "demo", "vacation_request", VACATION_INPUTS
    )
    execution = execution_adopt(app=app, kestra_id=kestra_id)
    assert execution is not None and execution.stage == "PAUSE"
    services.execution_poll(execution_id=execution.pk)  # what the worker does next
    execution.refresh_from_db()
    if submitter is not None:
        submitter.get("/apps/requests/")  # gives an anonymous browser its session
        Execution.objects.filter(pk=execution.pk).update(session_key=submitter.session.session_key)
    return execution


def _answer(response) -> str:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    if response.status_code == 302 and "/admin/login/" in response["Location"]:
        return ADMIN_LOGIN
    if response.status_code in (200, 302):
        return "ok"
    return str(response.status_code)


# One test per cell


CELLS = [
    (app, action, persona, expected)
    for (app, action), row in MATRIX.items()
    for persona, expected in zip(PERSONAS, row, strict=True)
]


@pytest.mark.parametrize(("access", "action", "persona", "expected"), CELLS)
def test_cell(world, access, action, persona, expected):
    client = _client(world, persona)
    app = world.get(access)
    check = ACTIONS[action]
    check(world, client, app, expected)


def _catalog(world, client, app, expected):
    response = client.get("/apps/")
    if expected == LOGIN:
        assert _answer(response) == LOGIN
        return
    listed = f"/apps/{app.uid}/" in response.content.decode()
    assert response.status_code == 200 and listed == (expected == "yes")


def _open(world, client, app, expected):
    response = client.get(f"/apps/{app.uid}/")
    assert _answer(response) == expected
    if expected == "ok":
        assert 'name="input.request.name"' in response.content.decode()


def _thumbnail(world, client, app, expected):
    """The app's namespace-file thumbnail (examples/flows/_files/demo/feedback.svg): a
    picture to whoever may see the app, else 404 (a picture sends nobody to log in)."""
    App.objects.filter(pk=app.pk).update(thumbnail="nsfiles:///feedback.svg")
    response = client.get(f"/apps/{app.uid}/thumbnail")
    assert _answer(response) == expected
    if expected == "ok":
        assert response["Content-Type"] == "image/svg+xml"
        assert response.content == (EXAMPLES / "flows/_files/demo/feedback.svg").read_bytes()
    else:
        assert b"<svg" not in response.content


def _submit(world, client, app, expected):
    values = {f"input.{k}": v for k, v in VACATION_INPUTS.items()}
    response = client.post(f"/apps/{app.uid}/", values)
    assert _answer(response) == expected
    if expected != "ok":
        assert not Execution.objects.exists()
        return
    # One request, this person's (or, for a visitor, this browser's), which reaches Kestra
    # with what was sent once a worker delivers it (in-process here).
    execution = Execution.objects.get()
    user = auth.get_user(client)
    assert execution.app == app
    assert execution.submitted_by == (user if user.is_authenticated else None)
    assert execution.session_key == client.session.session_key
    delivered = services.execution_deliver(execution_id=execution.pk)
    assert delivered is not None and delivered.kestra_id
    in_kestra = kestra_http.execution(world["kestra"], delivered.kestra_id)
    assert (in_kestra["flowId"], in_kestra["inputs"]["request"]) == (
        "vacation_request",
        {key.removeprefix("request."): value for key, value in VACATION_INPUTS.items()},
    )


def _view(world, client, app, expected, submitter: Client | None = None, link: str = ""):
    execution = _paused_execution(world, app, submitter)
    query = {"link": link.replace("{token}", policy.execution_link(execution))} if link else {}
    response = client.get(f"/apps/{app.uid}/executions/{execution.kestra_id}/", query)
    assert _answer(response) == expected
    if expected == "ok":
        assert (
            "Approval needed" in response.content.decode() or "waiting" in response.content.decode()
        )


def _view_own(world, client, app, expected):
    _view(world, client, app, expected, submitter=client)


def _view_linked(world, client, app, expected):
    _view(world, client, app, expected, link="{token}")


def _view_tampered(world, client, app, expected):
    _view(world, client, app, expected, link="{token}x")


def _download(world, client, app, expected):
    execution = _paused_execution(world, app)
    path = execution.task_outputs["summary"]["uri"]
    response = client.get(
        f"/apps/{app.uid}/executions/{execution.kestra_id}/files/", {"path": path}
    )
    assert _answer(response) == expected
    if expected == "ok":
        assert b"Lin asks for 2027-01-04" in b"".join(response.streaming_content)


def _download_logs(world, client, app, expected):
    execution = _paused_execution(world, app)
    response = client.get(f"/apps/{app.uid}/executions/{execution.kestra_id}/logs/")
    assert _answer(response) == expected
    if expected == "ok":
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment;")


def _follow(world, client, app, expected, submitter: Client | None = None):
    """The page's event stream, asked as under ASGI (where pages stream) by this browser;
    the stream is closed unread: what it sends is tests/integration/test_live_pages.py."""
    execution = _paused_execution(world, app, submitter)
    url = f"/apps/{app.uid}/executions/{execution.kestra_id}/stream/"
    request = AsyncRequestFactory().get(url)
    request.user = auth.get_user(client)
    request.session = client.session
    try:
        response = execution_stream(request, uid=app.uid, execution_id=execution.kestra_id)
    except Http404:  # turned into the 404 page by Django's handler, which is left out here
        assert expected == "404"
        return
    assert _answer(response) == expected
    if expected == "ok":
        assert response["Content-Type"] == "text/event-stream"
    response.close()


def _follow_own(world, client, app, expected):
    _follow(world, client, app, expected, submitter=client)


def _resume(world, client, app, expected, submitter: Client | None = None):
    execution = _paused_execution(world, app, submitter)
    kestra, kestra_id = world["kestra"], execution.kestra_id
    before = kestra_http.history(kestra, kestra_id)
    url = f"/apps/{app.uid}/executions/{kestra_id}/resume/"
    response = client.post(url, {"input.approved": "true", "input.comment": "ok"})
    assert _answer(response) == expected
    if expected != "ok":
        assert kestra_http.history(kestra, kestra_id) == before
        assert not Decision.objects.exists()
        return
    kestra_http.wait_for(kestra, kestra_id, {"SUCCESS"})
    assert kestra_http.moved_on_once(kestra, kestra_id)
    _decided(client, execution, "RESUME", {"approved": "true", "comment": "ok"})


def _decided(client: Client, execution: Execution, action: str, values: dict) -> None:
    """The one audit record: this action, by whoever the client is signed in as (nobody for
    an anonymous visitor, then known by the browser session), with what was sent."""
    decision = Decision.objects.get()
    user = auth.get_user(client)
    assert (decision.execution, decision.action, decision.values) == (execution, action, values)
    assert decision.user == (user if user.is_authenticated else None)
    assert decision.username == user.get_username()


def _resume_own(world, client, app, expected):
    _resume(world, client, app, expected, submitter=client)


def _cancel(world, client, app, expected):
    execution = _paused_execution(world, app)
    kestra, kestra_id = world["kestra"], execution.kestra_id
    before = kestra_http.history(kestra, kestra_id)
    response = client.post(f"/apps/{app.uid}/executions/{kestra_id}/cancel/")
    assert _answer(response) == expected
    if expected != "ok":
        assert kestra_http.history(kestra, kestra_id) == before
        assert not Decision.objects.exists()
        return
    kestra_http.wait_for(kestra, kestra_id, {"KILLED"})
    assert "RESTARTED" not in kestra_http.history(kestra, kestra_id)
    _decided(client, execution, "CANCEL", {})


def _choose_language(world, client, app, expected):
    """The header's switcher, for anyone: the cookie for all, the preference when signed in."""
    response = client.post("/notifications/language/", {"language": "de", "next": "/apps/"})
    assert _answer(response) == expected
    assert response["Location"] == "/apps/"
    assert response.cookies["django_language"].value == "de"
    user = auth.get_user(client)
    saved = Preference.objects.filter(user_id=user.pk).values_list("language", flat=True)
    assert list(saved) == (["de"] if user.is_authenticated else [])


def _javascript_catalog(world, client, app, expected):
    response = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="fr")
    assert _answer(response) == expected
    assert "Ajouter une ligne" in response.content.decode()


def _audit(world, client, app, expected):
    assert _answer(client.get("/admin/executions/decision/")) == expected


def _change_app(world, client, app, expected):
    private = world["PRIVATE"]
    url = f"/admin/apps_catalog/app/{private.pk}/change/"
    assert _answer(client.get(url)) == expected
    source = private.source.replace("displayName: Vacation requests", "displayName: Time off")
    response = client.post(url, {"source": source})
    assert _answer(response) == expected
    private.refresh_from_db()
    assert (private.display_name == "Time off") == (expected == "ok")


def _grant_themselves(world, client, app, expected):
    """Through the private app's object permissions page: a grant of use to themselves."""
    private, user = world["PRIVATE"], auth.get_user(client)
    page = f"/admin/apps_catalog/app/{private.pk}/permissions/"
    if not user.is_authenticated:
        assert _answer(client.get(page)) == expected
        return
    grants = AppUserObjectPermission.objects.filter(
        user=user, content_object=private, permission__codename="use_app"
    )
    grants.delete()
    response = client.post(f"{page}user-manage/{user.pk}/", {"permissions": ["use_app"]})
    assert _answer(response) == expected
    assert grants.exists() == (expected == "ok")
    if expected == "ok":
        assert client.get(f"/apps/{private.uid}/").status_code == 200


ACTIONS = {
    "catalog lists the app": _catalog,
    "open app": _open,
    "see its thumbnail": _thumbnail,
    "submit": _submit,
    "view execution": _view,
    "view own (same browser)": _view_own,
    "view through its signed link": _view_linked,
    "view through a tampered link": _view_tampered,
    "download a file": _download,
    "download the logs": _download_logs,
    "follow execution (events)": _follow,
    "follow own (same browser)": _follow_own,
    "resume": _resume,
    "cancel": _cancel,
    "resume someone else's": _resume,
    "cancel someone else's": _cancel,
    "resume own (same browser)": _resume_own,
    "choose the language": _choose_language,
    "read the JavaScript catalog": _javascript_catalog,
    "read the audit record": _audit,
    "change an app": _change_app,
    "grant themselves use of an app": _grant_themselves,
}


# What each page lists: one test per cell of LISTINGS


def _distractor(app_id: str, name: str, tag: str, access: str, extra: str = "") -> str:
    return (
        f"id: {app_id}\n"
        "type: io.kestra.plugin.ee.apps.Execution\n"
        f"displayName: {name}\n"
        "namespace: demo\n"
        "flowId: vacation_request\n"
        f"access: {access}\n"
        f"tags: [{tag}]\n"
        f"{extra}"
    )


DISTRACTORS = {
    "off": _distractor("switched_off", "Switched off", "Off", "PUBLIC", "disabled: true\n"),
    "expired": _distractor(
        "expired", "Expired", "Expired", "PUBLIC", "expiration: {endDate: 2020-01-01T00:00:00Z}\n"
    ),
    "unlisted": _distractor("unlisted", "Unlisted", "Unlisted", "{type: PUBLIC, catalog: false}"),
    "locked": _distractor("locked", "Locked away", "Locked", "PRIVATE"),
}
THIS_BROWSER, OTHER_BROWSER = "this browser", "another browser"
# label → (the app, who submitted it: a persona, a browser or nobody, its stage), oldest first.
REQUESTS: dict[str, tuple[str, str | None, str]] = {
    "started in Kestra": ("PRIVATE", None, "PAUSE"),
    "outsider's": ("PUBLIC", "outsider", "PAUSE"),
    "member's": ("PUBLIC", "member", "PAUSE"),
    "this browser's": ("PUBLIC", THIS_BROWSER, "PAUSE"),
    "another browser's": ("PUBLIC", OTHER_BROWSER, "PAUSE"),
    # The outsider's, on an app no longer granted: neither theirs to decide nor to see.
    "locked app's": ("locked", "outsider", "PAUSE"),
    "switched-off app's": ("off", "outsider", "PAUSE"),
    "expired app's": ("expired", "outsider", "PAUSE"),
    "outsider's finished": ("PUBLIC", "outsider", "SUCCESS"),
}


def _requests(world, client: Client) -> dict[str, str]:
    """REQUESTS as rows, "this browser's" from the client's session; kestra id → label."""
    client.get("/apps/requests/")  # gives an anonymous browser its session
    apps = {**world, **{key: app_save_source(source=s)[0] for key, s in DISTRACTORS.items()}}
    start = timezone.now() - timedelta(hours=1)
    labels = {}
    for n, (label, (app, who, stage)) in enumerate(REQUESTS.items()):
        browser = {THIS_BROWSER: client.session.session_key, OTHER_BROWSER: "another-session"}
        execution = Execution.objects.create(
            app=apps[app],
            kestra_id=f"Listed{n:014d}",
            delivery=Execution.Delivery.DELIVERED,
            state="PAUSED" if stage == "PAUSE" else stage,
            stage=stage,
            submitted_by=world["users"].get(who or ""),
            session_key=browser.get(who or "", ""),
        )
        # Apart in time, so that "oldest first" and "newest first" are one order each.
        at = start + timedelta(minutes=n)
        Execution.objects.filter(pk=execution.pk).update(created=at, stage_since=at)
        labels[execution.kestra_id] = label
    return labels


def _listing_catalog_apps(client, labels) -> list[str] | str:
    response = client.get("/apps/")
    return _answer(response) if response.status_code != 200 else _cards(response)


def _cards(response) -> list[str]:
    return re.findall(r'<h2><a href="/apps/\w+/">([^<]*)</a></h2>', response.content.decode())


def _listing_catalog_tags(client, labels) -> list[str] | str:
    response = client.get("/apps/")
    if response.status_code != 200:
        return _answer(response)
    return re.findall(r'name="tags" value="([^"]*)"', response.content.decode())


def _listing_approvals(client, labels) -> list[str] | str:
    response = client.get("/apps/approvals/")
    if response.status_code != 200:
        return _answer(response)
    found = re.findall(r'<tr data-execution="([^"]*)">', response.content.decode())
    return [labels.get(kestra_id, kestra_id) for kestra_id in found]


def _listing_my_requests(client, labels) -> list[str] | str:
    response = client.get("/apps/requests/")
    if response.status_code != 200:
        return _answer(response)
    found = re.findall(r'<a href="/apps/\w+/executions/(\w+)/">', response.content.decode())
    return [labels.get(kestra_id, kestra_id) for kestra_id in found]


LISTERS = {
    ("catalog `/apps/`", "apps"): _listing_catalog_apps,
    ("catalog `/apps/`", "tag choices"): _listing_catalog_tags,
    ("approvals `/apps/approvals/`", "paused requests"): _listing_approvals,
    ("my requests `/apps/requests/`", "requests"): _listing_my_requests,
}
LISTING_CELLS = [
    (page, what, persona, expected)
    for (page, what), row in LISTINGS.items()
    for persona, expected in zip(PERSONAS, row, strict=True)
]


@pytest.mark.parametrize(("page", "what", "persona", "expected"), LISTING_CELLS)
def test_listing_cell(world, page, what, persona, expected):
    client = _client(world, persona)
    labels = _requests(world, client)
    assert LISTERS[page, what](client, labels) == expected


# Approval policies: one test per cell of APPROVAL_MATRIX and APPROVAL_INBOX


@pytest.fixture
def approval_world(kestra, outsider) -> dict:
    """The people of tests/approval_personas.py and the vacation app with its policy."""
    return {
        "people": approval_personas.people(outsider),
        "apps": approval_personas.policy_apps(),
        "kestra": kestra,
        "helper": Client(),  # sets the world up, and reads others' inboxes
    }


APPROVAL_CELLS = [
    (app, action, persona, expected)
    for (app, action), row in APPROVAL_MATRIX.items()
    for persona, expected in zip(APPROVAL_PERSONAS, row, strict=True)
]


# action → what it does (a key of approval_personas.CHOICES, "view" or "delegate"), and the
# step under way when it is done.
APPROVAL_ACTIONS = {
    "view the paused request": ("view", 1),
    "approve, step 1 under way": ("approve", 1),
    "approve, step 2 under way": ("approve", 2),
    "reject": ("reject", 1),
    "request changes": ("changes", 1),
    "delegate to pat": ("delegate", 1),
    "approve through their emailed link, step 1": ("link", 1),
}


@pytest.mark.parametrize(("access", "action", "persona", "expected"), APPROVAL_CELLS)
def test_approval_cell(approval_world, access, action, persona, expected):
    client = signed_in(approval_personas.person(approval_world["people"], persona))
    verb, step = APPROVAL_ACTIONS[action]
    paused = approval_personas.paused_request(
        approval_world["kestra"],
        approval_world["apps"][access],
        approval_world["people"],
        step=step,
        escalated=persona == AFTER,
        helper=approval_world["helper"],
    )
    if verb == "view":
        _approval_view(client, paused, persona, expected)
    elif verb == "link":
        _approval_link(approval_world, paused, persona, expected)
    else:
        _approval_act(approval_world, client, paused, persona, expected, verb, step)


def _rule(expected: str) -> str:
    """The rule a cell names ("403 `self-approval`", "reads: `self-approval`")."""
    found = re.search(r"`([\w-]+)`", expected)
    assert found, expected
    return found[1]


def _approval_view(client: Client, paused: Paused, persona: str, expected: str) -> None:
    before = approval_personas.records(paused)
    response = client.get(approval_personas.page(paused.app, paused.execution))
    decides = expected in (DECIDES, DECIDES_FOR_AWAY)
    shown = decides or expected.startswith("reads")
    assert _answer(response) == ("ok" if shown else expected)
    assert approval_personas.records(paused) == before
    if not shown:
        return
    page = response.content.decode()
    # Where the decision stands, for everybody who sees the page.
    assert "Step 1 of 2: Team lead · waiting for lead and deputy (for away)" in page
    assert "away handed the decision to deputy: <q>I am away this week</q>" in page
    if persona == AFTER:
        assert "Escalated: boss may decide too." in page
    else:
        assert "If nobody decides within 1 h, boss may decide too." in page
    # What this person may do.
    assert (">Approve</button>" in page) == decides
    assert (">Reject</button>" in page) == decides
    assert (">Request changes</button>" in page) == decides
    assert ("You decide in place of away" in page) == (expected == DECIDES_FOR_AWAY)
    assert ("Hand this decision to someone else" in page) == (expected == DECIDES)
    if not decides:
        message = approval_personas.refusal_message(_rule(expected), 1)
        assert f'<p class="refusal muted" role="note">{message}</p>' in page


def _approval_act(
    world, client: Client, paused: Paused, persona: str, expected: str, verb: str, step: int
) -> None:
    before = approval_personas.records(paused)
    if verb == "delegate":
        url = approval_personas.page(paused.app, paused.execution, "delegate/")
        data = {"to": approval_personas.DELEGATE_TO, "note": approval_personas.HANDOVER_NOTE}
    else:
        url = approval_personas.page(paused.app, paused.execution, ENDPOINTS[verb])
        data = approval_personas.vote_data(approval_personas.CHOICES[verb])
    response = client.post(url, data)
    if expected.startswith("403"):
        assert response.status_code == 403
        message = approval_personas.refusal_message(_rule(expected), step)
        assert message in response.content.decode()
    else:
        assert _answer(response) == expected
    if expected != "ok":
        assert approval_personas.records(paused) == before
        return
    assert response["Location"] == approval_personas.page(paused.app, paused.execution)
    approval_personas.check_effect(paused, before, verb, persona, step=step)
    # Who is to decide next sees the request in their inbox; the voter no longer does, not
    # even the escalation approver, who stands in for one step only.
    next_step = verb == "approve" and step == 1
    assert not _listed(client, paused.kestra_id)
    people, helper = world["people"], world["helper"]
    if next_step:
        assert _listed(acting_as(helper, people["payroll"]), paused.kestra_id)
    if verb == "delegate":
        assert _listed(acting_as(helper, people[approval_personas.DELEGATE_TO]), paused.kestra_id)


ENDPOINTS = {"approve": "resume/", "reject": "cancel/", "changes": "changes/"}


def _approval_link(world, paused: Paused, persona: str, expected: str) -> None:
    """The link a message gave this person, sent from a browser signed in as nobody (a
    phone, a mail client): it acts as them, under the same policy, or refuses and does
    nothing. No message gives anyone a link naming no person: such a link is not valid."""
    before = approval_personas.records(paused)
    person = approval_personas.person(world["people"], persona)
    if person.is_authenticated:
        url = links.issue(paused.execution, person).removeprefix(links.DEFAULT_BASE_URL)
    else:
        token = signing.dumps({"x": paused.execution.pk, "u": None, "n": "x"}, compress=True)
        url = f"/notifications/decide/{token}/"
    data = {**approval_personas.vote_data("APPROVE"), "portal.action": "APPROVE"}
    response = Client().post(url, data)
    if expected == "ok":
        assert response.status_code == 200
        assert "Your decision on request" in response.content.decode()
        approval_personas.check_effect(paused, before, "approve", persona, step=1)
        (vote,) = Vote.objects.filter(execution=paused.execution)
        assert vote.via == VIA_LINK
        return
    assert str(response.status_code) == expected.split()[0]
    page = response.content.decode()
    if expected.startswith("403 `"):
        assert approval_personas.refusal_message(_rule(expected), 1) in page
    elif expected == "403 no access":
        assert links.NO_ACCESS in page
    else:
        assert links.NOT_VALID in page
    assert approval_personas.records(paused) == before


def _listed(client: Client, kestra_id: str) -> bool:
    page = client.get("/apps/approvals/").content.decode()
    return f'<tr data-execution="{kestra_id}">' in page


# The approvals inbox under the policy: one test per cell of APPROVAL_INBOX

INBOX_PERSONA_CELLS = [
    (app, persona, expected)
    for app, row in APPROVAL_INBOX.items()
    for persona, expected in zip(APPROVAL_PERSONAS, row, strict=True)
]


def _inbox_requests(app: App, people: dict, *, escalated: bool) -> dict[str, str]:
    """The paused requests of the inbox row, as the worker tracks them (no Kestra needed:
    the inbox reads the portal's rows), with the votes and the delegation of the world;
    kestra id → label. Apart in time, so that "oldest first" is one order."""
    began = timezone.now() - (timedelta(hours=2) if escalated else timedelta(minutes=10))
    # label → (requester, lead approved step 1, decided)
    requests = {
        STEP_1: ("rita", False, ""),
        STEP_2: ("rita", True, ""),
        LEADS_OWN: ("lead", False, ""),
        DECIDED: ("rita", True, "APPROVED"),
    }
    labels = {}
    for n, (label, (requester, lead_approved, verdict)) in enumerate(requests.items()):
        at = began + timedelta(seconds=n)
        execution = Execution.objects.create(
            app=app,
            kestra_id=f"Inbox{n:017d}",
            delivery=Execution.Delivery.DELIVERED,
            state="PAUSED",
            stage="PAUSE",
            submitted_by=people[requester],
            pause_key=f"pause-{n}",
            paused_at=at,
            verdict=verdict,
        )
        Execution.objects.filter(pk=execution.pk).update(created=at, stage_since=at)
        Delegation.objects.create(
            execution=execution, pause_key=execution.pause_key, step=0,
            from_username="away", to_username="deputy",
        )  # fmt: skip
        if lead_approved:
            Vote.objects.create(
                execution=execution, pause_key=execution.pause_key, step=0, choice="APPROVE",
                user=people["lead"], username="lead",
            )  # fmt: skip
        if verdict:
            Vote.objects.create(
                execution=execution, pause_key=execution.pause_key, step=1, choice="APPROVE",
                user=people["payroll"], username="payroll",
            )  # fmt: skip
        labels[execution.kestra_id] = label
    return labels


@pytest.mark.parametrize(("access", "persona", "expected"), INBOX_PERSONA_CELLS)
def test_approval_inbox_cell(approval_world, access, persona, expected):
    people = approval_world["people"]
    labels = _inbox_requests(approval_world["apps"][access], people, escalated=persona == AFTER)
    client = signed_in(approval_personas.person(people, persona))
    assert _listing_approvals(client, labels) == expected
