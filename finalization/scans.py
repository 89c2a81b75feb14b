"""Scans the centre attaches to a finalized session's archived records: the signed
attendance sheet and the signed PVs (seed 004: « feuille d'émargement, PV d'incident et les
autres documents éventuels » kept 5 years).

Only PDF, PNG and JPEG, recognized by their first bytes: a file's name or the type the
browser announces says nothing about its content. Within SCAN_MAX_BYTES.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from finalization.models import SessionRecord

Kind = SessionRecord.Kind
SCAN_KINDS = [Kind.SIGNED_ATTENDANCE, Kind.SIGNED_REPORT]

# (first bytes, media type): the formats' own signatures.
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]
MAX_NAME = 200


class ScanRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def media_type(data: bytes) -> str | None:
    """The media type the content's signature gives, or None."""
    return next((media for magic, media in SIGNATURES if data.startswith(magic)), None)


def limit_text() -> str:
    """« 2 Mo », or « 4 Ko » below a megabyte."""
    size = settings.SCAN_MAX_BYTES
    if size >= 1024 * 1024:
        return _("%(n)s Mo") % {"n": f"{size / (1024 * 1024):g}"}
    return _("%(n)s Ko") % {"n": size // 1024}


def check(kind: str, name: str, data: bytes) -> str:
    """The media type of an acceptable scan; raises ScanRefused with a French message."""
    if kind not in SCAN_KINDS:
        raise ScanRefused(_("Choisissez le document : feuille d'émargement signée ou PV signé."))
    if not data:
        raise ScanRefused(_("Le fichier est vide."))
    if len(data) > settings.SCAN_MAX_BYTES:
        raise ScanRefused(
            _("Le fichier dépasse %(limit)s : numérisez-le en plus basse résolution.")
            % {"limit": limit_text()}
        )
    found = media_type(data)
    if found is None:
        raise ScanRefused(
            _(
                "« %(name)s » n'est ni un PDF, ni une image PNG ou JPEG (vérifié d'après son "
                "contenu, pas son nom)."
            )
            % {"name": name[:MAX_NAME] or _("Le fichier")}
        )
    return found
