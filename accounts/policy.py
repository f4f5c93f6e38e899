"""Who may do what: the one place that decides, for the pages, the API, the catalog, the
approvals inbox, "My requests" and the admin.

Each question has two answers that agree: yes or no for one app or execution, and the
queryset of everything the answer is yes for (as Wagtail's permission policies and
Django's ModelBackend.has_perm / with_perm). The questions:

- use an app: a public app, or a private one granted to the person (directly or through a
  group), or anything for a superuser; only while the app is available;
- see an app (its card, its pages, its thumbnail): use it, whatever its expiration dates;
- see an execution, its files and its logs: use its app;
- open one execution (its page, files, logs, and the actions on it): see it; on a public
  app, unless granted it, only one's own (as this user or this browser session), one
  whose approval names them, or one a signed link names (`execution_link`), as Kestra
  hides public apps' execution ids;
- act on an execution (cancel it; decide on it when its app has no approval policy):
  granted its app; on a public app also the person, or the anonymous browser session,
  that submitted it;
- decide on a paused execution (approve, reject, send back, delegate): the app's approval
  policy (`approval:`) says who, step by step; `decision_seat` answers with the seat the
  person votes in, or the rule that refuses them;
- manage apps: Django's model permissions on App, or a superuser.

Refusals to use an app are domain errors (NotFound, LoginRequired, Unavailable); a refusal
to decide is a Refusal value naming its rule. The views and the API turn both into HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.core import signing
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps_catalog import approval
from apps_catalog.approval import SELF_FORBIDDEN, SELF_ONLY
from apps_catalog.models import (
    DISABLED,
    USE_CODENAME,
    App,
    AppGroupObjectPermission,
    AppQuerySet,
    AppUserObjectPermission,
    quoted_column,
)
from executions.models import Execution, Standing, session_digest, voter_key

# Whoever asks: a signed-in user or an anonymous visitor.
Person = User | AnonymousUser
ManageAction = Literal["read", "add", "change", "delete", "import"]

# What managing apps asks, by what is done: each inner tuple is one way to be allowed (the
# person needs every permission in it). Reading is `view_app` or `change_app`, as in the admin.
MANAGE_WAYS: dict[ManageAction, tuple[tuple[str, ...], ...]] = {
    "read": (("view_app",), ("change_app",)),
    "add": (("add_app",),),
    "change": (("change_app",),),
    "delete": (("delete_app",),),
    "import": (("add_app", "change_app"),),  # an import creates apps and updates others
}


class AccessRefused(Exception):
    """This person may not do this (a subclass says how to answer)."""


class NotFound(AccessRefused):
    """No such app for this person: they are not told whether it exists."""


class LoginRequired(AccessRefused):
    """The app exists for some people, but only after they log in."""


class Unavailable(AccessRefused):
    """The person may use the app, but not now: it is outside its expiration dates."""

    def __init__(self, app: App) -> None:
        super().__init__(f"App {app.app_id!r} is not available now.")
        self.app = app


# -- use an app ------------------------------------------------------------------------


def _granted(user: Person, app: App) -> bool:
    """Granted use of this app (directly or through a group), or a superuser."""
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm(USE_CODENAME, app)))


def _may_use(user: Person, app: App) -> bool:
    """May use the app whenever it is available: a public one, or one granted."""
    return app.is_public or _granted(user, app)


def can_use(user: Person, app: App) -> bool:
    """May this person use this app now?"""
    return app.is_available() and _may_use(user, app)


def usable_apps(user: Person, now: datetime | None = None, *, dates: bool = True) -> AppQuerySet:
    """The apps this person may use at `now` (can_use as a queryset); `dates=False`:
    whatever their expiration dates."""
    apps = App.objects.available(now, dates=dates)
    if user.is_superuser:
        return apps
    return apps.filter(public_or_granted(user))


def may_issue_token(issuer: Person, holder: User) -> bool:
    """A token acts as its holder: staff may issue one only for someone with no more rights
    than their own (a superuser, for anyone). Rights: superuser and staff status, global
    permissions, groups, and the apps one may use."""
    if not issuer.is_authenticated:
        return False
    if issuer.is_superuser or issuer.pk == holder.pk:
        return True
    return (
        not holder.is_superuser
        and (issuer.is_staff or not holder.is_staff)
        and holder.get_all_permissions() <= issuer.get_all_permissions()
        and not holder.groups.exclude(pk__in=issuer.groups.values("pk")).exists()
        and not usable_apps(holder, dates=False)
        .exclude(pk__in=usable_apps(issuer, dates=False).values("pk"))
        .exists()
    )


def catalog(user: Person, now: datetime | None = None) -> AppQuerySet:
    """The catalog: the apps this person may use (at `now`) that are listed in it."""
    return usable_apps(user, now).filter(catalog=True)


def app_for(user: Person, uid: str, *, known: App | None = None, started: bool = False) -> App:
    """The app with this uid, if this person may use it now. Raises NotFound (no such app,
    a disabled one, or a private one not granted to a logged-in person), LoginRequired (a
    private one, nobody logged in), Unavailable (outside its expiration dates).

    `started`: for an execution that has started already. As in Kestra, the expiration
    dates stop new submissions only: the executions stay reachable (their pages, files and
    decisions) after the end date. `known` is that app when the caller already read it
    along with something else; it is then not read again."""
    # No ORDER BY: the uid is unique, and sorting is what costs on a page asked every second.
    app = known or next(iter(App.objects.filter(uid=uid).order_by()[:1]), None)
    if app is None:
        raise NotFound("No such app")
    unavailable = app.unavailable_because()
    if unavailable == DISABLED:  # a disabled app is not there, not even closed
        raise NotFound("No such app")
    if not _may_use(user, app):
        if not user.is_authenticated:
            raise LoginRequired
        raise NotFound("No such app")
    if unavailable and not started:
        raise Unavailable(app)
    return app


def granted(user: Person, *, app: str = "pk") -> Q:
    """Apps granted to the user, directly or through a group (`app` names the app's id in
    the rows filtered): the same rule as guardian's get_objects_for_user(
    accept_global_perms=False) and the user's has_perm, read straight from the app's own
    permission tables."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(**{f"{app}__in": RawSQL(_granted_sql(), _granted_params(user))})  # noqa: S611 - values are parameters


