"""Log-in sessions in the database, read with a query compiled once (lib/prepared.py).

Every request reads its session, and Django compiles that query each time: about a
fifteenth of the CPU of a candidate's answer. Same table, same cookie, same rule: a
session past its expiry date is no session (checked here rather than in SQL, so that the
compiled query does not depend on the clock).

Measured (docs/scaling.md, « The 2026-12-04 steps », bench/cpu_per_answer.py, Django 5.2):
the session and the user read this way took the worker's CPU per answer from 7.5 to
6.2 ms and PostgreSQL's from 1.2 to 1.0 ms; a cache in Redis instead would save about
0.4 ms more but keep a logged-out session alive through a Redis outage.

It overrides a private method of Django's database store, `_get_session_from_db()`, which
`load()` calls, and clears `_session_key` as Django does when there is no valid session.
tests/test_private_apis.py fails if Django stops calling it on a request, if the store no
longer behaves as Django's own for a valid, expired, deleted or malformed key, or if the
method's signature changes. The async `aload()` is left to Django (same rules, its own
query): requests read the session synchronously (vigie/handler.py).
"""

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from lib.prepared import Prepared

_SESSION = Prepared(lambda key: Session.objects.filter(session_key=key), kinds=(str,))


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        session = _SESSION.first(self.session_key) if self.session_key else None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
