"""Random identifiers in Kestra's style: 22 characters of base62."""

import secrets
import string

_ALPHABET = string.digits + string.ascii_letters


def new_uid() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(22))
