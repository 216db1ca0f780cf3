from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from core.schedules import ensure_default_schedules


class ForestConfig(AppConfig):
    name = "forest"
    verbose_name = _("Energy and trees")

    def ready(self) -> None:
        post_migrate.connect(ensure_default_schedules, sender=self)
        from forest.services.tree_readers import connect_tree_readers

        connect_tree_readers()
