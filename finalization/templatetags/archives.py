"""`{% archived_records session url_name scan_url_name attach=… %}`: the archived
documents' panel, shown on the centre's session page (with « Ajouter un document signé »)
and the jury's (pages of lower and higher layers than this one)."""

from typing import Any

from django import template
from django.conf import settings

from exams.models import ExamSession
from finalization import records, scans

register = template.Library()


@register.inclusion_tag("finalization/records.html", takes_context=True)
def archived_records(
    context: dict[str, Any],
    session: ExamSession,
    url_name: str,
    scan_url_name: str,
    attach: bool = False,
) -> dict[str, Any]:
    return {
        "session": session,
        "records": records.of_session(session),
        "retention_years": records.RETENTION_YEARS,
        "url_name": url_name,
        "scan_url_name": scan_url_name,
        # The centre attaches signed scans once the session is finalized.
        "attach": attach and session.finalized_at is not None,
        # … and may remove one attached by mistake until the results are published.
        "remove": attach and session.finalized_at is not None and session.published_at is None,
        "scan_kinds": [(kind.value, kind.label) for kind in scans.SCAN_KINDS],
        "scan_limit": scans.limit_text(),
        "scan_max_bytes": settings.SCAN_MAX_BYTES,
        "csrf_token": context.get("csrf_token"),
    }
