"""Identity corrections (« Modification des informations du candidat », report C1).

The centre writes, with the C1 report, the identity as it should read; the jury accepts or
refuses it (jury/actions.py). The corrected values are checked with the very rules of the
candidate form (exams/forms.py CandidateForm), against the line as it is, so a correction can
never hold an identity the centre could not have typed at enrolment.
"""

import datetime as dt
from collections.abc import Mapping

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from exams.forms import CandidateForm
from exams.models import IDENTITY_FIELDS, Candidate
from finalization.models import current_values, field_label

# The C1 code of lib/issue_reports.py: the report that carries a correction.
CODE = "C1"


def validate(candidate: Candidate, given: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """(changes, errors): the fields whose corrected value differs from the line's, as
    strings; errors name the field. Blank or absent fields are kept as they are."""
    errors: list[str] = []
    unknown = sorted(set(given) - set(IDENTITY_FIELDS))
    for name in unknown:
        errors.append(_("« %(name)s » n'est pas une information du candidat.") % {"name": name})
    given = {k: str(v or "").strip() for k, v in given.items() if k in IDENTITY_FIELDS}
    given = {k: v for k, v in given.items() if v}
    if errors:
        return {}, errors
    if not given:
        return {}, [_("Indiquez au moins une information corrigée.")]
    fresh = Candidate.objects.get(pk=candidate.pk)
    data: dict[str, str] = {}
    for name in CandidateForm.Meta.fields:
        value = getattr(fresh, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else str(value or "")
    data.update(given)
    form = CandidateForm(data=data, instance=fresh, session=fresh.session)
    form.is_valid()
    for name, messages in form.errors.items():
        if name in IDENTITY_FIELDS:
            errors += [f"{capfirst(field_label(name))} : {message}" for message in messages]
        elif name == "__all__":
            errors += [str(message) for message in messages]
    if errors:
        return {}, errors
    before = current_values(candidate)
    after = current_values(fresh)  # the form cleaned its values onto this copy
    changes = {name: after[name] for name in IDENTITY_FIELDS if after[name] != before[name]}
    if not changes:
        errors.append(_("Les informations corrigées sont identiques à celles du candidat."))
    return changes, errors


def apply(candidate: Candidate, changes: Mapping[str, str]) -> None:
    """Sets the corrected values on the line (saved by the caller)."""
    for name, value in changes.items():
        setattr(candidate, name, dt.date.fromisoformat(value) if name == "birthdate" else value)
