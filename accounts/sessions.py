"""Log-in sessions in the database, read with a query compiled once (lib/prepared.py).

Every request reads its session, and Django compiles that query each time: about a
fifteenth of the CPU of a candidate's answer. Same table, same cookie, same rule: a
session past its expiry date is no session (checked here rather than in SQL, so that the
compiled query does not depend on the clock).
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
