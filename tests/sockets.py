"""The Espace Surveillant's WebSocket in tests, served by Vigie's own routing."""

import json

from asgiref.testing import ApplicationCommunicator
from channels.routing import URLRouter

from vigie.routing import websocket_urlpatterns


class Socket(ApplicationCommunicator):
    """The Espace Surveillant's WebSocket as the routing serves it, opened as `user`
    (channels.testing needs daphne, which Vigie does not install)."""

    def __init__(self, user, session, page: str = "") -> None:
        path = f"/ws/surveillance/{session.pk}/{page}"
        scope = {"type": "websocket", "path": path, "user": user, "headers": [], "subprotocols": []}
        super().__init__(URLRouter(websocket_urlpatterns), scope)

    async def connect(self) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        answer = await self.receive_output(timeout=5)
        return answer["type"] == "websocket.accept", answer.get("code")

    async def send_json(self, data: dict) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json(self) -> dict:
        return json.loads((await self.receive_output(timeout=5))["text"])

    async def close(self) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.wait(timeout=5)
