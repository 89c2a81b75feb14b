"""The public digital-skills framework (CRCN / DigComp-based): 5 areas, 16 competences."""

from typing import NamedTuple


class Competence(NamedTuple):
    code: str
    area: str
    name: str


AREAS = {
    "1": "Information et données",
    "2": "Communication et collaboration",
    "3": "Création de contenus",
    "4": "Protection et sécurité",
    "5": "Environnement numérique",
}

COMPETENCES = [
    Competence("1.1", "1", "Mener une recherche et une veille d'information"),
    Competence("1.2", "1", "Gérer des données"),
    Competence("1.3", "1", "Traiter des données"),
    Competence("2.1", "2", "Interagir"),
    Competence("2.2", "2", "Partager et publier"),
    Competence("2.3", "2", "Collaborer"),
    Competence("2.4", "2", "S'insérer dans le monde numérique"),
    Competence("3.1", "3", "Développer des documents textuels"),
    Competence("3.2", "3", "Développer des documents multimédia"),
    Competence("3.3", "3", "Adapter les documents à leur finalité"),
    Competence("3.4", "3", "Programmer"),
    Competence("4.1", "4", "Sécuriser l'environnement numérique"),
    Competence("4.2", "4", "Protéger les données personnelles et la vie privée"),
    Competence("4.3", "4", "Protéger la santé, le bien-être et l'environnement"),
    Competence("5.1", "5", "Résoudre des problèmes techniques"),
    Competence("5.2", "5", "Évoluer dans un environnement numérique"),
]
COMPETENCE_CODES = [c.code for c in COMPETENCES]

MAX_LEVEL = 8
# Seed 004: « atteint un niveau 1 minimum dans au moins 5 compétences ».
CERTIFIABLE_MIN_LEVEL = 1
CERTIFIABLE_MIN_COMPETENCES = 5


def is_certifiable(levels: dict[str, int]) -> bool:
    reached = sum(1 for level in levels.values() if level >= CERTIFIABLE_MIN_LEVEL)
    return reached >= CERTIFIABLE_MIN_COMPETENCES
