"""The test engine as the web layer sees it: the bank, the adaptive choice, the estimate."""

import datetime as dt
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from certification import irt
from certification.bank import Bank, Item, load_bank
from certification.models import AlertStatus, Answer, CertificationCourse, CourseStatus, LiveAlert
from lib.framework import COMPETENCE_CODES
from lib.prepared import Prepared

__all__ = ["TEST_LENGTH", "Item"]

TEST_LENGTH = irt.TEST_LENGTH
# Network latency between the end of a timed question's countdown and its answer arriving.
TIMER_GRACE = dt.timedelta(seconds=5)
MAX_FREE_ANSWER = 200


@cache
def get_bank() -> Bank:
    return load_bank(settings.ITEM_BANK_DIR)


def item(item_id: str) -> Item:
    return get_bank().by_id()[item_id]


def current_item(course: CertificationCourse) -> Item | None:
    """The question on screen: the one stored on the course, if the bank still has it. A
    read: the actions that leave a running test without one draw the next
    (certification/actions.py, `_show_next_question`)."""
    if not course.current_item_id:
        return None
    return get_bank().by_id().get(course.current_item_id)


@dataclass(frozen=True)
class Progress:
    """Where a test stands, read in two queries: its answers and its alerts. The hot paths
    (the answer POST, the state GET) work from this instead of one query per question."""

    answers: list[tuple[int, str, bool]]  # (position, item_id, correct), in order
    alerts: list[LiveAlert]  # every alert of the test, oldest first

    @property
    def answered(self) -> int:
        return len(self.answers)

    @property
    def history(self) -> list[tuple[Item, bool]]:
        bank = get_bank().by_id()
        return [(bank[item_id], correct) for _position, item_id, correct in self.answers]

    def ongoing(self, kind: str) -> LiveAlert | None:
        return next(
            (a for a in self.alerts if a.kind == kind and a.status == AlertStatus.ONGOING), None
        )

    @property
    def last_question_alert(self) -> LiveAlert | None:
        questions = [a for a in self.alerts if a.kind == LiveAlert.Kind.QUESTION]
        return questions[-1] if questions else None

    @property
    def replaced_items(self) -> set[str]:
        """Questions whose report was validated: never asked again."""
        return {a.item_id for a in self.alerts if a.status == AlertStatus.VALIDATED}


# Read on every answer and state (lib/prepared.py).
_ANSWERS = Prepared(
    lambda course_id: (
        Answer.objects.filter(course_id=course_id)
        .order_by("position")
        .values_list("position", "item_id", "correct")
    )
)
_ALERTS = Prepared(
    lambda course_id: LiveAlert.objects.filter(course_id=course_id).order_by("created_at", "pk")
)


def progress(course: CertificationCourse) -> Progress:
    return Progress(answers=list(_ANSWERS.rows(course.pk)), alerts=list(_ALERTS.rows(course.pk)))


# Tests whose lotteries a worker keeps (a frozenset of ~100 ids each): beyond, start again.
_BLOCKED_KEPT = 4096


def _blocked(bank: Bank, seed: int) -> frozenset[str]:
    """The items that lost their Sympson–Hetter lottery for the test of this seed. The draws
    are a function of the seed, the same at every step, so they are recomputed rather than
    stored (docs/scoring.md) and kept per bank for the test's next questions."""
    kept: dict[int, frozenset[str]] | None = bank.__dict__.get("_blocked")
    if kept is None or len(kept) >= _BLOCKED_KEPT:
        kept = {}
        object.__setattr__(bank, "_blocked", kept)
    if seed not in kept:
        kept[seed] = irt.blocked_by_exposure(bank.items, bank.exposure, seed)
    return kept[seed]


