from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from exams.models import Candidate
from live.events import candidate_group


class CandidateConsumer(AsyncJsonWebsocketConsumer):
    """Pushes to a candidate's pages: presence confirmed, report handled, test ended."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        candidate_id = int(self.scope["url_route"]["kwargs"]["candidate_id"])
        if user is None or not user.is_authenticated or not await self._owns(user.pk, candidate_id):
            await self.close(code=4403)
            return
        self.group = candidate_group(candidate_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    @database_sync_to_async
    def _owns(self, user_id: int, candidate_id: int) -> bool:
        return Candidate.objects.filter(pk=candidate_id, user_id=user_id).exists()