def public_or_granted(user: Person) -> Q:
    """The public apps and those granted to the user, as one list of ids: the database
    then reads only those apps (by id, public ones through the index on `access`), where
    `public OR granted` made it read every app."""
    if not user.is_authenticated:
        return Q(access=App.Access.PUBLIC)
    params = (App.Access.PUBLIC.value, *_granted_params(user))
    return Q(pk__in=RawSQL(_public_or_granted_sql(), params))  # noqa: S611 - values are parameters


def _granted_params(user: Person) -> tuple[object, ...]:
    """The values of `_GRANTED_SQL`'s placeholders, in its order."""
    return (user.pk, USE_CODENAME, USE_CODENAME, user.pk)


@cache
def _public_or_granted_sql() -> str:
    return _PUBLIC_SQL.format(
        app=connection.ops.quote_name(App._meta.db_table),
        id=quoted_column(App, "id"),
        access=quoted_column(App, "access"),
        granted=_granted_sql(),
    )


_PUBLIC_SQL = "SELECT {id} FROM {app} WHERE {access} = %s UNION {granted}"


# The apps granted through a user permission, or a group permission of one of the user's
# groups; filled in with quoted table and column names only, values are parameters.
_GRANTED_SQL = (
    "SELECT {d_app} FROM {direct} WHERE {d_user} = %s AND {d_perm} IN ({use})"
    " UNION SELECT {g_app} FROM {via_group} WHERE {g_perm} IN ({use})"
    " AND {g_group} IN (SELECT {m_group} FROM {members} WHERE {m_user} = %s)"
)
_USE_SQL = "SELECT {p_id} FROM {permission} WHERE {p_codename} = %s"


@cache
def _granted_sql() -> str:
    """`_GRANTED_SQL` for this database, written once from the models' metadata. The ORM
    builds the same query (two subqueries, five joins) in more time than the database
    takes to run it, on the page asked most often."""
    quote = connection.ops.quote_name
    members = get_user_model().groups.through
    direct, via_group = AppUserObjectPermission, AppGroupObjectPermission
    column = quoted_column

    use = _USE_SQL.format(
        p_id=column(Permission, "id"),
        permission=quote(Permission._meta.db_table),
        p_codename=column(Permission, "codename"),
    )
    return _GRANTED_SQL.format(
        use=use,
        direct=quote(direct._meta.db_table),
        d_app=column(direct, "content_object"),
        d_user=column(direct, "user"),
        d_perm=column(direct, "permission"),
        via_group=quote(via_group._meta.db_table),
        g_app=column(via_group, "content_object"),
        g_perm=column(via_group, "permission"),
        g_group=column(via_group, "group"),
        members=quote(members._meta.db_table),
        m_group=column(members, "group"),
        m_user=column(members, "user"),
    )


