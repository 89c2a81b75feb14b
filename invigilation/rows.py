"""What one candidate row of the Espace Surveillant shows and offers, at each status.

One place for the rule « which buttons at which status »: the server-rendered row
(templates/invigilation/_row.html), the JSON state (`actions`, for API clients) and the
tests (tests/test_rows.py, every status without a browser) all read it. The row is the
dict built by `invigilation.state` (its `status`, `alert`, `companion_alert`,
`time_over`, `focus_lost`, `timed_out`, `ended_by`, `held_by_room`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext, override
from django.utils.translation import gettext as _

from certification.models import CourseStatus
from lib import issue_reports


class Status(StrEnum):
    """A row's status (`invigilation.state._status`): before the test, while it runs (with
    or without a pending alert), and the three ways it ends."""

    NOT_CONFIRMED = "not_confirmed"
    CONFIRMED = "confirmed"
    STARTED = "started"
    ALERT = "alert"
    RESUME_AUTHORIZED = "resume_authorized"
    COMPANION = "companion"
    # Its clock stopped by an invigilator (issue 15): alone, or with the whole room.
    SUSPENDED = "suspended"
    COMPLETED = CourseStatus.COMPLETED.value
    ENDED_BY_INVIGILATOR = CourseStatus.ENDED_BY_INVIGILATOR.value
    ENDED_DUE_TO_FINALIZATION = CourseStatus.ENDED_DUE_TO_FINALIZATION.value


# The test is running: it may be resumed elsewhere or ended by the invigilator.
RUNNING = frozenset(
    {Status.STARTED, Status.ALERT, Status.RESUME_AUTHORIZED, Status.COMPANION, Status.SUSPENDED}
)
ENDED = frozenset({Status.COMPLETED, Status.ENDED_BY_INVIGILATOR, Status.ENDED_DUE_TO_FINALIZATION})


class Action(StrEnum):
    CONFIRM = "confirm"  # confirm the presence
    CANCEL = "cancel"  # cancel the confirmation (before the start)
    COMPANION = "companion"  # the extension is back: clear its alert
    MANAGE = "manage"  # decide a question report (validate or refuse)
    RESUME = "resume"  # authorize a resume on another device
    END = "end"  # end the test
    # Issue 15's incidents.
    ADD_TIME = "add_time"  # « Ajouter du temps » (minutes and a reason)
    SUSPEND = "suspend"  # « Suspendre ce test » (a reason): its clock stops
    CONTINUE = "continue"  # « Reprendre ce test »: a suspended test goes on
    MESSAGE = "message"  # « Envoyer un message » to this candidate


# A candidate who may read a message: in the room, the test not over.
_CAN_READ = frozenset({Status.CONFIRMED}) | RUNNING


def row_actions(row: Mapping[str, Any]) -> tuple[Action, ...]:
    """The actions a row offers, in the order of its buttons."""
    status = Status(row["status"])
    offered: list[Action] = []
    if status == Status.NOT_CONFIRMED:
        offered.append(Action.CONFIRM)
    if status == Status.CONFIRMED:
        offered.append(Action.CANCEL)
    if status in RUNNING:
        # Alerts belong to a running test only: once it ended they are closed.
        if row.get("companion_alert"):
            offered.append(Action.COMPANION)
        if row.get("alert"):
            offered.append(Action.MANAGE)
        # Held with its room: the session is resumed first (who is back is decided there).
        if status == Status.SUSPENDED and not row.get("held_by_room"):
            offered.append(Action.CONTINUE)
        offered.append(Action.ADD_TIME)
        if status != Status.SUSPENDED:
            offered.append(Action.SUSPEND)
    if status in _CAN_READ:
        offered.append(Action.MESSAGE)
    if status in RUNNING:
        if status != Status.RESUME_AUTHORIZED:
            offered.append(Action.RESUME)
        offered.append(Action.END)
    return tuple(offered)


def main_action(row: Mapping[str, Any]) -> Action | None:
    """The one action that matters now, shown on the compact row; the others are behind its
    « ⋯ » menu (seed 001). None: nothing waits for the invigilator."""
    actions = row_actions(row)
    if row.get("time_over") and Action.END in actions:
        urgent: tuple[Action, ...] = (Action.COMPANION, Action.MANAGE, Action.END)
    else:
        urgent = (Action.CONFIRM, Action.COMPANION, Action.MANAGE, Action.CONTINUE)
    return next((action for action in urgent if action in actions), None)


@dataclass(frozen=True)
class Tag:
    """A label on the row: its text, its tone (ok, ko, info or neutral) and an icon name
    (static/vigie/icons/<name>.svg), or none."""

    text: str
    tone: str = ""
    icon: str = ""


_TONES = {
    Status.ALERT: ("ko", "warning"),
    Status.COMPANION: ("ko", "warning"),
    Status.SUSPENDED: ("ko", "pause"),
    Status.STARTED: ("info", "play"),
    Status.RESUME_AUTHORIZED: ("info", "play"),
    Status.CONFIRMED: ("ok", "check"),
    Status.COMPLETED: ("", "stop"),
    Status.ENDED_BY_INVIGILATOR: ("", "stop"),
    Status.ENDED_DUE_TO_FINALIZATION: ("", "stop"),
}


def row_tags(row: Mapping[str, Any]) -> list[Tag]:
    """The row's tags: its status (who ended the test, when an invigilator did), time over,
    and the answers counted wrong that the candidate was told the invigilator would see."""
    status = Status(row["status"])
    tone, icon = _TONES.get(status, ("", ""))
    label = str(row["status_label"])
    if status == Status.ENDED_BY_INVIGILATOR and row.get("ended_by"):
        label = _("Terminé par %(name)s") % {"name": row["ended_by"]}
    tags = [Tag(label, tone, icon)]
    if row.get("time_over"):
        tags.append(Tag(_("Temps écoulé"), "ko", "timer"))
    if row.get("focus_lost"):
        count = row["focus_lost"]
        tags.append(
            Tag(
                ngettext(
                    "%(count)s réponse après une sortie du mode focus",
                    "%(count)s réponses après une sortie du mode focus",
                    count,
                )
                % {"count": count},
                "ko",
                "eye-off",
            )
        )
    if row.get("timed_out"):
        count = row["timed_out"]
        tags.append(
            Tag(
                ngettext(
                    "%(count)s question au temps écoulé",
                    "%(count)s questions au temps écoulé",
                    count,
                )
                % {"count": count},
                "",
                "timer",
            )
        )
    return tags


def shows_countdown(row: Mapping[str, Any]) -> bool:
    """The remaining time is shown while the test runs."""
    return bool(row.get("theoretical_end_iso")) and Status(row["status"]) not in ENDED


class Group(StrEnum):
    """The room at a glance (issue 16): each row in one group, counted in the page's bar and
    used as its filter chips."""

    TO_HANDLE = "to_handle"  # an alert, time over, or suspended: waiting for a decision
    NOT_CONFIRMED = "not_confirmed"
    CONFIRMED = "confirmed"  # present, not started yet
    RUNNING = "running"
    ENDED = "ended"


def row_group(row: Mapping[str, Any]) -> Group:
    status = Status(row["status"])
    if status in ENDED:
        return Group.ENDED
    if status in RUNNING:
        waiting = row.get("alert") or row.get("companion_alert") or row.get("time_over")
        if waiting or status == Status.SUSPENDED:
            return Group.TO_HANDLE
        return Group.RUNNING
    return Group.NOT_CONFIRMED if status == Status.NOT_CONFIRMED else Group.CONFIRMED


def decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The state's rows with what the row template shows: tags, the main action, the group,
    the countdown, the name as said aloud (the fetched and the pushed rows alike)."""
    return [
        {
            **row,
            "tags": row_tags(row),
            "main": main_action(row),
            "group": row_group(row).value,
            "countdown": shows_countdown(row),
            "name": f"{row['first_name']} {row['last_name']}",
        }
        for row in rows
    ]


def pv_options() -> SafeString:
    """The PV d'incident's categories as `<optgroup>`s, for the select of every row (each
    row has its form): rendered once per language and worker instead of once per row — a
    fifth of the render of a page of 20 rows, a tenth of one row's fetch after a start
    (docs/scaling.md, « The row's render »). The catalogue is code (lib/issue_reports.py)
    and the translations are read at boot: nothing here changes while a worker runs."""
    return _pv_options(get_language())


@cache
def _pv_options(language: str) -> SafeString:
    with override(language):
        html = render_to_string(
            "invigilation/_pv_options.html", {"pv_categories": issue_reports.category_choices()}
        )
    return mark_safe(html.removesuffix("\n"))  # noqa: S308 - our template, escaped by it
