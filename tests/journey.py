"""A small item bank and helpers for candidate-journey tests."""

import textwrap
from pathlib import Path

from certification import engine
from lib.framework import COMPETENCE_CODES


def write_bank(directory: Path, per_competence: int = 3) -> Path:
    """A valid bank: `per_competence` single-choice items per competence, answer index 0,
    plus one free, one timed and one focus item."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "media").mkdir(exist_ok=True)
    lines = ["version: 1", "items:"]
    for code in COMPETENCE_CODES:
        for n in range(per_competence):
            difficulty = -2 + 4 * n / max(per_competence - 1, 1)
            lines += [
                f'  - id: "{code}-{n:03d}"',
                f'    competence: "{code}"',
                "    type: single",
                f'    prompt: "Question {n} de la compétence {code}"',
                '    choices: ["Bonne réponse", "Mauvaise réponse", "Autre"]',
                "    answer: [0]",
                f"    difficulty: {difficulty:.2f}",
                "    discrimination: 1.2",
            ]
    lines += textwrap.indent(
        textwrap.dedent(
            """\
          - id: "free-1"
            competence: "5.2"
            type: free
            prompt: "Extension d'un document PDF ?"
            accepted: ["pdf", ".pdf"]
            difficulty: 3.9
            discrimination: 0.3
          - id: "timed-1"
            competence: "5.1"
            type: multiple
            prompt: "Deux bonnes réponses"
            choices: ["A", "B", "C"]
            answer: [0, 1]
            difficulty: 3.9
            discrimination: 0.3
            timed: 30
            flags: [focus]
        """
        ),
        "  ",
    ).splitlines()
    (directory / "items.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def right_response(question: dict) -> list[int] | str:
    """The right response to a question of the state JSON, on the order it shows the
    choices in (drawn per candidate): the positions of the bank's right choices."""
    item = engine.item(question["id"])
    if item.type == "free":
        return item.accepted[0]
    right = {item.choices[i] for i in item.answer}
    return [n for n, text in enumerate(question["choices"]) if text in right]


def wrong_response(question: dict) -> list[int] | str:
    """A wrong response to a question of the state JSON."""
    item = engine.item(question["id"])
    if item.type == "free":
        return "sans rapport"
    right = {item.choices[i] for i in item.answer}
    return [next(n for n, text in enumerate(question["choices"]) if text not in right)]
