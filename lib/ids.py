"""Ids in URLs and API paths: positive and within a 64-bit database integer.

An id beyond 64 bits can name no row, but it reached the database: SQLite raised
OverflowError (a 500) in the queries lib/prepared.py compiles and in every lookup through
a foreign key (`memberships.filter(centre_id=…)`), which skip Django's integer-range guard
(issue 13). So the id is refused where it enters: the `id` path converter matches it not
(404, as any unknown path), and the API's `Id` type refuses it (404 for a path parameter,
vigie/api.py; 422 in a body).
"""

from typing import Annotated

from django.urls import register_converter
from pydantic import Field

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # the pattern does not match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