def next_item(
    course: CertificationCourse, state: Progress | None = None, theta: float | None = None
) -> Item | None:
    """`theta`: the estimate on `state`'s history when the caller has it (an answer has just
    computed it), so that it is not computed twice."""
    state = state or progress(course)
    history = state.history
    if len(history) >= TEST_LENGTH:
        return None
    reported = state.replaced_items
    excluded = {i.id for i, _correct in history} | reported
    # Seeded per course and step: reproducible for an audit, different between candidates.
    rng = random.Random(f"{course.seed}:{len(history)}:{len(reported)}")
    avoid = frozenset({course.avoid_competence}) if course.avoid_competence else frozenset()
    bank = get_bank()
    blocked = _blocked(bank, course.seed)
    return irt.select_next(
        bank.items,
        history,
        rng=rng,
        excluded=excluded,
        excluded_competences=avoid,
        blocked=blocked,
        cover=COMPETENCE_CODES,
        theta=theta,
    )


def choice_order(seed: int, question: Item) -> list[int]:
    """The order a candidate sees a question's choices in: a permutation of the bank's
    indices drawn from the test's seed and the item (the same on every read and resume),
    or [] for a free answer. Stored with the question shown and with the answer."""
    if not question.choices:
        return []
    order = list(range(len(question.choices)))
    random.Random(f"{seed}:choices:{question.id}").shuffle(order)
    return order


def valid_order(question: Item, order: list[int]) -> list[int]:
    """`order` if it is a permutation of the question's choices, else [] (the bank's order):
    a stored order that does not fit the question (a bank changed under a running test)
    is never applied."""
    return list(order) if sorted(order) == list(range(len(question.choices))) else []


def shown_choices(question: Item, order: list[int]) -> list[str]:
    """The choices in the order the candidate saw them."""
    order = valid_order(question, order) or list(range(len(question.choices)))
    return [question.choices[i] for i in order]


def to_bank_indices(response: list[int] | str, order: list[int]) -> list[int] | str:
    """A response given on the shown order, as indices into the bank's `choices` (sorted):
    what `Item.is_correct` checks and what is stored. The identity for a free answer or
    an empty order."""
    if isinstance(response, str) or not order:
        return response
    return sorted(order[i] for i in response)


def estimate(history: list[tuple[Item, bool]]) -> tuple[float, float]:
    result = irt.estimate(history)
    return result.theta, result.sd


def clean_response(question: Item, response: Any) -> list[int] | str | None:
    """The response in canonical form ("" or [] when empty), or None when it cannot answer
    this question."""
    if question.type == "free":
        # Control characters (NUL in particular, which PostgreSQL refuses) are no answer.
        if not isinstance(response, str) or len(response) > MAX_FREE_ANSWER:
            return None
        if any(ord(c) < 32 and c not in "\t\n\r" for c in response):
            return None
        return " ".join(response.split())
    if not isinstance(response, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in response
    ):
        return None
    chosen = sorted(set(response))
    if any(not 0 <= i < len(question.choices) for i in chosen):
        return None
    if not chosen:
        return chosen
    if question.type == "single" and len(chosen) != 1:
        return None
    return chosen


def is_timed_out(question: Item, asked_at: dt.datetime, now: dt.datetime) -> bool:
    if question.timed is None:
        return False
    return now > asked_at + dt.timedelta(seconds=question.timed) + TIMER_GRACE


def end_message(status: str) -> str:
    messages: dict[str, Any] = {
        CourseStatus.COMPLETED: _(
            "Vous avez répondu à toutes les questions : votre test est terminé."
        ),
        CourseStatus.ENDED_BY_INVIGILATOR: _(
            "Votre surveillant a mis fin à votre test de certification. "
            "Vous ne pouvez plus continuer à répondre aux questions."
        ),
        CourseStatus.ENDED_DUE_TO_FINALIZATION: _(
            "La session a été finalisée par votre centre de certification. "
            "Vous ne pouvez plus continuer à répondre aux questions."
        ),
    }
    return str(messages.get(status, _("Votre test de certification est terminé.")))
