"""Typed readers for environment variables.

Every setting comes from the environment. A malformed value stops the process with
ImproperlyConfigured instead of silently falling back to a default.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def envints(name: str, default: tuple[int, ...], *, minimum: int | None = None) -> tuple[int, ...]:
    """As many integers as `default` has, separated by commas ("10000,10,10")."""
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    parts = [part.strip() for part in raw.split(",")]
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != len(default):
        raise ImproperlyConfigured(
            f"{name} must be {len(default)} integers separated by commas, got {raw!r}"
        )
    if minimum is not None and min(values) < minimum:
        raise ImproperlyConfigured(f"{name}: each must be >= {minimum}, got {raw!r}")
    return values


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envsecret(name: str, default: str) -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (Docker/systemd secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name}: {exc}") from exc
    return os.environ.get(name, default)
