"""Claims from the identity provider → a portal account and its groups.

One rule for both doors: the sign-in through the provider (`accounts.backends`) and the
REST API's bearer JWTs (`accounts.authentication`). The claims are read and checked
whole before anything is written, and the write is one transaction, so a claim set that
is refused leaves no account behind, new or half-updated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Identity

NAME_MAX = 150  # User.username, first_name, last_name and Group.name


class IdentityRefused(Exception):
    """The claims cannot stand for a portal account. The message says why, for the person
    and the log, and never holds a token or a secret."""


@dataclass(frozen=True)
class Person:
    """What the portal keeps of the claims."""

    issuer: str
    subject: str
    username: str
    email: str
    first_name: str
    last_name: str
    groups: frozenset[str]


def person_from_claims(claims: Mapping[str, Any], *, issuer: str) -> Person:
    """The claims, checked against the settings' claim names and group filter."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise IdentityRefused("the provider sent no subject (sub claim)")
    return Person(
        issuer=issuer,
        subject=subject,
        username=_username(claims),
        email=_email(claims),
        first_name=_text(claims.get("given_name") or claims.get("name"), NAME_MAX),
        last_name=_text(claims.get("family_name"), NAME_MAX),
        groups=frozenset(filter(_is_portal_group, _groups(claims))),
    )


def _username(claims: Mapping[str, Any]) -> str:
    name = settings.OIDC_USERNAME_CLAIM
    username = claims.get(name)
    if not isinstance(username, str) or not username:
        raise IdentityRefused(f"the provider sent no user name ({name} claim)")
    if len(username) > NAME_MAX:
        raise IdentityRefused(f"the user name ({name} claim) is longer than {NAME_MAX} characters")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise IdentityRefused(
            f"the user name ({name} claim) may hold only letters, digits and @ . + - _"
        ) from None
    return username


def _groups(claims: Mapping[str, Any]) -> list[str]:
    name = settings.OIDC_GROUPS_CLAIM
    if name not in claims:
        raise IdentityRefused(f"the provider sent no groups ({name} claim)")
    groups = claims[name]
    if isinstance(groups, str):  # some providers send a lone group as a string
        groups = [groups]
    if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
        raise IdentityRefused(f"the groups ({name} claim) are not a list of names")
    return groups


def _is_portal_group(name: str) -> bool:
    """A group the provider names that the portal takes: within the prefix and the
    allow-list when they are set, and a name a Group can hold."""
    if not name or len(name) > NAME_MAX:
        return False
    if not name.startswith(settings.OIDC_GROUP_PREFIX):
        return False
    return not settings.OIDC_GROUPS_ALLOWED or name in settings.OIDC_GROUPS_ALLOWED


def _email(claims: Mapping[str, Any]) -> str:
    """The address notifications go to: not one the provider says it has not verified."""
    if claims.get("email_verified") is False:
        return ""
    return _text(claims.get("email"), 254)


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def identity_sign_in(*, claims: Mapping[str, Any], issuer: str) -> User:
    """The account for these claims: made on the first sign-in, its email, name and groups
    brought up to date on each one."""
    person = person_from_claims(claims, issuer=issuer)
    unchanged = _unchanged_account(person)
    if unchanged is not None:
        return unchanged
    try:
        return _sign_in(person)
    except IntegrityError:
        # Another request of the same person (a machine's parallel API calls) made the
        # account between our look-up and our insert: it is there now.
        return _sign_in(person)


@transaction.atomic
def _sign_in(person: Person) -> User:
    identity = _linked(person)
    if identity is None:
        identity = Identity(user=_account_for(person), issuer=person.issuer, subject=person.subject)
    user = identity.user
    _update_account(user, person)
    _set_groups(user, given=person.groups, given_before=frozenset(identity.groups))
    if identity.pk is None or set(identity.groups) != person.groups:
        identity.groups = sorted(person.groups)
        identity.save()
    return user


def _unchanged_account(person: Person) -> User | None:
    """The account when the claims would change nothing: found without a transaction, so
    a machine's API calls (each one a sign-in) do not queue for the database's write lock."""
    identity = (
        Identity.objects.select_related("user")
        .filter(issuer=person.issuer, subject=person.subject)
        .first()
    )
    if identity is None or set(identity.groups) != person.groups:
        return None
    user = identity.user
    if _account_changes(user, person):
        return None
    current, held = _groups_held(user, given=person.groups, given_before=frozenset(identity.groups))
    return user if held == current else None


def _linked(person: Person) -> Identity | None:
    return (
        Identity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=person.issuer, subject=person.subject)
        .first()
    )


def _account_for(person: Person) -> User:
    """A new account, or the unlinked one that has the same name. An account that may use
    the admin is never linked this way: whoever the provider calls "admin" does not become
    the portal's admin."""
    existing = User.objects.filter(username=person.username).first()
    if existing is None:
        user = User(username=person.username)
        user.set_unusable_password()
        return user
    if Identity.objects.filter(user=existing).exists():
        raise IdentityRefused(
            f"the account {person.username!r} belongs to another person at the provider"
        )
    if existing.is_staff or existing.is_superuser:
        raise IdentityRefused(
            f"the account {person.username!r} is a staff account of the portal;"
            " an admin signs in with its password"
        )
    return existing


def _account_changes(user: User, person: Person) -> dict[str, str]:
    fields = {"email": person.email, "first_name": person.first_name, "last_name": person.last_name}
    return {name: value for name, value in fields.items() if getattr(user, name) != value}


def _update_account(user: User, person: Person) -> None:
    changes = _account_changes(user, person)
    for name, value in changes.items():
        setattr(user, name, value)
    if user.pk is None:
        user.save()
    elif changes:
        user.save(update_fields=list(changes))


def _groups_held(
    user: User, *, given: frozenset[str], given_before: frozenset[str]
) -> tuple[set[str], set[str]]:
    """The user's groups now, and the ones they hold after this sign-in: the provider's;
    not those it gave before and no longer lists; those made by hand while
    OIDC_KEEP_MANUAL_GROUPS says so."""
    current = set(user.groups.values_list("name", flat=True)) if user.pk else set()
    by_hand = current - given_before
    return current, set(given | (by_hand if settings.OIDC_KEEP_MANUAL_GROUPS else set()))


def _set_groups(user: User, *, given: frozenset[str], given_before: frozenset[str]) -> None:
    current, held = _groups_held(user, given=given, given_before=given_before)
    if held != current:
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in sorted(held)])
