"""The accounts REST API: one module per topic, serializers in ``serializers``."""
