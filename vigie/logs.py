"""Structured logs: one JSON object per line (LOG_FORMAT=json, the default when DEBUG is off).

Every record carries its time (UTC, ISO 8601), level, logger, message and process id, so
the lines of several workers can be merged and filtered by a log collector. uvicorn's
access lines also get their method, path, status and client as separate fields.
"""

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

from lib.outage import channel_layer_failed

_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": os.getpid(),
        }
        args = record.args if isinstance(record.args, tuple) else ()
        if record.name == "uvicorn.access" and len(args) == len(_ACCESS_FIELDS):
            entry.update(zip(_ACCESS_FIELDS, args, strict=True))
        status_code = getattr(record, "status_code", None)
        if status_code is not None:
            entry["status"] = status_code
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class QuietPubSubOutage(logging.Filter):
    """channels-redis's pubsub layer logs each failed read of its subscription with a
    traceback, every second of a Redis outage; the worker's probe (live/base.py) logs the
    outage once, when it starts, and once when it ends (lib/outage.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return error is None or not channel_layer_failed(error)
