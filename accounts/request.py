from django.http import HttpRequest

from accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The logged-in user of a view already guarded by login_required / django_auth."""
    assert isinstance(request.user, User)
    return request.user


def client_ip(request: HttpRequest) -> str | None:
    """The address rate limits and audit rows use (uvicorn resolves trusted proxies)."""
    return request.META.get("REMOTE_ADDR") or None
