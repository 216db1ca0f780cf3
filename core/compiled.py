"""Querysets compiled to SQL once per process, then run with new values each time.

Building a queryset's SQL (joins, subquery annotations, ``Case``/``When`` orderings) costs
milliseconds of CPU on every request, while the text never changes: only the user's id (and
the time) does. ``CompiledQuery`` builds the queryset once per thread and connection with
sentinels in place of its arguments, keeps the SQL, the parameters and Django's compiler
(which turns rows into model instances with their ``select_related`` objects, annotations and
the database's value converters), and from then on runs the stored SQL with the arguments put
back where the sentinels were.

Use it for hot reads of a fixed shape (the home screen). The builder takes the arguments
(ints, or aware datetimes, as ``kinds`` says) and must put nothing else that varies into the
SQL: no ``timezone.now()`` of its own, no language.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

#: Values no real argument takes, so their places among the parameters can be found.
SENTINEL = -7_392_016_451
SENTINEL_AT = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
_SENTINELS = {"id": SENTINEL, "datetime": SENTINEL_AT}


def _adapt(connection, kind: str, value):
    if kind == "datetime":
        return connection.ops.adapt_datetimefield_value(value)
    return value


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], kinds: Sequence[str] = ("id",)) -> None:
        self._build = build
        self._kinds = tuple(kinds)
        self._local = threading.local()

    def _compiled(self) -> tuple[Any, str, tuple, list[tuple[int, int]], dict]:
        connection = connections[DEFAULT_DB_ALIAS]
        cached = getattr(self._local, "compiled", None)
        if cached is not None and cached[0] is connection:
            return cached[1]
        queryset = self._build(*(_SENTINELS[kind] for kind in self._kinds))
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots = []
        for arg, kind in enumerate(self._kinds):
            marker = _adapt(compiler.connection, kind, _SENTINELS[kind])
            found = [(i, arg) for i, value in enumerate(params) if value == marker]
            if not found:
                raise ValueError(f"the builder's queryset does not use argument {arg}")
            slots += found
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        compiled = (compiler, sql, tuple(params), slots, compiler.get_converters(fields))
        self._local.compiled = (connection, compiled)
        return compiled

    def models(self, *args) -> list[Model]:
        """The queryset's model instances for ``args``, as iterating it would give them."""
        compiler, sql, template, slots, converters = self._compiled()
        params = list(template)
        for slot, arg in slots:
            params[slot] = _adapt(compiler.connection, self._kinds[arg], args[arg])
        with compiler.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        select, klass_info = compiler.select, compiler.klass_info
        annotation_col_map = compiler.annotation_col_map or {}
        db = compiler.using
        model_cls = klass_info["model"]
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(klass_info, select, db)
        out = []
        if converters:
            rows = compiler.apply_converters(rows, converters)
        for row in rows:
            obj = model_cls.from_db(db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr_name, col_pos in annotation_col_map.items():
                setattr(obj, attr_name, row[col_pos])
            out.append(obj)
        return out
