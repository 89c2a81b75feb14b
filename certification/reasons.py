"""Why an invigilator validates a problem reported on a question (seed 001, reference §3).

The list shown depends on the question: E1 only for a question with an image, and so on.
"""

from django.utils.translation import gettext_lazy as _

from certification.bank import Item

IN_CHALLENGE = "IN_CHALLENGE"

REASONS = {
    "E1": _("L'image ne s'affiche pas"),
    "E2": _("Le simulateur/l'application ne s'affiche pas"),
    "E3": _("Le fichier à télécharger ne se télécharge pas ou ne s'ouvre pas"),
    "E4": _("Le site à visiter est indisponible/en maintenance/inaccessible"),
    "E5": _(
        "Le site est bloqué par les restrictions réseau de l'établissement (réseaux sociaux par ex.)"
    ),
    "E8": _(
        "Le candidat bénéficie d'un temps majoré et n'a pas pu répondre à la question dans le temps imparti"
    ),
    "E9": _("Le logiciel installé sur l'ordinateur n'a pas fonctionné"),
    "E10": _(
        "Le candidat a été contraint de cliquer en dehors du cadre autorisé pour une question en mode focus"
    ),
    "E11": _(
        "Un problème technique lié à la plateforme a empêché le candidat de répondre à la question"
    ),
    "E12": _("Problème avec l'accessibilité de la question (ex : daltonisme)"),
}
ALWAYS = ("E4", "E5", "E8", "E9", "E11", "E12")
BY_FLAG = {"image": "E1", "simulator": "E2", "attachment": "E3", "focus": "E10"}


def reasons_for(item: Item) -> list[tuple[str, str]]:
    codes = [code for flag, code in BY_FLAG.items() if flag in item.flags] + list(ALWAYS)
    order = list(REASONS)
    return [(code, str(REASONS[code])) for code in sorted(codes, key=order.index)]
