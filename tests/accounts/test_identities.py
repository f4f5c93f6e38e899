"""The rule "claims → account and groups" (accounts.identities), called directly: the
claims it refuses, the names it takes, and two sign-ins of one person at the same moment."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import identities
from accounts.identities import IdentityRefused, identity_sign_in, person_from_claims
from accounts.models import Identity
from tests.personas import signed_in

ISSUER = "https://idp.example.com"


def claims(**changes):
    return {"sub": "s-1", "preferred_username": "ada", "groups": ["HR"], **changes}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sub": ""}, "no subject (sub claim)"),
        ({"preferred_username": None}, "no user name (preferred_username claim)"),
        ({"preferred_username": "a" * 151}, "longer than 150 characters"),
        ({"preferred_username": "ada lovelace"}, "only letters, digits and @ . + - _"),
        ({"groups": {"HR": True}}, "not a list of names"),
        ({"groups": ["HR", 7]}, "not a list of names"),
    ],
)
def test_claims_that_cannot_make_an_account_are_refused(changes, reason) -> None:
    with pytest.raises(IdentityRefused, match=re.escape(reason)):
        person_from_claims(claims(**changes), issuer=ISSUER)


def test_a_lone_group_is_a_list_and_names_a_group_cannot_hold_are_left_out() -> None:
    assert person_from_claims(claims(groups="HR"), issuer=ISSUER).groups == {"HR"}
    person = person_from_claims(claims(groups=["HR", "", "x" * 151]), issuer=ISSUER)
    assert person.groups == {"HR"}


def test_an_email_the_provider_has_not_verified_is_not_kept() -> None:
    def email(**changes):
        return person_from_claims(claims(email="ada@corp", **changes), issuer=ISSUER).email

    assert email() == email(email_verified=True) == "ada@corp"
    assert email(email_verified=False) == ""


def test_the_claim_names_come_from_the_settings(settings) -> None:
    settings.OIDC_USERNAME_CLAIM = "upn"
    settings.OIDC_GROUPS_CLAIM = "roles"
    person = person_from_claims({"sub": "s", "upn": "ada@corp", "roles": ["HR"]}, issuer=ISSUER)
    assert (person.username, person.groups) == ("ada@corp", {"HR"})


@pytest.mark.django_db
def test_an_unlinked_account_of_the_same_name_is_linked(outsider) -> None:
    user = identity_sign_in(claims=claims(preferred_username="outsider"), issuer=ISSUER)
    assert user == outsider and Identity.objects.get().user == outsider


@pytest.mark.django_db
def test_an_account_linked_to_someone_else_is_not_taken(outsider) -> None:
    identity_sign_in(claims=claims(preferred_username="outsider"), issuer=ISSUER)
    with pytest.raises(IdentityRefused, match="belongs to another person"):
        identity_sign_in(claims=claims(sub="s-2", preferred_username="outsider"), issuer=ISSUER)


@pytest.mark.django_db
def test_a_person_signing_in_twice_at_once_gets_one_account(monkeypatch) -> None:
    """The other request makes the account after this one looked and found none: the
    unique name refuses this one's insert, and the retry finds the account made."""
    real = identities._account_for
    calls = []

    def late(person):
        if not calls:
            calls.append(person)
            made_here = real(person)  # nobody yet: a new account, not saved
            identity_sign_in(claims=claims(), issuer=ISSUER)  # the other request
            return made_here
        return real(person)

    monkeypatch.setattr(identities, "_account_for", late)
    user = identity_sign_in(claims=claims(), issuer=ISSUER)
    assert User.objects.get() == user and Identity.objects.count() == 1
    assert set(Group.objects.values_list("name", flat=True)) == {"HR"}


@pytest.mark.django_db
def test_a_sign_in_that_changes_nothing_writes_nothing() -> None:
    """A machine's API calls are each a sign-in: while the claims stay the same they read
    and never take the database's write lock."""
    identity_sign_in(claims=claims(email="ada@corp"), issuer=ISSUER)
    User.objects.get().groups.add(Group.objects.create(name="Helpdesk"))  # by hand
    with CaptureQueriesContext(connection) as queries:
        identity_sign_in(claims=claims(email="ada@corp"), issuer=ISSUER)
    assert [q["sql"].split()[0] for q in queries] == ["SELECT", "SELECT"]
    with CaptureQueriesContext(connection) as queries:
        identity_sign_in(claims=claims(email="ada@example.com"), issuer=ISSUER)
    assert any(q["sql"].startswith("UPDATE") for q in queries)
    assert User.objects.get().email == "ada@example.com"


@pytest.mark.django_db
def test_the_admin_lists_identities_read_only(admin) -> None:
    identity_sign_in(claims=claims(), issuer=ISSUER)
    client = signed_in(admin)
    page = client.get("/admin/accounts/identity/")
    assert page.status_code == 200 and "s-1" in page.content.decode()
    pk = Identity.objects.get().pk
    assert client.get("/admin/accounts/identity/add/").status_code == 403
    response = client.post(f"/admin/accounts/identity/{pk}/change/", {"subject": "other"})
    assert response.status_code == 403 and Identity.objects.get().subject == "s-1"