# -- see an execution, its files and its logs ------------------------------------------


def can_see_app(user: Person, app: App) -> bool:
    """May this person see this app: its card, its pages, its thumbnail? Whoever may use
    it, whatever its expiration dates (they stop new submissions only), while it is
    enabled: a card is shown to them while the app is available and listed, and its pages
    (the executions' too) to them after its end date."""
    return app.is_reachable() and _may_use(user, app)


def can_see(user: Person, execution: Execution) -> bool:
    """May this person see this execution, its files and its logs? Whoever may see its app
    (can_see_app). Which of a public app's executions one opens is can_open's question."""
    return can_see_app(user, execution.app)


def visible_executions(user: Person) -> QuerySet[Execution]:
    """The executions this person may see (can_see as a queryset)."""
    return Execution.objects.filter(app__in=usable_apps(user, dates=False).values("pk"))


def mine(user: Person, session_key: str) -> Q:
    """The executions this person submitted: as this user, or from this browser session."""
    submitted = Q(session_key=session_key) if session_key else Q(pk__in=[])
    if user.is_authenticated:
        submitted |= Q(submitted_by=user)
    return submitted


def _submitted(user: Person, session_key: str, execution: Execution) -> bool:
    """`mine` for one execution."""
    return bool(
        (session_key and session_key == execution.session_key)
        or (user.is_authenticated and execution.submitted_by_id == user.pk)
    )


# -- open one execution ----------------------------------------------------------------

# What a signed link to one execution signs, so no other signature of the portal passes.
LINK_SALT = "accounts.policy.execution_link"


def execution_link(execution: Execution) -> str:
    """A signed link naming this execution (the `link` parameter of its page): whoever has
    it opens the execution on a public app, from any browser. It names the execution's
    submission token, which never changes, and does not expire, as the execution id Kestra
    shows the requester."""
    return signing.dumps(execution.token, salt=LINK_SALT)


def link_names(execution: Execution, links: Iterable[str]) -> bool:
    """Does one of these signed links name this execution?"""
    for link in links:
        try:
            if signing.loads(link, salt=LINK_SALT) == execution.token:
                return True
        except signing.BadSignature:
            continue
    return False


def _opens_every(user: Person, app: App) -> bool:
    """Opens every execution of this app (given that they may use it): on a private app
    whoever may use it; on a public one, those granted it."""
    return not app.is_public or _granted(user, app)


def _shown_by(app: App, execution_id: str | None) -> bool:
    """The one execution an app shows (its `executionId`): its page, for all its users."""
    return bool(execution_id) and app.parsed.execution_id == execution_id


def may_adopt(user: Person, app: App, execution_id: str) -> bool:
    """May this person's request have an execution started outside the portal adopted
    from Kestra under this app? Only if they would open it: nobody but those who open
    every execution of a public app, but for the one it shows."""
    return _opens_every(user, app) or _shown_by(app, execution_id)


def can_open(
    user: Person, execution: Execution, *, session_key: str = "", links: Iterable[str] = ()
) -> bool:
    """May this person open this execution (its page, files, logs, the actions on it)?
    Whoever may see it, but on a public app one not granted it opens only what they
    submitted (as this user or from this browser session), what its approval asks them to
    decide on, or what a signed link names."""
    return can_see(user, execution) and (
        _opens_every(user, execution.app)
        or _shown_by(execution.app, execution.kestra_id)
        or _submitted(user, session_key, execution)
        or _approves(user, execution)
        or link_names(execution, links)
    )


def _approves(user: Person, execution: Execution) -> bool:
    """Named in the app's approval policy (a step's approvers, the escalation), or handed a
    decision on this execution: someone the approval may ask."""
    if not user.is_authenticated:
        return False
    rule = execution.app.parsed.approval_policy
    named = [*(step.approvers for step in rule.steps), rule.escalate_to]
    return any(_named_in(user, who.users, who.groups) for who in named) or (
        execution.delegations.filter(to_username=user.get_username()).exists()
    )


def describe_approvers(approvers: approval.Approvers) -> str:
    """ "alice, bob and the group HR", for the pages, in the reader's language."""
    names = [*approvers.users, *(_("the group %(name)s") % {"name": g} for g in approvers.groups)]
    if len(names) < 2:
        return "".join(names)
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


