"""Finding the apps' privacy hooks: the module ``<app>/privacy.py`` of each installed app.

A hook module may define any of (all keyword arguments, so a hook ignores what it does not use):

``export_sections(*, user, verification_url) -> Iterator[tuple[str, object]]``
    The app's parts of the export, as ``(name, value)`` pairs in document order: ``value`` is
    a dict (written as one JSON object) or an iterable of row dicts (a JSON list, streamed).
    Each section is one query read in chunks (``accounts.privacy.export_rows``), so an export
    costs the same number of queries whatever the amount of data.

``erase(*, user, email, now) -> dict[str, int]``
    Erase or anonymise what the app holds about the user, inside the erasure's transaction;
    ``email`` is the address the user had (the user row is anonymised after every hook ran).
    Returns counts only (they are logged), never anything personal. Must be safe to run twice.

``has_history(*, user) -> bool``
    Whether deleting the user row outright would take this app's records with it.

Hooks run in ``INSTALLED_APPS`` order (accounts, catalogue, forest, partners).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import module_has_submodule

HOOK_MODULE = "privacy"


def hook_modules() -> list[ModuleType]:
    """The installed apps' hook modules, in ``INSTALLED_APPS`` order (this app's own excluded)."""
    modules = []
    for config in apps.get_app_configs():
        if config.name == __package__ or not module_has_submodule(config.module, HOOK_MODULE):
            continue
        modules.append(import_module(f"{config.name}.{HOOK_MODULE}"))
    return modules


def hooks(name: str) -> list:
    """Every installed app's hook function ``name``, in ``INSTALLED_APPS`` order."""
    return [getattr(m, name) for m in hook_modules() if hasattr(m, name)]
