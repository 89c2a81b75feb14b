"""Querysets compiled to SQL once per process, then run with new ids.

Django compiles a queryset to SQL on every evaluation. For the candidate's answer — the
request an exam sends most, about 130 a second for 2,000 candidates — compiling was most
of the cost of its queries: 0.6 of the 1.1 ms of the course query with its candidate,
session and centre (bench/profile_requests.py). A `Prepared` query is built by an
ordinary queryset function, compiled the first time on each database alias, and then
only executed, through Django's cursor (same transaction, errors and query logging),
with Django's own converters and model construction (`select_related` included).

Why a private API is worth it, as measured (docs/scaling.md, « The 2026-12-04 steps »,
bench/cpu_per_answer.py on a quiet 2-core machine, PostgreSQL, Django 5.2): compiling the
course, answers and alerts queries once took the worker's CPU per answer from 9.7 ms to
7.5 ms (-23 %) and the machine's from 13.0 to 10.9 ms; the session and the user too
(accounts/sessions.py, accounts/backends.py) from 7.5 to 6.2 ms; 6.6–6.7 ms once the
database held the load runs (bench/results/cpu-per-answer.json). At the national peak
sized there (6,667 answers/s), 2.2 ms per answer is about 15 cores. The Espace
Surveillant's row fetch and the start followed on 2026-12-06 (the fetch after a start
17.7 → 8.6 ms of CPU, a start as the load generator makes it 32 → 19 ms; « Compiled once:
the rows and the start »).

What it relies on in Django, none of it documented: `Query.get_compiler()`,
`SQLCompiler.as_sql()` returning the parameters in order and unchanged, `compiler.select`,
`col_count`, `annotation_col_map` and `klass_info` (`model`, `select_fields`, `related_klass_infos`),
`get_converters()` / `apply_converters()`, `QuerySet._iterable_class` and `ModelIterable`,
`get_related_populators()`. tests/test_private_apis.py checks each of them and runs every
`Prepared` query of the project against the ORM: an upgrade that changes any of them fails
there, by name, rather than giving wrong rows.

Arguments are ids or keys (`int` or `str`, declared by `kinds`): each is found in the
compiled parameters by a marker value no row has, so it must reach the SQL unchanged (an
exact lookup on an integer or text column). A `list` argument is a list of ids for an
`__in` lookup: Django writes one placeholder per id, so the query is compiled once per
length of list (up to `LIST_LENGTHS`; a longer list goes through the ORM, compiled each
time, as before), and an empty list gives no rows, as `__in=[]` does. The queryset must
not depend on anything but its arguments (no clock, no settings read at build time): it
is built once per shape.
"""

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import (  # type: ignore[attr-defined] # untyped in django-stubs
    ModelIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# The longest list argument compiled once (a page's fetch names a few rows; a session's
# whole list of rows is read by session, not by ids): beyond, the ORM compiles each time.
LIST_LENGTHS = 64


def _marker(kind: type, index: int) -> int | str:
    # Ids are positive and keys are not made of these words: each marker is unique.
    return -918_273_645 - index if kind is not str else f"lib.prepared marker {index}"


Arg = int | str | list[int]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # For each parameter, the argument it takes (index, and element of a list argument),
    # or None for a constant of the queryset.
    slots: tuple[tuple[int, int | None] | None, ...]
    compiler: SQLCompiler
    converters: dict[int, Any]
    models: bool  # rows are model instances (else tuples, as values_list)
    fields: slice  # the main model's columns in a row
    names: tuple[str, ...]  # their attribute names
    annotations: tuple[tuple[str, int], ...]  # `annotate()`'s names and columns


class Prepared(Generic[M]):
    def __init__(
        self, build: Callable[..., "QuerySet[M, Any]"], kinds: tuple[type, ...] = (int,)
    ) -> None:
        self.build = build
        self.kinds = kinds
        self._compiled: dict[tuple[str, tuple[int, ...]], _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str, shape: tuple[int, ...]) -> _Compiled:
        """Compiled for this alias and these lengths of the list arguments (0 for others)."""
        with self._lock:
            if (alias, shape) not in self._compiled:
                markers: list[Any] = []
                where: dict[Any, tuple[int, int | None]] = {}
                for index, (kind, length) in enumerate(zip(self.kinds, shape, strict=True)):
                    if kind is list:
                        marker: Any = [_marker(int, len(where) + n) for n in range(length)]
                        where.update((m, (index, n)) for n, m in enumerate(marker))
                    else:
                        marker = _marker(kind, len(where))
                        where[marker] = (index, None)
                    markers.append(marker)
                queryset = self.build(*markers)
                compiler = queryset.query.get_compiler(using=alias)
                sql, params = compiler.as_sql()
                slots = tuple(where.get(p) if isinstance(p, int | str) else None for p in params)
                if sorted(s for s in slots if s is not None) != sorted(where.values()):
                    raise ValueError(f"each argument must appear once in the SQL: {sql}")
                fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
                models = issubclass(queryset._iterable_class, ModelIterable)
                own = slice(0, 0)
                if models:
                    selected = compiler.klass_info["select_fields"]
                    own = slice(selected[0], selected[-1] + 1)
                self._compiled[(alias, shape)] = _Compiled(
                    sql=sql,
                    params=tuple(params),
                    slots=slots,
                    compiler=compiler,
                    converters=compiler.get_converters(fields),
                    models=models,
                    fields=own,
                    names=tuple(c[0].target.attname for c in compiler.select[own]),
                    annotations=tuple(compiler.annotation_col_map.items()) if models else (),
                )
            return self._compiled[(alias, shape)]

    def rows(self, *args: Arg, using: str = "default") -> Iterator[Any]:
        if len(args) != len(self.kinds):
            raise TypeError(f"{len(self.kinds)} arguments expected ({self.kinds}), not {args}")
        # Django's own guard, which compiled SQL skips: no row has an id beyond 64 bits
        # (SQLite raised OverflowError, a 500, on /certification/tests/2**64/).
        if any(isinstance(a, int) and not _INT64_MIN <= a <= _INT64_MAX for a in args):
            return iter(())
        args = tuple(
            [i for i in a if _INT64_MIN <= i <= _INT64_MAX] if isinstance(a, list) else a
            for a in args
        )
        shape = tuple(len(a) if isinstance(a, list) else 0 for a in args)
        if any(kind is list and not length for kind, length in zip(self.kinds, shape, strict=True)):
            return iter(())  # `__in=[]`: no row, and no query
        if max(shape, default=0) > LIST_LENGTHS:
            return iter(self.build(*args).using(using))
        compiled = self._compiled.get((using, shape)) or self._compile(using, shape)
        params = [
            p if s is None else args[s[0]] if s[1] is None else args[s[0]][s[1]]  # type: ignore[index]
            for p, s in zip(compiled.params, compiled.slots, strict=True)
        ]
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: Iterator[Any] = iter(cursor.fetchall())
        compiler = compiled.compiler
        if compiled.converters:
            rows = compiler.apply_converters(rows, compiled.converters)
        if not compiled.models:
            return (tuple(row) for row in rows)
        return self._instances(compiled, rows, using)

    @staticmethod
    def _instances(compiled: _Compiled, rows: Iterator[Any], using: str) -> Iterator[Any]:
        klass_info = compiled.compiler.klass_info
        assert klass_info is not None
        model, names = klass_info["model"], list(compiled.names)
        populators = get_related_populators(klass_info, compiled.compiler.select, using)
        for row in rows:
            instance = model.from_db(using, names, row[compiled.fields])
            for name, column in compiled.annotations:
                setattr(instance, name, row[column])
            for populator in populators:
                populator.populate(row, instance)
            yield instance

    def first(self, *args: Arg, using: str = "default") -> M | None:
        return next(itertools.islice(self.rows(*args, using=using), 1), None)


class PreparedWrite(Generic[M]):
    """The INSERT of a new row, or the UPDATE of some fields of a row by its primary key,
    written as SQL once per process and database alias, then only executed.

    The answer's two writes (`Answer.objects.create`, `course.save(update_fields=…)`) went
    through the ORM on every answer: building the query, compiling it, and `save()`'s
    machinery (signals with no receiver, field walks, the update's row count). Here the
    statement is the one Django writes for a plain model with plain fields (`INSERT INTO t
    (c…) VALUES (%s…) RETURNING pk`, `UPDATE t SET c = %s… WHERE pk = %s`), built from the
    model's `_meta` and each value prepared by its field (`pre_save`, `get_db_prep_save`:
    JSON, dates, booleans as the ORM sends them), through Django's cursor (same
    transaction, errors, query logging). Documented APIs only, besides `_state`, which
    Django's own documentation sets in `Model.from_db`.

    No signals are sent: a model written through it must have no `pre_save`/`post_save`
    receiver (tests/test_private_apis.py checks the project's). Fields with a database
    default or expression are not supported (none of the models that use it has one)."""

    def __init__(self, model: type[M], update: tuple[str, ...] | None = None) -> None:
        self.model = model
        meta = model._meta
        if update is None:  # an INSERT of every concrete field but an automatic primary key
            self.fields = [
                f
                for f in meta.concrete_fields
                if not (
                    f.primary_key
                    and f.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField")
                )
            ]
        else:
            # In the model's order, as the ORM writes them.
            named = {meta.get_field(name) for name in update}
            self.fields = [f for f in meta.concrete_fields if f in named]
        self.update = update is not None
        self._sql: dict[str, tuple[str, bool]] = {}

    def _compile(self, alias: str) -> tuple[str, bool]:
        connection = connections[alias]
        quote = connection.ops.quote_name
        meta = self.model._meta
        table = quote(meta.db_table)
        pk = f"{table}.{quote(meta.pk.column)}"  # type: ignore[union-attr]
        if self.update:
            sets = ", ".join(f"{quote(f.column)} = %s" for f in self.fields)
            # Names from the model's _meta, quoted; every value is a parameter.
            return f"UPDATE {table} SET {sets} WHERE {pk} = %s", False  # noqa: S608
        columns = ", ".join(quote(f.column) for f in self.fields)
        values = ", ".join(["%s"] * len(self.fields))
        returning = bool(connection.features.can_return_columns_from_insert)
        tail = f" RETURNING {pk}" if returning else ""
        return f"INSERT INTO {table} ({columns}) VALUES ({values}){tail}", returning  # noqa: S608

    def save(self, instance: M, using: str = "default") -> None:
        """INSERT `instance` (its primary key set from the database), or UPDATE its row with
        the fields given; raises what the database raises (IntegrityError…)."""
        sql, returning = self._sql.get(using) or self._sql.setdefault(using, self._compile(using))
        connection = connections[using]
        adding = not self.update
        params = [
            f.get_db_prep_save(f.pre_save(instance, adding), connection=connection)
            for f in self.fields
        ]
        if self.update:
            pk_field = self.model._meta.pk
            assert pk_field is not None
            params.append(pk_field.get_db_prep_save(instance.pk, connection=connection))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if adding:
                meta = self.model._meta
                instance.pk = (
                    cursor.fetchone()[0]
                    if returning
                    else connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)  # type: ignore[union-attr]
                )
        instance._state.adding = False
        instance._state.db = using
