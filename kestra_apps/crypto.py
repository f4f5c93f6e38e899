"""Secrets the portal must keep, never in clear in the database: sealed with a key drawn
from SECRET_KEY (one key per purpose), still readable with a key of SECRET_KEY_FALLBACKS
while the key is being rotated."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.utils.encoding import force_str


def _fernet(purpose: str) -> MultiFernet:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    hashlib.sha256(f"{purpose}:{force_str(key)}".encode()).digest()
                )
            )
            for key in keys
        ]
    )


def seal(text: str, *, purpose: str) -> str:
    """The text encrypted and signed; nothing for nothing."""
    return _fernet(purpose).encrypt(text.encode()).decode() if text else ""


def unseal(token: str, *, purpose: str) -> str | None:
    """The text sealed; None when no key of this SECRET_KEY or its fallbacks opens it."""
    if not token:
        return ""
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


class SealedJSONField(models.TextField):
    """A JSON value kept sealed: the column holds a Fernet token, an empty value nothing.
    A value no key opens any more (SECRET_KEY changed) reads as None."""

    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def __init__(self, *args: Any, purpose: str, **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        return name, path, args, {**kwargs, "purpose": self.purpose}

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = unseal(value or "", purpose=self.purpose)
        if text is None:
            return None
        return json.loads(text) if text else {}

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str:
        return seal(json.dumps(value), purpose=self.purpose) if value else ""
