"""Approval policies in a real Chromium, judged by what each person sees on their own page:
two approvers in two browsers reaching a quorum, the requester kept from deciding, a
request sent back for changes and submitted again prefilled, and the time left on a pause.

One emulator (the example flows and tests/kestra_http.FLOWS) and one Celery worker serve
the whole module; Kestra is only looked at over HTTP.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from django.contrib.auth.models import User
from django.db.models import Q
from django.test import Client
from playwright.sync_api import Locator, Page

from accounts import policy
from apps_catalog.models import App
from apps_catalog.services import app_save_source
from executions.adoption import execution_adopt
from executions.models import Execution
from tests import kestra_http
from tests.conftest import EXAMPLES, Worker
from tests.notifications.conftest import SmtpServer
from tests.personas import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VACATION = (EXAMPLES / "apps" / "vacation_approval.yml").read_text()
COMMENT = re.compile(r"^Comment($| \()")  # the portal's, not the flow's "Comment for …"
SELF_RULE = "You made this request, so you may not decide on it."

SignIn = Callable[[User], Page]


@pytest.fixture(scope="module")
def approvals_emulator(tmp_path_factory) -> Iterator[str]:
    """An emulator serving the example flows and the guard tests' timed ones."""
    folder = tmp_path_factory.mktemp("approval-flows")
    for flow in (EXAMPLES / "flows").glob("*.yml"):
        shutil.copy(flow, folder)
    with kestra_http.emulator_with_flows(folder) as url:
        yield url


@pytest.fixture(scope="module")
def mail_server() -> Iterator[SmtpServer]:
    """A real SMTP server, where the worker sends the module's notifications."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared_worker(
    approvals_emulator: str, django_db_setup: None, live_server, mail_server: SmtpServer
) -> Iterator[Worker]:
    """One worker for the module: starting one takes longer than most tests here. It
    mails through the module's SMTP server, with links to the live server."""
    worker = Worker(approvals_emulator)
    worker.env.update(
        {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_server.port),
            "NOTIFY_SEND_SECONDS": "0.5",
            "PORTAL_BASE_URL": live_server.url,
        }
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def kestra_here(settings, approvals_emulator: str, shared_worker: Worker) -> str:
    """The module's emulator for this test, forgetting the executions of the tests before:
    the portal would take a paused one on the same flow for a request of this test's."""
    from executions.kestra import client

    requests.post(f"{approvals_emulator}/_emulator/reset", timeout=5).raise_for_status()
    settings.KESTRA_URL = approvals_emulator
    client._versions.clear()
    return approvals_emulator


@pytest.fixture
def sign_in(browser, live_server) -> Iterator[SignIn]:
    """A page in a browser context of its own, signed in as the user (the session cookie
    of a test client's login), as if each person sat at their own computer."""
    contexts = []

    def open_as(user: User) -> Page:
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        contexts.append(context)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def hr(kestra_here: str) -> dict[str, User]:
    """Rita asks for time off; Mona and Nick approve for HR."""
    return {name: make_user(name, groups=["HR"]) for name in ("rita", "mona", "nick")}


def vacation_app(policy: str) -> App:
    """The example vacation app (private, for HR) with this approval policy."""
    app, _ = app_save_source(source=VACATION + policy)
    return app


def stage(page: Page, name: str, timeout: float = 30_000) -> None:
    page.locator(f"#live .stage[data-stage={name}]").wait_for(timeout=timeout)


def decision(page: Page) -> Locator:
    return page.locator("#live section.decision")


