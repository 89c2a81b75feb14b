"""Counting attempts per account and per address in a sliding window (database-backed, so
every worker sees the same counts)."""

import datetime as dt

from django.utils import timezone

from accounts.models import RateLimitHit


def is_limited(keys: list[str], *, limit: int, window: dt.timedelta) -> bool:
    since = timezone.now() - window
    return any(RateLimitHit.objects.filter(key=k, at__gte=since).count() >= limit for k in keys)


def hit(keys: list[str]) -> None:
    now = timezone.now()
    RateLimitHit.objects.bulk_create([RateLimitHit(key=k, at=now) for k in keys])


def purge(older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    deleted, _ = RateLimitHit.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted
