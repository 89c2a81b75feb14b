"""A user's signed-in headers, for requests sent straight to Vigie's ASGI handler (httpx's
ASGITransport), where Django's test client cannot log in for them."""

import secrets
from typing import Any

from django.test import Client


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def signed_in_headers(user: Any, csrf: str | None = None, **extra: str) -> dict[str, str]:
    """Pass `csrf` when several users' requests must share one token."""
    csrf = csrf or secrets.token_hex(16)
    return {
        "Cookie": f"sessionid={session_cookie(user)}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "Origin": "http://localhost",
        "Referer": "http://localhost/",
        **extra,
    }
