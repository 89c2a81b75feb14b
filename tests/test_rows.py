"""Which actions a candidate row of the Espace Surveillant offers, and which tags it shows,
at every status (invigilation/rows.py): the rule the server-rendered row and the JSON
state follow, specified without a browser or a database."""

from typing import Any

import pytest

from invigilation.rows import (
    ENDED,
    RUNNING,
    Action,
    Group,
    Status,
    Tag,
    main_action,
    row_actions,
    row_group,
    row_tags,
    shows_countdown,
)
from invigilation.state import STATUS_LABELS

ALERT = {"id": 7, "question_number": 3, "reasons": []}
COMPANION = {"id": 8, "question_number": None}


def _row(status: Status, **marks: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "status": status.value,
        "status_label": str(STATUS_LABELS[status.value]),
        "alert": None,
        "companion_alert": None,
        "time_over": False,
        "focus_lost": 0,
        "timed_out": 0,
        "ended_by": "",
        "theoretical_end_iso": None if status in (Status.NOT_CONFIRMED, Status.CONFIRMED) else "x",
    }
    row.update(marks)
    return row


# Every status with the marks it can carry, and the buttons it must show, in order. A
# running test can get time, be suspended (or go on when suspended) and get a message;
# a present candidate can get a message before the start, nobody after the end.
A, S, C, M = Action.ADD_TIME, Action.SUSPEND, Action.CONTINUE, Action.MESSAGE
CASES: list[tuple[Status, dict[str, Any], tuple[Action, ...]]] = [
    (Status.NOT_CONFIRMED, {}, (Action.CONFIRM,)),
    (Status.CONFIRMED, {}, (Action.CANCEL, M)),
    (Status.STARTED, {}, (A, S, M, Action.RESUME, Action.END)),
    (Status.STARTED, {"time_over": True}, (A, S, M, Action.RESUME, Action.END)),
    (
        Status.STARTED,
        {"focus_lost": 2, "timed_out": 1},
        (A, S, M, Action.RESUME, Action.END),
    ),
    (Status.ALERT, {"alert": ALERT}, (Action.MANAGE, A, S, M, Action.RESUME, Action.END)),
    (
        Status.COMPANION,
        {"companion_alert": COMPANION},
        (Action.COMPANION, A, S, M, Action.RESUME, Action.END),
    ),
    (
        Status.COMPANION,
        {"companion_alert": COMPANION, "alert": ALERT},
        (Action.COMPANION, Action.MANAGE, A, S, M, Action.RESUME, Action.END),
    ),
    (Status.RESUME_AUTHORIZED, {}, (A, S, M, Action.END)),
    # Suspended (issue 15): its clock stopped; it goes on (not suspended twice), gets time
    # or a message; a broken computer may still be swapped.
    (Status.SUSPENDED, {}, (C, A, M, Action.RESUME, Action.END)),
    # Held with the room: only « Reprendre la session » lets it go on.
    (Status.SUSPENDED, {"held_by_room": True}, (A, M, Action.RESUME, Action.END)),
    (Status.RESUME_AUTHORIZED, {"time_over": True}, (A, S, M, Action.END)),
    (Status.COMPLETED, {}, ()),
    (Status.COMPLETED, {"focus_lost": 1, "timed_out": 3}, ()),
    (Status.ENDED_BY_INVIGILATOR, {"ended_by": "Alice Martin"}, ()),
    (Status.ENDED_BY_INVIGILATOR, {"ended_by": ""}, ()),
    (Status.ENDED_DUE_TO_FINALIZATION, {}, ()),
]

# The one action shown on the compact row (the others behind « ⋯ »): what waits for the
# invigilator now, or none.
MAIN: list[tuple[Status, dict[str, Any], Action | None]] = [
    (Status.NOT_CONFIRMED, {}, Action.CONFIRM),
    (Status.CONFIRMED, {}, None),
    (Status.STARTED, {}, None),
    (Status.STARTED, {"time_over": True}, Action.END),
    (Status.ALERT, {"alert": ALERT}, Action.MANAGE),
    (Status.ALERT, {"alert": ALERT, "time_over": True}, Action.MANAGE),
    (Status.COMPANION, {"companion_alert": COMPANION, "alert": ALERT}, Action.COMPANION),
    (Status.RESUME_AUTHORIZED, {}, None),
    (Status.RESUME_AUTHORIZED, {"time_over": True}, Action.END),
    (Status.SUSPENDED, {}, Action.CONTINUE),
    (Status.SUSPENDED, {"held_by_room": True}, None),
    (Status.COMPLETED, {}, None),
    (Status.ENDED_BY_INVIGILATOR, {}, None),
    (Status.ENDED_DUE_TO_FINALIZATION, {}, None),
]


def test_it_covers_every_status():
    assert {status for status, _marks, _actions in CASES} == set(Status)
    assert set(STATUS_LABELS) == {status.value for status in Status}


