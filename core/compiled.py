"""Querysets compiled to SQL once per process, then run with a new value each time.

Building a queryset's SQL (joins, subquery annotations, ``Case``/``When`` orderings) costs
milliseconds of CPU on every request, while the text never changes: only the user's id does.
``CompiledQuery`` builds the queryset once per thread and connection with a sentinel in place
of that value, keeps the SQL, the parameters and Django's compiler (which knows how to turn
rows into model instances with their ``select_related`` objects and annotations), and from
then on runs the stored SQL with the value put back where the sentinel was.

Use it for the hot reads whose shape is fixed (the home screen); the builder must take the
value as its only input and put nothing else that varies into the SQL (no ``now()`` from
Python, no language).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

#: A value no real id takes, so its places among the parameters can be found.
SENTINEL = -7_392_016_451


class CompiledQuery:
    def __init__(self, build: Callable[[int], QuerySet]) -> None:
        self._build = build
        self._local = threading.local()

    def _compiled(self) -> tuple[Any, str, tuple, list[int]]:
        connection = connections[DEFAULT_DB_ALIAS]
        cached = getattr(self._local, "compiled", None)
        if cached is not None and cached[0] is connection:
            return cached[1]
        queryset = self._build(SENTINEL)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots = [i for i, value in enumerate(params) if value == SENTINEL]
        if not slots:
            raise ValueError("the builder's queryset does not use its argument")
        compiled = (compiler, sql, tuple(params), slots)
        self._local.compiled = (connection, compiled)
        return compiled

    def models(self, value: int) -> list[Model]:
        """The queryset's model instances for ``value``, as iterating it would give them."""
        compiler, sql, template, slots = self._compiled()
        params = list(template)
        for slot in slots:
            params[slot] = value
        with compiler.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        select, klass_info = compiler.select, compiler.klass_info
        annotation_col_map = compiler.annotation_col_map
        db = compiler.using
        model_cls = klass_info["model"]
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(klass_info, select, db)
        out = []
        for row in compiler.results_iter([rows]):
            obj = model_cls.from_db(db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr_name, col_pos in (annotation_col_map or {}).items():
                setattr(obj, attr_name, row[col_pos])
            out.append(obj)
        return out


__all__ = ["SENTINEL", "CompiledQuery"]