def request_time_off(page: Page, live_server, app: App) -> Execution:
    """The requester fills in the form and sends it, and sees it paused; the request."""
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_label("Your name").fill("Zebulon Quist")
    page.get_by_label("First day off").fill("2027-01-04")
    page.get_by_label("Last day off").fill("2027-01-08")
    page.get_by_label("Reason").fill("Family visit")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/executions/**")
    stage(page, "PAUSE")
    named = page.url.rstrip("/").rsplit("/", 1)[-1]  # the token, or Kestra's id once known
    return Execution.objects.get(Q(token=named) | Q(kestra_id=named))


def url_of(live_server, execution: Execution) -> str:
    return f"{live_server.url}/apps/{execution.app.uid}/executions/{execution.kestra_id}/"


def test_two_approvers_in_two_browsers_reach_the_quorum(live_server, hr, sign_in, kestra_here):
    app = vacation_app("approval:\n  quorum: 2\n")
    execution = request_time_off(sign_in(hr["rita"]), live_server, app)
    mona, nick = sign_in(hr["mona"]), sign_in(hr["nick"])
    for approver in (mona, nick):
        approver.goto(url_of(live_server, execution))
        stage(approver, "PAUSE")
        assert "0 of 2 approvals" in decision(approver).locator(".progress").inner_text()

    # Nick starts a comment, then reads on (the comment box loses focus) as Mona votes.
    nick.evaluate("window.__samePage = true")
    nick.get_by_label(COMMENT).fill("Half-written thoughts")
    nick.locator("h1").click()
    mona.get_by_label(COMMENT).fill("Fine by me")
    mona.get_by_role("button", name="Approve").click()
    mona.get_by_text("Your vote is recorded: 1 of 2 approvals.").wait_for()
    assert "1 of 2 approvals" in decision(mona).locator(".progress").inner_text()
    assert "Fine by me" in decision(mona).locator(".votes").inner_text()
    assert "You have already voted on this request." in decision(mona).inner_text()
    assert mona.get_by_role("button", name="Approve").count() == 0

    # Nick's page, open all along, shows Mona's vote without a reload.
    decision(nick).locator(".votes li", has_text="Fine by me").wait_for(timeout=5_000)
    assert "mona" in decision(nick).locator(".votes").inner_text()
    assert "1 of 2 approvals" in decision(nick).locator(".progress").inner_text()
    assert nick.evaluate("window.__samePage") is True
    assert nick.get_by_label(COMMENT).input_value() == "Half-written thoughts"

    nick.get_by_role("button", name="Approve").click()
    stage(nick, "SUCCESS")
    stage(mona, "SUCCESS")
    assert "Approved" in decision(mona).locator(".verdict").inner_text()
    assert "Half-written thoughts" in decision(mona).locator(".votes").inner_text()
    assert kestra_http.moved_on_once(kestra_here, execution.kestra_id)


def test_the_requester_is_told_they_may_not_decide(live_server, hr, sign_in):
    app = vacation_app("approval: {selfApproval: false}\n")
    rita = sign_in(hr["rita"])
    request_time_off(rita, live_server, app)

    decision(rita).get_by_text(SELF_RULE).wait_for()
    assert rita.get_by_role("button", name="Approve").count() == 0
    assert rita.get_by_role("button", name="Request changes").count() == 0


def test_changes_requested_then_the_request_is_sent_again_prefilled(
    live_server, hr, sign_in, kestra_here
):
    app = vacation_app("approval: {selfApproval: false}\n")
    rita = sign_in(hr["rita"])
    first = request_time_off(rita, live_server, app)
    first_id = first.kestra_id

    mona = sign_in(hr["mona"])
    mona.goto(url_of(live_server, first))
    stage(mona, "PAUSE")
    ask = "Please take the Friday off as well"
    mona.get_by_label(COMMENT).fill(ask)
    mona.get_by_role("button", name="Request changes").click()
    decision(mona).get_by_text("Sent back for changes").wait_for()
    kestra_http.wait_for(kestra_here, first_id, {"KILLED"})

    # Rita's page, open all along, shows why and offers to change the request.
    decision(rita).get_by_text(ask).wait_for(timeout=10_000)
    assert "Sent back for changes" in decision(rita).inner_text()
    assert mona.get_by_role("link", name="Change and resubmit").count() == 0
    rita.get_by_role("link", name="Change and resubmit").click()

    rita.wait_for_url(f"**/apps/{app.uid}/?resubmit={first_id}")
    note = rita.get_by_role("note").filter(has_text="sent back for changes").inner_text()
    assert f"Changing the request {first_id}, sent back for changes." in note
    assert rita.get_by_label("Your name").input_value() == "Zebulon Quist"
    assert rita.get_by_label("First day off").input_value() == "2027-01-04"
    assert rita.get_by_label("Last day off").input_value() == "2027-01-08"
    assert rita.get_by_label("Reason").input_value() == "Family visit"
    rita.get_by_label("Last day off").fill("2027-01-09")
    rita.get_by_role("button", name="Send request").click()
    rita.wait_for_url(lambda to: "/executions/" in to and first_id not in to)
    stage(rita, "PAUSE")

    history = rita.get_by_role("navigation", name="Resubmissions")
    assert history.inner_text().startswith("Request history:")
    assert "this request" in history.inner_text()
    assert "Last day off\n9 January 2027" in rita.locator("#live").inner_text()  # the new answer
    history.get_by_role("link", name=first_id).click()
    rita.wait_for_url(f"**/executions/{first_id}/")
    back = rita.get_by_role("navigation", name="Resubmissions")
    assert "this request" in back.inner_text() and back.get_by_role("link").count() == 1


