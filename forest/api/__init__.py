"""The game's REST API: one view module per topic, its serializers, OpenAPI schema and routes."""
