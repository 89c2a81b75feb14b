"""The one catalogue of issue-report codes (« signalements », Pix's categories, reference §1).

Used by the invigilator's live dialog (which reasons a question offers), the blank PV
d'incident, the finalization form, the archived PV, the jury's page and the audit sentences.
Codes are what invigilators write on paper, so they are never renumbered.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

IN_CHALLENGE = "IN_CHALLENGE"
FRAUD = "FRAUD"


@dataclass(frozen=True)
class Category:
    code: str
    label: Promise


@dataclass(frozen=True)
class IssueCode:
    """A subcategory (C1…E12) and what it asks of the person who writes it."""

    code: str
    label: Promise
    category: str
    needs_description: bool = False
    # Offered in the live dialog when the question has this flag; "" for every question;
    # None when only the centre writes it (at finalization).
    live_flag: str | None = None

    @property
    def needs_question_number(self) -> bool:
        return self.category == IN_CHALLENGE


CATEGORIES: list[Category] = [
    Category("CANDIDATE_INFORMATIONS_CHANGES", _("Modification infos candidat")),
    Category(
        "SIGNATURE_ISSUE",
        _("Était présent(e) mais a oublié de signer, ou a signé sur la mauvaise ligne"),
    ),
    Category(FRAUD, _("Suspicion de fraude")),
    Category("NON_BLOCKING_TECHNICAL_ISSUE", _("Incident technique non bloquant")),
    Category("NON_BLOCKING_CANDIDATE_ISSUE", _("Incident lié au candidat non bloquant")),
    Category(IN_CHALLENGE, _("Problème technique sur une question")),
]

CODES: list[IssueCode] = [
    IssueCode(
        "C1", _("Modification des prénom/nom/date de naissance"), "CANDIDATE_INFORMATIONS_CHANGES"
    ),
    IssueCode(
        "C2",
        _("Ajout/modification du temps majoré"),
        "CANDIDATE_INFORMATIONS_CHANGES",
        needs_description=True,
    ),
    IssueCode(
        "C4",
        _("Était présent(e) mais a oublié de signer, ou a signé sur la mauvaise ligne"),
        "SIGNATURE_ISSUE",
    ),
    IssueCode("C6", _("Suspicion de fraude"), FRAUD),
    IssueCode(
        "C7",
        _("Incident technique non bloquant"),
        "NON_BLOCKING_TECHNICAL_ISSUE",
        needs_description=True,
    ),
    IssueCode(
        "C8",
        _("Incident lié au candidat non bloquant"),
        "NON_BLOCKING_CANDIDATE_ISSUE",
        needs_description=True,
    ),
    IssueCode("E1", _("L'image ne s'affiche pas"), IN_CHALLENGE, live_flag="image"),
    IssueCode(
        "E2",
        _("Le simulateur/l'application ne s'affiche pas"),
        IN_CHALLENGE,
        live_flag="simulator",
    ),
    IssueCode(
        "E3",
        _("Le fichier à télécharger ne se télécharge pas ou ne s'ouvre pas"),
        IN_CHALLENGE,
        live_flag="attachment",
    ),
    IssueCode(
        "E4",
        _("Le site à visiter est indisponible/en maintenance/inaccessible"),
        IN_CHALLENGE,
        live_flag="",
    ),
    IssueCode(
        "E5",
        _(
            "Le site est bloqué par les restrictions réseau de l'établissement "
            "(réseaux sociaux par ex.)"
        ),
        IN_CHALLENGE,
        live_flag="",
    ),
    IssueCode(
        "E8",
        _(
            "Le candidat bénéficie d'un temps majoré et n'a pas pu répondre à la question "
            "dans le temps imparti"
        ),
        IN_CHALLENGE,
        live_flag="",
    ),
    IssueCode(
        "E9",
        _("Le logiciel installé sur l'ordinateur n'a pas fonctionné"),
        IN_CHALLENGE,
        live_flag="",
    ),
    IssueCode(
        "E10",
        _(
            "Le candidat a été contraint de cliquer en dehors du cadre autorisé pour une "
            "question en mode focus"
        ),
        IN_CHALLENGE,
        live_flag="focus",
    ),
    IssueCode(
        "E11",
        _(
            "Une page «Oups une erreur est survenue» ou tout autre problème technique lié à la "
            "plateforme a empêché le candidat de répondre à la question"
        ),
        IN_CHALLENGE,
        live_flag="",
    ),
    IssueCode(
        "E12",
        _("Problème avec l’accessibilité de la question (ex : daltonisme)"),
        IN_CHALLENGE,
        live_flag="",
    ),
]

BY_CODE: dict[str, IssueCode] = {code.code: code for code in CODES}

# What Vigie saw during the test, as the line of the PV it becomes in one tap
# (invigilation/evidence.py). Seed 002: a timed question the candidate with extra time could
# not finish is an E8 with its number; leaving a focus-mode frame is E10; the rest is noted
# as a non-blocking incident, technical (extension lost, resume, time added) or not.
EVIDENCE_CODES: dict[str, str] = {
    "focus_leave": "E10",
    "timeout_extra_time": "E8",
    "timeout": "C8",
    "companion_lost": "C7",
    "resume": "C7",
    "time_added": "C7",
}
FRAUD_CODE = "C6"
CATEGORY_LABELS: dict[str, Promise] = {category.code: category.label for category in CATEGORIES}


def is_impactful(category: str, subcategory: str) -> bool:
    """Reference §1: FRAUD and every subcategory except C2 need the jury's decision."""
    return category == FRAUD or subcategory != "C2"


def get(code: str) -> IssueCode | None:
    return BY_CODE.get(code.strip().upper())


def code_label(code: str) -> str:
    """« E1 — L'image ne s'affiche pas »."""
    known = BY_CODE.get(code)
    return f"{code} — {known.label}" if known else code


def category_label(category: str) -> str:
    return str(CATEGORY_LABELS.get(category, category))


def category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a select: (category label, [(code, « code — label »)…])."""
    return [
        (
            str(category.label),
            [(c.code, code_label(c.code)) for c in CODES if c.category == category.code],
        )
        for category in CATEGORIES
    ]


def live_reasons(flags: frozenset[str] | set[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """What an invigilator may choose when validating a report on a question with these
    flags: E4, E5, E8, E9, E11 and E12 always, E1/E2/E3/E10 by the question's content."""
    return [
        (c.code, str(c.label))
        for c in CODES
        if c.live_flag is not None and (c.live_flag == "" or c.live_flag in flags)
    ]
