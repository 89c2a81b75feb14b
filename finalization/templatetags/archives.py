"""`{% archived_records session url_name %}`: the archived documents' panel, shown on the
centre's session page and the jury's (pages of lower and higher layers than this one)."""

from typing import Any

from django import template

from exams.models import ExamSession
from finalization import records

register = template.Library()


@register.inclusion_tag("finalization/records.html")
def archived_records(session: ExamSession, url_name: str) -> dict[str, Any]:
    return {
        "session": session,
        "records": records.of_session(session),
        "retention_years": records.RETENTION_YEARS,
        "url_name": url_name,
    }
