"""A question as one candidate saw it: its choices in the order they were shown, which
ones the candidate ticked, which were right. For the jury and the archived records.

A read: the order is the one stored with the answer, or, for a question that was shown
but never answered (a validated report replaced it), the one drawn from the test's seed,
which is the order the candidate's page showed (certification/engine.py, choice_order)."""

from dataclasses import dataclass

from certification import engine
from certification.models import Answer, CertificationCourse, IssueReport


@dataclass(frozen=True)
class ShownChoice:
    text: str
    chosen: bool
    right: bool


@dataclass(frozen=True)
class QuestionAsSeen:
    item_id: str
    prompt: str
    choices: list[ShownChoice]  # in the order shown; empty for a free answer
    typed: str | None  # a free answer's text
    answered: bool
    correct: bool | None

    def summary(self) -> str:
        """One line for a PDF: « Q ; A / [x] B (juste) / C »."""
        if not self.choices:
            typed = self.typed if self.typed is not None else "—"
            return f"{self.prompt} — réponse : « {typed} »"
        marks = [
            ("[x] " if c.chosen else "[ ] ") + c.text + (" (juste)" if c.right else "")
            for c in self.choices
        ]
        return f"{self.prompt} — " + " / ".join(marks)


def _seen(item: engine.Item, order: list[int], response: object, answered: bool) -> QuestionAsSeen:
    if item.type == "free":
        return QuestionAsSeen(
            item.id, item.prompt, [], str(response) if answered else None, answered, None
        )
    if sorted(order) != list(range(len(item.choices))):
        order = list(range(len(item.choices)))
    chosen = set(response) if isinstance(response, list) else set()
    choices = [
        ShownChoice(item.choices[i], chosen=i in chosen, right=i in item.answer) for i in order
    ]
    return QuestionAsSeen(item.id, item.prompt, choices, None, answered, None)


def answer_as_seen(answer: Answer) -> QuestionAsSeen | None:
    """An answered question as shown; None when the bank no longer has the item."""
    item = engine.get_bank().by_id().get(answer.item_id)
    if item is None:
        return None
    seen = _seen(item, list(answer.choice_order), answer.response, answered=True)
    return QuestionAsSeen(
        seen.item_id, seen.prompt, seen.choices, seen.typed, True, bool(answer.correct)
    )


def shown_question(course: CertificationCourse, item_id: str) -> QuestionAsSeen | None:
    """A question shown to the candidate and never answered (reported, then replaced)."""
    item = engine.get_bank().by_id().get(item_id)
    if item is None:
        return None
    return _seen(item, engine.choice_order(course.seed, item), None, answered=False)


def reported_question(report: IssueReport) -> QuestionAsSeen | None:
    """The question an issue report is about, as the candidate saw it: the one the live
    alert was raised on (a validated alert's question was never answered: its replacement
    took its number), else the answer at the report's question number."""
    if report.live_alert_id and report.live_alert and report.live_alert.item_id:
        return shown_question(report.course, report.live_alert.item_id)
    if not report.question_number:
        return None
    answer = Answer.objects.filter(
        course_id=report.course_id, position=report.question_number
    ).first()
    return answer_as_seen(answer) if answer else None
