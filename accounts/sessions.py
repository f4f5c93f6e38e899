"""Django's database sessions, read by one query written once from the models' metadata.

A page's visitor who has a session has it read on nearly every request; the ORM took
longer to build and compile that query than the database to run it."""

from __future__ import annotations

from functools import cache
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from apps_catalog.models import ModelColumns

# Filled in with quoted table and column names only; the key and the time are parameters.
_SESSION_SQL = "SELECT {columns} FROM {table} s WHERE s.{key} = %s AND s.{expires} > %s"


class SessionStore(db.SessionStore):
    """As Django's: the session under this key while it has not expired, else none (and no
    key, so that a new one is made when something is saved)."""

    def _get_session_from_db(self) -> Session | None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_session_sql(), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        session: Session = _columns().instance(row)
        return session

    async def _aget_session_from_db(self) -> Any:
        return await sync_to_async(self._get_session_from_db)()


@cache
def _columns() -> ModelColumns:
    return ModelColumns(Session, "s")


@cache
def _session_sql() -> str:
    return _columns().query(_SESSION_SQL, key="session_key", expires="expire_date")