ACT_REFUSED = gettext_noop(
    "Only the person who submitted this, or someone granted the app, may do this."
)

# -- act on an execution ---------------------------------------------------------------


def can_act_on(user: Person, execution: Execution, *, session_key: str = "") -> bool:
    """May this person approve, reject or cancel this execution? Whoever was granted its
    app; on a public app also the person, or the browser session, that submitted it."""
    app = execution.app
    if not app.is_reachable():
        return False
    if _granted(user, app):
        return True
    return app.is_public and _submitted(user, session_key, execution)


def actionable_executions(user: Person, *, session_key: str = "") -> QuerySet[Execution]:
    """The executions this person may act on (can_act_on as a queryset)."""
    executions = Execution.objects.filter(app__in=App.objects.available(dates=False).values("pk"))
    if user.is_superuser:
        return executions
    public = Q(app__access=App.Access.PUBLIC) & mine(user, session_key)
    return executions.filter(granted(user, app="app_id") | public)


# -- decide on a paused execution --------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """Where a person votes: as themself, or in the place of an approver who delegated to
    them (`seat`)."""

    voter: str
    seat: str = ""


@dataclass(frozen=True)
class Refusal:
    """Why a person may not decide, as a rule's name (for the API) and a sentence."""

    rule: str
    message: str


def decision_seat(
    user: Person,
    execution: Execution,
    standing: Standing,
    *,
    session: str = "",
    session_key: str = "",
) -> Seat | Refusal:
    """May this person vote on the pause under way, and in whose seat? `session` is the
    digest of their browser session (how an anonymous voter is told apart), `session_key`
    the key itself (how the requester's browser is recognised)."""
    policy = standing.policy
    step = policy.steps[standing.tally.step]
    username = user.get_username() if user.is_authenticated else ""
    me = voter_key(username, session)
    requester = _submitted(user, session_key, execution)
    if policy.self_approval == SELF_ONLY:
        if not requester:
            return Refusal("requester-only", _("Only the person who made this request answers it."))
        return _unless_voted(standing, Seat(me))
    if requester and policy.self_approval == SELF_FORBIDDEN:
        return Refusal("self-approval", _("You made this request, so you may not decide on it."))
    delegations = standing.step_delegations()
    if username:
        for delegation in delegations:
            if delegation.to_username == username and not standing.has_voted(
                delegation.from_username
            ):
                return Seat(me, delegation.from_username)
        handed = next((d for d in delegations if d.from_username == username), None)
        if handed is not None:
            return Refusal(
                "delegated",
                _("You handed this decision to %(name)s.") % {"name": handed.to_username},
            )
    if not _approver(user, execution, standing, session_key):
        if not user.is_authenticated and (step.approvers.named or policy.escalate_to.named):
            return Refusal(
                "login-required", _("Log in: only named approvers decide on this request.")
            )
        who = describe_approvers(step.approvers)
        if who:
            return Refusal(
                "not-an-approver", _("The approvers of this step are %(names)s.") % {"names": who}
            )
        return Refusal("not-allowed", _(ACT_REFUSED))
    if _seated_by_escalation(user, standing) and standing.voted_before(me):
        return Refusal(
            "escalation-once",
            _(
                "You decided an earlier step of this request as its escalation approver; "
                "this step needs one of its own approvers."
            ),
        )
    return _unless_voted(standing, Seat(me))


def _approver(user: Person, execution: Execution, standing: Standing, session_key: str) -> bool:
    """An approver of the step under way: named in it (or in the escalation, once it has
    come), or, when the step names nobody, whoever may act on the execution. A named
    approver must also be able to use the app."""
    policy = standing.policy
    step = policy.steps[standing.tally.step]
    if step.approvers.named:
        named = _named_in(user, step.approvers.users, step.approvers.groups)
    else:
        named = can_act_on(user, execution, session_key=session_key)
    escalation = policy.escalate_to
    if not named and standing.escalated and escalation.named:
        named = _named_in(user, escalation.users, escalation.groups)
    return named and can_see(user, execution)


def _seated_by_escalation(user: Person, standing: Standing) -> bool:
    """Seated only because the escalation has come: the step names its approvers and this
    person is not one of them. Such a person stands in for one step, not for every step."""
    approvers = standing.policy.steps[standing.tally.step].approvers
    return (
        standing.escalated
        and approvers.named
        and not _named_in(user, approvers.users, approvers.groups)
    )


