from django.apps import AppConfig


class ForestConfig(AppConfig):
    name = "forest"
    verbose_name = "Energy and trees"
