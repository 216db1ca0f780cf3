from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Planting, budgets and claim codes")

    def ready(self) -> None:
        # forest asks planting through its port (forest.planting); partners answers it.
        # lazy: these import models, which cannot load before the app registry is ready.
        from forest.planting import planting_register
        from partners.services.planting_port import PartnersPlanting

        planting_register(PartnersPlanting())
        # A tree's planting order and survival checks are on its readers' home screens.
        from forest.services.tree_readers import connect_tree_readers
        from partners.models import PlantingOrder, SurvivalCheck

        connect_tree_readers(PlantingOrder, SurvivalCheck)
