"""Lock-outs after repeated attempts, counted in the database so every worker sees the same
counts.

One row per key (`supervise:user:12`, `login:ip:192.0.2.1`…): how many attempts in the
current window and when that window ends. A window opens at the first attempt counted and
lasts `window`; past its end the next attempt opens a new one.

An attempt is counted BEFORE the secret is checked, in one INSERT … ON CONFLICT DO UPDATE
… RETURNING statement for all its keys: PostgreSQL locks each key's row for the statement
and the next writer updates the committed count, SQLite has one writer at a time. So N
requests at the same instant take N distinct counts, and no more than `limit` of them reach
the check (reading the count, then writing it, let 40 simultaneous guesses make 11 to 16
checks against a limit of 10). An attempt that succeeds, or that was refused before any
check, is given back. Call these functions outside a transaction (autocommit), so a key's
row is locked for one statement only.

No maintained library fits: django-ratelimit and limits keep their counts in a cache or in
Redis (none shared without REDIS_URL, and none in the database the tests roll back),
pyrate-limiter's PostgreSQL bucket takes a table lock per check and refuses whoever finds it
taken, which would refuse a school's candidates for contention alone.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import RateLimitCounter

WINDOW = dt.timedelta(minutes=15)
# Per address: a school, a university library or a company shows the whole building as one
# address (NAT), with hundreds of people behind it on an exam morning. The strict limits are
# per account (or per e-mail); the per-address one only stops a single machine from spraying
# many accounts, so it must never be reached by a school's own typing mistakes.
SCHOOL_ADDRESS_LIMIT = 100


@dataclass(frozen=True)
class Rule:
    key: str
    limit: int
    window: dt.timedelta = WINDOW


def per_address(action: str, ip: str | None, limit: int = SCHOOL_ADDRESS_LIMIT) -> list[Rule]:
    """The rule for the client's address, none when the address is unknown."""
    return [Rule(f"{action}:ip:{ip}", limit)] if ip else []


KEY_LENGTH = 200  # RateLimitCounter.key


def _stored(key: str) -> str:
    """The key as stored: a typed e-mail can be longer than the column, so a long key keeps
    its start and ends with a hash of the whole."""
    if len(key) <= KEY_LENGTH:
        return key
    return key[: KEY_LENGTH - 65] + ":" + hashlib.sha256(key.encode()).hexdigest()


def _names() -> tuple[str, str, str, str]:
    """The table and its columns (the model's fields have no db_column), quoted for SQL."""
    quote = connection.ops.quote_name
    return quote(RateLimitCounter._meta.db_table), quote("key"), quote("until"), quote("count")


def _when(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def take(rules: Sequence[Rule]) -> bool:
    """Count one attempt under every rule; False (and nothing counted) when any is over its
    limit, so attempts refused while locked never lock anything else (a locked account does
    not use up its school's address)."""
    # One row per key, taken in one order (no deadlock between two requests' keys).
    limits = {_stored(rule.key): rule for rule in rules}
    keys = sorted(limits)
    if not keys:
        return True
    now = timezone.now()
    table, key, until, n = _names()
    values = ", ".join(["(%s, %s, 1)"] * len(keys))
    params: list[Any] = []
    for stored in keys:
        params += [stored, _when(now + limits[stored].window)]
    params += [_when(now), _when(now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {until}, {n}) VALUES {values} "  # noqa: S608 - names from the model
            f"ON CONFLICT ({key}) DO UPDATE SET "
            f"{n} = CASE WHEN {table}.{until} <= %s THEN 1 ELSE {table}.{n} + 1 END, "
            f"{until} = CASE WHEN {table}.{until} <= %s THEN EXCLUDED.{until} ELSE {table}.{until} END "
            f"RETURNING {key}, {n}",
            params,
        )
        counts = dict(cursor.fetchall())
    if all(counts[stored] <= limits[stored].limit for stored in keys):
        return True
    give_back(rules)
    return False


def give_back(rules: Sequence[Rule]) -> None:
    """Uncount an attempt taken by `take`. A window left with no attempt closes, so the next
    failure opens a full one."""
    keys = sorted({_stored(rule.key) for rule in rules})
    if not keys:
        return
    now = timezone.now()
    table, key, until, n = _names()
    placeholders = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {n} = {n} - 1, "  # noqa: S608 - names from the model
            f"{until} = CASE WHEN {n} = 1 THEN %s ELSE {until} END "
            f"WHERE {key} IN ({placeholders}) AND {n} > 0 AND {until} > %s",
            [_when(now), *keys, _when(now)],
        )


@contextmanager
def attempt(
    rules: Sequence[Rule],
    *,
    locked: Exception,
    failures: tuple[type[BaseException], ...] | Callable[[BaseException], bool],
) -> Iterator[None]:
    """Run the block as one counted attempt: raise `locked` without running it when a rule
    is over its limit. A failure (an exception of `failures`, or one it accepts: a wrong
    secret) leaves the attempt counted; anything else, success included, gives it back."""
    if not take(rules):
        raise locked
    try:
        yield
    except BaseException as error:
        counted = isinstance(error, failures) if isinstance(failures, tuple) else failures(error)
        if not counted:
            give_back(rules)
        raise
    give_back(rules)


def count(key: str) -> int:
    """Attempts counted under `key` in its current window (for tests and diagnosis)."""
    row = RateLimitCounter.objects.filter(key=_stored(key), until__gt=timezone.now()).first()
    return row.count if row else 0


def purge(older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    deleted, _ = RateLimitCounter.objects.filter(until__lt=timezone.now() - older_than).delete()
    return deleted
