"""A rule version's snapshot against its predecessor's, as a table of changed fields."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from forest.models import GreenActionRule, GreenActionRuleVersion


@dataclass(frozen=True)
class DiffRow:
    field: str
    label: str
    before: str
    after: str
    added: list[str]
    removed: list[str]


def _label(name: str) -> str:
    try:
        field = GreenActionRule._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))


def _choices(name: str) -> dict:
    """A choice field's labels by stored value ("fixed" → "Fixed grams")."""
    try:
        field = GreenActionRule._meta.get_field(name)
    except FieldDoesNotExist:
        return {}
    return dict(getattr(field, "flatchoices", None) or [])


def _shown(value, choices: dict | None = None) -> str:
    if choices and isinstance(value, str) and value in choices:
        return str(choices[value])
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "—"
    return str(value)


def snapshot_diff(before: dict | None, after: dict) -> list[DiffRow]:
    """The fields whose value differs, in the snapshot's order (fields only one side has
    count as changed); with no predecessor, every field of ``after``."""
    rows = []
    keys = list(after) + [k for k in (before or {}) if k not in after]
    for key in keys:
        old = None if before is None else before.get(key)
        new = after.get(key)
        choices = _choices(key)
        if before is not None and old == new:
            continue
        added: list[str] = []
        removed: list[str] = []
        if isinstance(old, list) and isinstance(new, list):
            added = [str(v) for v in new if v not in old]
            removed = [str(v) for v in old if v not in new]
        rows.append(
            DiffRow(
                field=key,
                label=_label(key),
                before="" if before is None else _shown(old, choices),
                after=_shown(new, choices),
                added=added,
                removed=removed,
            )
        )
    return rows


def version_diff_html(version: GreenActionRuleVersion) -> SafeString:
    """The table the admin shows for one version: what changed since the version before."""
    previous = (
        GreenActionRuleVersion.objects.filter(rule_id=version.rule_id, version__lt=version.version)
        .order_by("-version")
        .only("version", "snapshot")
        .first()
    )
    rows = snapshot_diff(previous.snapshot if previous else None, version.snapshot or {})
    return SafeString(
        render_to_string(
            "admin/forest/greenactionrule/version_diff.html",
            {"rows": rows, "version": version, "previous": previous},
        )
    )
