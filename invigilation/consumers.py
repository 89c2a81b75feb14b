"""The Espace Surveillant's live link: a session's events pushed to every invigilator
watching it, and the list of who is watching (« Qui surveille »)."""

import datetime as dt
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.http import Http404
from django.utils import timezone

from invigilation import actions
from invigilation.access import access_session_as_invigilator, is_member_invigilator
from lib.errors import Refusal
from live.base import FORBIDDEN, LiveConsumer
from live.events import session_group


class SessionConsumer(LiveConsumer):
    # An invigilator's page is listed in « Qui surveille » while its heartbeat comes.
    watches = True
    # When the access by the session's password ends (None: a centre member's, unbounded):
    # pushed rows stop there, before the next heartbeat's check closes the socket.
    access_ends: dt.datetime | None = None
    # The page's language (`?lang=`): pushed rows are rendered in LIVE_ROWS_LANGUAGES.
    language = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        if user is None or not await self._can(user, session_id):
            await self.close(code=FORBIDDEN)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.language = (query.get("lang") or [""])[0]
        await self.join(session_group(session_id))
        await self.accept()
        if not self.watches:
            return
        if not await self._watch(user, session_id):
            await self.close(code=FORBIDDEN)  # finalized or expired since the check above
            return
        self.watching = True

    async def disconnect(self, code: int) -> None:
        if getattr(self, "watching", False):
            await database_sync_to_async(actions.do_unwatch)(self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The page sends a heartbeat; it keeps this watcher in « who is watching ». The access
        # is checked again: once the session is finalized or the invigilator's access has
        # expired, the socket closes and no further event reaches the page.
        if isinstance(content, dict) and content.get("type") == "heartbeat":
            user = self.scope.get("user")
            session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
            if user is None or not await self._can(user, session_id):
                await self.close(code=FORBIDDEN)
                return
            if self.watches:
                await database_sync_to_async(actions.do_touch)(self.channel_name)
            await self.send_json({"type": "heartbeat", "op": "ack"})

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def live_rows(self, message: dict[str, Any]) -> None:
        """Rows rendered once for the session's invigilators (invigilation/push.py): sent
        to a page in their language while its access holds; otherwise the ids alone, which
        the page fetches (and a fetch after the access ended is refused)."""
        html = message.get("html", {}).get(self.language)
        expired = self.access_ends is not None and timezone.now() >= self.access_ends
        if html is None or expired or not self.watches:
            ids = sorted({*message.get("ids", []), *message.get("fetch", [])})
            await self.send_json(
                {"type": "rows", "op": "changed", "ids": ids, "events": message["events"]}
            )
            return
        await self.send_json(
            {
                "type": "rows",
                "op": "pushed",
                "ids": message["ids"],
                "fetch": message["fetch"],
                "events": message["events"],
                "mark": message["mark"],
                "html": html,
                "head": message["head"][self.language],
                "lines": message["lines"][self.language],
            }
        )

    @database_sync_to_async
    def _can(self, user: Any, session_id: int) -> bool:
        try:
            session = access_session_as_invigilator(user, session_id)
        except (Http404, Refusal):
            return False
        self.access_ends = (
            None if is_member_invigilator(user, session) else session.supervision_ends_at
        )
        return True

    @database_sync_to_async
    def _watch(self, user: Any, session_id: int) -> bool:
        try:
            session = access_session_as_invigilator(user, session_id)
        except (Http404, Refusal):
            return False
        actions.do_watch(session, user, self.channel_name)
        return True


class WallConsumer(SessionConsumer):
    """« Affichage salle » (issue 16): the session's events under the same access, but the
    projected screen is not an invigilator watching (« Qui surveille »)."""

    watches = False
