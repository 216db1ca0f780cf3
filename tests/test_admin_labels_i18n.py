"""Every label the operators' admin shows for our apps exists in Dutch.

New apps and models come with their own names; the admin shows them on every page, so a
missing catalogue entry is an English word in a Dutch admin.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils.translation import trans_real

OUR_APPS = ["accounts", "catalogue", "forest", "partners", "privacy", "demo"]


def _dutch_catalogue() -> dict:
    return trans_real.translation("nl")._catalog  # the merged catalogue Django itself uses


def _labels() -> list[str]:
    labels = []
    for label in OUR_APPS:
        config = apps.get_app_config(label)
        labels.append(str(config.verbose_name))
        for model in config.get_models():
            if not admin.site.is_registered(model):
                continue  # never shown to an operator
            labels += [str(model._meta.verbose_name), str(model._meta.verbose_name_plural)]
    return labels


@pytest.mark.parametrize("label", _labels())
def test_the_admin_label_has_a_dutch_translation(label):
    catalogue = _dutch_catalogue()
    msgids = {key[0] if isinstance(key, tuple) else key for key in catalogue.keys()}  # noqa: SIM118  (Django's catalogue is not iterable)
    assert label in msgids, f"no Dutch translation for {label!r}"