def test_the_time_left_on_a_pause_and_what_happens_then(page, live_server, kestra_here):
    app, _ = app_save_source(source=kestra_http.app_on("timed_approval"))
    kestra_id = kestra_http.start_paused(kestra_here, "test", "timed_approval", {})
    # Started in Kestra, on a public app: a visitor opens it through its signed link only.
    execution = execution_adopt(app=app, kestra_id=kestra_id)
    assert execution is not None
    link = policy.execution_link(execution)
    page.goto(f"{live_server.url}/apps/{app.uid}/executions/{kestra_id}/?link={link}")

    deadline = decision(page).locator(".deadline")
    deadline.wait_for(timeout=10_000)
    shown = deadline.inner_text().replace("\xa0", " ")
    assert re.fullmatch(r"Time left: 59 minutes; then the request is cancelled\.", shown), shown


def mail_to(
    server: SmtpServer, address: str, subject: str, about: Execution, timeout: float = 30
) -> str:
    """The text of the message to `address` with this subject about this request (the
    module's earlier tests mail the same people), once it arrives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in server.mailbox.to(address):
            part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            text = str(part.get_payload(decode=True).decode()).replace("\r\n", "\n")
            if message["Subject"] == subject and str(about.kestra_id) in text:
                return text
        time.sleep(0.2)
    raise AssertionError(f"no message {subject!r} to {address} in {timeout:.0f} s")


def test_the_approver_is_mailed_follows_the_link_approves_and_the_requester_hears(
    live_server, hr, sign_in, mail_server, settings
):
    settings.PORTAL_BASE_URL = live_server.url  # as the worker has it: one site, one address
    # A public app: the module's worker outlives each test's flush of the database, and the
    # permission ids it has cached would not name the new ones. The named approver decides.
    public = VACATION.replace("type: PRIVATE", "type: PUBLIC")
    app, _ = app_save_source(source=public + "approval:\n  approvers: {users: [mona]}\n")
    execution = request_time_off(sign_in(hr["rita"]), live_server, app)

    waiting = mail_to(
        mail_server,
        "mona@example.com",
        "Vacation requests: a request waits for your decision",
        execution,
    )
    link = re.search(r"Open it to approve or reject: (\S+)", waiting).group(1)
    assert link == url_of(live_server, execution)
    mona = sign_in(hr["mona"])
    mona.goto(link)  # opening it decides nothing
    stage(mona, "PAUSE")
    mona.get_by_label(COMMENT).fill("Enjoy the break")
    mona.get_by_role("button", name="Approve").click()
    stage(mona, "SUCCESS")

    told = mail_to(
        mail_server, "rita@example.com", "Vacation requests: your request was approved", execution
    )
    assert "approved by mona.\nReason: Enjoy the break" in told
    assert link in told


GROUPED_APP = """\
id: grouped_approval
type: io.kestra.plugin.ee.apps.Execution
displayName: Purchase approval
namespace: test
flowId: grouped_approval
access: PUBLIC
layout:
  - on: PAUSE
    blocks:
      - type: ResumeExecutionForm
      - type: ResumeExecutionButton
        text: Approve
      - type: CancelExecutionButton
        text: Reject
"""


def test_an_approvers_form_of_groups_goes_step_by_step_with_a_recap(page, live_server, kestra_here):
    app, _ = app_save_source(source=GROUPED_APP)
    page.goto(f"{live_server.url}/apps/{app.uid}/")
    page.get_by_role("button", name="Submit").click()
    stage(page, "PAUSE")

    progress = page.locator(".wizard-progress")
    assert progress.inner_text() == "Step 1 of 2: Your decision"
    assert page.get_by_label("Note for the requester").is_hidden()
    assert page.get_by_role("button", name="Approve").is_hidden(), "only after the recap"
    assert page.get_by_role("button", name="Reject").is_visible(), "rejecting needs no steps"
    page.get_by_label("Budget code").fill("B-42")
    page.get_by_role("button", name="Next").click()
    assert progress.inner_text() == "Step 2 of 2: Follow-up"
    assert page.get_by_label("Budget code").is_hidden()
    page.get_by_role("button", name="Back").click()
    assert page.get_by_label("Budget code").input_value() == "B-42"
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Note for the requester").fill("ordered today")
    page.get_by_role("button", name="Review").click()

    recap = page.locator(".wizard-recap")
    assert "Budget code\nB-42" in recap.inner_text()
    assert "Note for the requester\nordered today" in recap.inner_text()
    page.get_by_role("button", name="Approve").click()
    stage(page, "SUCCESS")
    execution = Execution.objects.get(app=app)
    logs = requests.get(f"{kestra_here}/api/v1/main/logs/{execution.kestra_id}", timeout=5)
    assert [line["message"] for line in logs.json()] == ["budget B-42, note ordered today"]
