from typing import Any

from channels.db import database_sync_to_async

from exams.models import Candidate, ExamSession
from live.base import FORBIDDEN, LiveConsumer
from live.events import candidate_group, session_group


class CandidateConsumer(LiveConsumer):
    """Pushes to a candidate's pages: presence confirmed, report handled, test ended."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        candidate_id = int(self.scope["url_route"]["kwargs"]["candidate_id"])
        if user is None or not user.is_authenticated or not await self._owns(user.pk, candidate_id):
            await self.close(code=FORBIDDEN)
            return
        await self.join(candidate_group(candidate_id))
        await self.accept()

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    @database_sync_to_async
    def _owns(self, user_id: int, candidate_id: int) -> bool:
        return Candidate.objects.filter(pk=candidate_id, user_id=user_id).exists()


class SessionConsumer(LiveConsumer):
    """Pushes a session's events to every invigilator watching it, and keeps the list of
    who is watching (« Qui surveille ») up to date."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        if user is None or not user.is_authenticated or not await self._can(user, session_id):
            await self.close(code=FORBIDDEN)
            return
        await self.join(session_group(session_id))
        await self.accept()
        await self._watch(user, session_id)
        self.watching = True

    async def disconnect(self, code: int) -> None:
        if getattr(self, "watching", False):
            await self._unwatch()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The page sends a heartbeat; it keeps this watcher in « who is watching ».
        if isinstance(content, dict) and content.get("type") == "heartbeat":
            await self._touch()
            await self.send_json({"type": "heartbeat", "op": "ack"})

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    @database_sync_to_async
    def _can(self, user: Any, session_id: int) -> bool:
        from invigilation.access import can_invigilate

        session = ExamSession.objects.filter(pk=session_id).first()
        return session is not None and can_invigilate(user, session)

    @database_sync_to_async
    def _watch(self, user: Any, session_id: int) -> None:
        from django.db import transaction

        from invigilation.actions import watch

        with transaction.atomic():
            watch(ExamSession.objects.get(pk=session_id), user, self.channel_name)

    @database_sync_to_async
    def _touch(self) -> None:
        from invigilation.actions import touch

        touch(self.channel_name)

    @database_sync_to_async
    def _unwatch(self) -> None:
        from django.db import transaction

        from invigilation.actions import unwatch

        with transaction.atomic():
            unwatch(self.channel_name)
