"""Reads whose SQL is compiled once per process and then run with new parameters.

Compiling a queryset with correlated subqueries (a variant's available units, its expected
restock date) costs the ORM about 3 ms on every request, ten times what PostgreSQL needs to
run it for one product's variants. A ``PreparedRead`` builds its queryset once with a
sentinel in place of the one parameter that changes (a product id), keeps the compiled SQL,
the parameters and the ORM's converters, and runs later reads with the sentinel swapped for
the real value. The rules stay in the ORM expressions they come from (nothing is restated
in SQL by hand). A compiled read is kept per database alias and per local day, since
"today" is a parameter of some of them (the expected restock must be today or later).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import chain

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

# A value no row has (a product id, a slug): its position among the compiled parameters is
# where the real value goes.
SENTINEL = -918_273_645


class PreparedRead:
    def __init__(self, build: Callable[[object], QuerySet], *, sentinel: object = SENTINEL):
        """``build(value)``: a ``values_list`` queryset using ``value`` exactly once;
        ``sentinel``: a value of the same type that no row has."""
        self.build, self.sentinel = build, sentinel
        self._compiled: dict[tuple[str, date], tuple] = {}

    def _compile(self, alias: str) -> tuple:
        key = (alias, timezone.localdate())
        compiled = self._compiled.get(key)
        if compiled is None:
            queryset = self.build(self.sentinel)
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            positions = [index for index, param in enumerate(params) if param == self.sentinel]
            if len(positions) != 1:  # a build that does not use its value once is a bug
                raise ValueError(f"The value appears {len(positions)} times in the query.")
            fields = [select[0] for select in compiler.select[:compiler.col_count]]
            converters = compiler.get_converters(fields)
            self._compiled.clear()  # yesterday's reads
            compiled = self._compiled[key] = (compiler, sql, list(params), positions[0],
                                              converters)
        return compiled

    def rows(self, value, *, using: str) -> list[tuple]:
        """The rows of ``build(value)``, read from database ``using``."""
        compiler, sql, params, position, converters = self._compile(using)
        params = [*params[:position], value, *params[position + 1:]]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(chain(rows), converters)
        return [tuple(row) for row in rows]