def _named_in(user: Person, users: tuple[str, ...], groups: tuple[str, ...]) -> bool:
    if not user.is_authenticated:
        return False
    if user.get_username() in users:
        return True
    return bool(groups) and not group_names(user).isdisjoint(groups)


def group_names(user: Person) -> frozenset[str]:
    """The names of the person's groups, read once per request (kept on the user object:
    the inbox asks for each execution it lists)."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_portal_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, "_portal_group_names", cached)  # noqa: B010 - not a field of User
    return cached


def _unless_voted(standing: Standing, seat: Seat) -> Seat | Refusal:
    if standing.has_voted(seat.voter):
        return Refusal("already-voted", _("You have already voted on this request."))
    return seat


def can_act_now(user: Person, execution: Execution, *, session_key: str = "") -> bool:
    """Are there buttons for this person? On a pause awaiting a decision: a seat to vote in
    (decision_seat); on anything else: can_act_on (cancel)."""
    if not execution.awaits_decision:
        return can_act_on(user, execution, session_key=session_key)
    standing = execution.standing(timezone.now())
    session = session_digest(session_key)
    seat = decision_seat(user, execution, standing, session=session, session_key=session_key)
    return isinstance(seat, Seat)


def deciders(execution: Execution, standing: Standing) -> list[User]:
    """The people who may vote on the pause under way now (decision_seat, asked of each
    candidate): whom to tell that a decision waits. Candidates are the step's named users
    and groups (or, when it names nobody, those granted the app), the escalation's once it
    has come, the delegates, and the requester when only they answer."""
    app = execution.app
    policy = standing.policy
    step = policy.steps[standing.tally.step]
    if policy.self_approval == SELF_ONLY:
        wanted = Q(pk=execution.submitted_by_id)
    elif step.approvers.named:
        wanted = _named_q(step.approvers.users, step.approvers.groups)
    else:
        wanted = Q(pk__in=_granted_users(app))
    if standing.escalated and policy.escalate_to.named:
        wanted |= _named_q(policy.escalate_to.users, policy.escalate_to.groups)
    wanted |= Q(username__in=[d.to_username for d in standing.step_delegations()])
    people = get_user_model().objects.filter(wanted, is_active=True).distinct().order_by("pk")
    return [
        person for person in people if isinstance(decision_seat(person, execution, standing), Seat)
    ]


def _named_q(users: tuple[str, ...], groups: tuple[str, ...]) -> Q:
    return Q(username__in=users) | Q(groups__name__in=groups)


def _granted_users(app: App) -> list[int]:
    """The users granted the app, directly or through a group."""
    direct = AppUserObjectPermission.objects.filter(
        content_object=app, permission__codename=USE_CODENAME
    ).values_list("user_id", flat=True)
    groups = AppGroupObjectPermission.objects.filter(
        content_object=app, permission__codename=USE_CODENAME
    ).values_list("group_id", flat=True)
    members = get_user_model().objects.filter(groups__in=list(groups)).values_list("pk", flat=True)
    return sorted({*direct, *members})


def may_delegate_to(user: Person, execution: Execution, standing: Standing) -> Refusal | None:
    """May this person receive a delegated decision? Someone who may use the app, is not
    the requester when the policy forbids self-approval, and has not voted in this step."""
    if not user.is_authenticated or not can_see(user, execution):
        return Refusal("delegate-not-eligible", _("That person may not use this app."))
    policy = standing.policy
    if policy.self_approval == SELF_FORBIDDEN and execution.submitted_by_id == user.pk:
        return Refusal("delegate-not-eligible", _("That person made the request."))
    if standing.has_voted(user.get_username()):
        return Refusal("delegate-not-eligible", _("That person has already voted."))
    return None


# -- manage apps -----------------------------------------------------------------------


def can_manage(user: Person, what: ManageAction) -> bool:
    """May this person do `what` (a key of MANAGE_WAYS) to apps? Every app alike."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    label = App._meta.app_label
    return any(
        user.has_perms([f"{label}.{codename}" for codename in way]) for way in MANAGE_WAYS[what]
    )


def managed_apps(user: Person, what: ManageAction) -> AppQuerySet:
    """The apps this person may do `what` to (can_manage as a queryset): all or none."""
    return App.objects.all() if can_manage(user, what) else App.objects.none()
