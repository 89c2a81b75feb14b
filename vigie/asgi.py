"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import asyncio
import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
# Initialise Django before importing anything that touches models.
django.setup(set_prefix=False)

from certification import engine  # noqa: E402
from vigie import collector  # noqa: E402
from vigie.handler import SyncChainASGIHandler  # noqa: E402

# The item bank is read once per process (YAML: 0.2 s of CPU, up to 0.7 s on a busy
# machine). Read lazily, it was the first start's on each worker — and that of every
# request thread starting at the same moment (the cache fills once, but all of them read),
# exactly at nine o'clock. Read before the worker takes its first request.
engine.get_bank().by_id()

django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from invigilation import push  # noqa: E402
from live.base import OutageGuard  # noqa: E402
from vigie.routing import websocket_urlpatterns  # noqa: E402

# Issue 17: events about a candidate's row are relayed with the row rendered once, after a
# window, on this worker's event loop (invigilation/push.py).
push.install()

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            OutageGuard(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)


# Last: everything this worker keeps for good is loaded now (vigie/collector.py).
collector.settle()


async def application(scope: Any, receive: Any, send: Any) -> None:
    loop = asyncio.get_running_loop()
    if push.relay.loop is not loop:
        push.attach(loop)
    await router(scope, receive, send)