@pytest.mark.parametrize(
    ("status", "marks", "expected"),
    CASES,
    ids=[f"{s.value}-{'-'.join(m) or 'plain'}" for s, m, _e in CASES],
)
def test_it_offers_the_actions_of_each_status(status, marks, expected):
    assert row_actions(_row(status, **marks)) == expected


def test_it_names_the_main_action_of_every_status():
    assert {status for status, _marks, _main in MAIN} == set(Status)


@pytest.mark.parametrize(
    ("status", "marks", "expected"),
    MAIN,
    ids=[f"{s.value}-{'-'.join(m) or 'plain'}" for s, m, _e in MAIN],
)
def test_it_shows_the_one_action_that_matters_now_on_the_compact_row(status, marks, expected):
    row = _row(status, **marks)
    assert main_action(row) == expected
    # Always one of the row's own actions: the menu holds the rest, nothing is lost.
    assert expected is None or expected in row_actions(row)


@pytest.mark.parametrize("status", sorted(ENDED))
def test_it_offers_nothing_once_the_test_ended_even_with_a_stale_alert(status):
    """An ended test's alerts are closed; a row read meanwhile offers no decision on them."""
    assert row_actions(_row(status, alert=ALERT, companion_alert=COMPANION)) == ()


@pytest.mark.parametrize("status", sorted(RUNNING))
def test_it_always_lets_the_invigilator_end_a_running_test(status):
    assert row_actions(_row(status))[-1] == Action.END


@pytest.mark.parametrize("status", [Status.NOT_CONFIRMED, Status.CONFIRMED])
def test_it_offers_no_alert_decision_before_the_test(status):
    actions = row_actions(_row(status, alert=ALERT, companion_alert=COMPANION))
    assert Action.MANAGE not in actions and Action.COMPANION not in actions


def test_it_refuses_an_unknown_status():
    with pytest.raises(ValueError):
        row_actions({"status": "paused"})


@pytest.mark.parametrize("status", list(Status))
def test_it_tags_each_status_with_its_label_and_an_icon_for_running_and_ended_tests(status):
    tags = row_tags(_row(status))
    assert tags[0].text == str(STATUS_LABELS[status.value])
    assert len(tags) == 1
    assert bool(tags[0].icon) == (status != Status.NOT_CONFIRMED)


def test_it_names_who_ended_the_test_without_repeating_itself():
    tag = row_tags(_row(Status.ENDED_BY_INVIGILATOR, ended_by="Alice Martin"))[0]
    assert tag.text == "Terminé par Alice Martin"
    anonymous = row_tags(_row(Status.ENDED_BY_INVIGILATOR))[0]
    assert anonymous.text == "Terminé par le surveillant"


def test_it_tags_time_over_focus_lost_and_timed_out_answers():
    tags = row_tags(_row(Status.STARTED, time_over=True, focus_lost=2, timed_out=1))
    assert tags[1:] == [
        Tag("Temps écoulé", "ko", "timer"),
        Tag("2 réponses après une sortie du mode focus", "ko", "eye-off"),
        Tag("1 question au temps écoulé", "", "timer"),
    ]


@pytest.mark.parametrize("status", list(Status))
def test_it_counts_down_only_while_the_test_runs(status):
    assert shows_countdown(_row(status)) == (status in RUNNING)


GROUPS: list[tuple[Status, dict[str, Any], Group]] = [
    (Status.NOT_CONFIRMED, {}, Group.NOT_CONFIRMED),
    (Status.CONFIRMED, {}, Group.CONFIRMED),
    (Status.STARTED, {}, Group.RUNNING),
    (Status.STARTED, {"time_over": True}, Group.TO_HANDLE),
    (Status.ALERT, {"alert": ALERT}, Group.TO_HANDLE),
    (Status.COMPANION, {"companion_alert": COMPANION}, Group.TO_HANDLE),
    (Status.RESUME_AUTHORIZED, {}, Group.RUNNING),
    (Status.SUSPENDED, {}, Group.TO_HANDLE),
    (Status.COMPLETED, {"time_over": True}, Group.ENDED),
    (Status.ENDED_BY_INVIGILATOR, {}, Group.ENDED),
    (Status.ENDED_DUE_TO_FINALIZATION, {}, Group.ENDED),
]


def test_it_puts_every_status_in_a_group_of_the_bar():
    assert {status for status, _marks, _group in GROUPS} == set(Status)


@pytest.mark.parametrize(
    ("status", "marks", "expected"),
    GROUPS,
    ids=[f"{s.value}-{'-'.join(m) or 'plain'}" for s, m, _e in GROUPS],
)
def test_it_counts_each_row_in_one_group_those_waiting_for_a_decision_first(
    status, marks, expected
):
    assert row_group(_row(status, **marks)) == expected
