"""Reads whose SQL is compiled once per process and then run with new parameters.

Building and compiling a queryset costs the ORM a millisecond or more on every request
(a cart joined to its addresses, a cart's lines joined to their stock levels: 20-odd
columns, joins, annotations), often several times what PostgreSQL needs to run it. A
``PreparedRead`` builds its queryset once with sentinels in place of the parameters that
change (a product id, a cart's token and owner), keeps the compiled SQL, the parameters and
the ORM's converters, and runs later reads with the sentinels swapped for the real values.
The rules stay in the ORM expressions they come from: nothing is restated in SQL by hand.

``rows()`` answers a ``values_list`` read's tuples; ``objects()`` answers model instances,
with ``select_related`` objects and annotations, as iterating the queryset would (a
``select_for_update`` read keeps its ``FOR UPDATE`` and, as the ORM does, refuses to run
outside a transaction). A compiled read is kept per database alias and per local day,
since "today" is a parameter of some of them (an expected restock must be today or later).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from itertools import chain

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError
from django.utils import timezone

# A value no row has (an id): its position among the compiled parameters is where the real
# value goes. Other sentinels (a UUID nobody has, a list) are passed by the caller.
SENTINEL = -918_273_645
NO_UUID = uuid.UUID(int=0)
BIGINT = 2 ** 63
# A moment nothing happened at (a cutoff computed per call, such as "an hour ago").
NO_MOMENT = datetime(1970, 1, 1, 0, 0, 1, 918_273, tzinfo=UTC)


class PreparedRead:
    def __init__(self, build: Callable[..., QuerySet], *, sentinel: object = SENTINEL,
                 sentinels: tuple | None = None):
        """``build(*values)``: a queryset using each value exactly once; ``sentinels`` (or
        the one ``sentinel``): values of the same types that no row has, one per value."""
        self.build = build
        self.sentinels = tuple(sentinels) if sentinels is not None else (sentinel,)
        self._compiled: dict[tuple[str, date], _Compiled] = {}

    def _compile(self, alias: str) -> _Compiled:
        key = (alias, timezone.localdate())
        compiled = self._compiled.get(key)
        if compiled is None:
            self._compiled.clear()  # yesterday's reads
            compiled = self._compiled[key] = _Compiled(self.build(*self.sentinels), alias,
                                                       self.sentinels)
        return compiled

    def rows(self, *values, using: str) -> list[tuple]:
        """The rows of ``build(*values)`` (a ``values_list`` queryset), read from ``using``."""
        return [tuple(row) for row in self._compile(using).run(values)]

    def objects(self, *values, using: str) -> list:
        """The model instances ``build(*values)`` answers, read from ``using``."""
        return self._compile(using).instances(values)

    def first(self, *values, using: str):
        found = self.objects(*values, using=using)
        return found[0] if found else None


class _Compiled:
    """One compiled read: its SQL, its parameters with where each value goes and in which
    form (the ORM may pass a UUID as its hex string), and how rows become results."""

    def __init__(self, queryset: QuerySet, alias: str, sentinels: tuple):
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        self.alias, self.sql, self.params = alias, sql, list(params)
        self.sentinels = sentinels
        self.slots = [self._slot(sentinel) for sentinel in sentinels]
        self.compiler = compiler
        self.col_count = compiler.col_count
        fields = [select[0] for select in compiler.select[:compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        self.locks = queryset.query.select_for_update
        self.model_read = None  # how rows become instances, set up by the first objects()

    def _slot(self, sentinel) -> tuple[int, Callable]:
        forms = [(sentinel, _same)]
        if isinstance(sentinel, uuid.UUID):
            forms.append((sentinel.hex, _hex))
        if isinstance(sentinel, datetime):  # as the database's adapter passes it
            adapt = connections[self.alias].ops.adapt_datetimefield_value
            if not _equal(adapt(sentinel), sentinel):
                forms.append((adapt(sentinel), adapt))
        found = [(index, form) for index, param in enumerate(self.params)
                 for value, form in forms if _equal(param, value)]
        if len(found) != 1:  # a build that does not use each value once is a bug
            raise ValueError(f"The value {sentinel!r} appears {len(found)} times in the query.")
        return found[0]

    def run(self, values: tuple):
        connection = connections[self.alias]
        if self.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction.")
        params = list(self.params)
        for (position, form), sentinel, value in zip(self.slots, self.sentinels, values,
                                                     strict=True):
            value = _like(sentinel, value)
            if isinstance(value, int) and not -BIGINT <= value < BIGINT:
                return []  # as the ORM answers an id no column can hold: no row
            params[position] = form(value)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = [row[:self.col_count] for row in cursor.fetchall()]
        if self.converters:
            rows = self.compiler.apply_converters(chain(rows), self.converters)
        return rows

    def _model_read(self) -> tuple:
        """What ModelIterable does with each row: the model's columns, the populators of
        its ``select_related`` objects, and where each annotation is."""
        if self.model_read is None:
            klass_info, select = self.compiler.klass_info, self.compiler.select
            if not klass_info or self.compiler.query.values_select:
                raise TypeError("objects() needs a queryset of model instances.")
            at = klass_info["select_fields"]
            start, end = at[0], at[-1] + 1
            self.model_read = (
                klass_info["model"], start, end,
                [column[0].target.attname for column in select[start:end]],
                get_related_populators(klass_info, select, self.alias),
                list(self.compiler.annotation_col_map.items()))
        return self.model_read

    def instances(self, values: tuple) -> list:
        model, start, end, init_list, related, annotations = self._model_read()
        found = []
        for row in self.run(values):
            obj = model.from_db(self.alias, init_list, row[start:end])
            for populator in related:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found


def ids_in(ids: list[int], *, as_array: bool):
    """Ids for an ``__in`` lookup. ``as_array`` (PostgreSQL): one array parameter, so the
    SQL is the same for any number of ids and a read using it can be compiled once (its
    sentinel: ``[SENTINEL]``); otherwise the plain list."""
    return RawSQL("SELECT unnest(%s::bigint[])", (ids,)) if as_array else ids


def _like(sentinel, value):
    """``value`` as the type of its sentinel, as the ORM's field would take it: an id given
    as text is a number, a token given as text a UUID (ValueError when it is neither)."""
    if isinstance(sentinel, int) and not isinstance(value, int):
        return int(value)
    if isinstance(sentinel, uuid.UUID) and not isinstance(value, uuid.UUID):
        return uuid.UUID(str(value))
    return value


def _same(value):
    return value


def _hex(value):
    return value.hex


def _equal(param, value) -> bool:
    return type(param) is type(value) and param == value
