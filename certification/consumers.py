"""The candidate's pages' live link: presence confirmed, report handled, test ended."""

from typing import Any

from channels.db import database_sync_to_async
from django.http import Http404

from certification.access import access_own_candidate
from live.base import FORBIDDEN, LiveConsumer
from live.events import candidate_group


class CandidateConsumer(LiveConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        candidate_id = int(self.scope["url_route"]["kwargs"]["candidate_id"])
        if user is None or not await self._owns(user, candidate_id):
            await self.close(code=FORBIDDEN)
            return
        await self.join(candidate_group(candidate_id))
        await self.accept()

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    @database_sync_to_async
    def _owns(self, user: Any, candidate_id: int) -> bool:
        try:
            access_own_candidate(user, candidate_id)
        except Http404:
            return False
        return True
