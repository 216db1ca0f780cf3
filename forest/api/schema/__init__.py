"""OpenAPI decorations of the game's API views, one module per view module: named
``extend_schema`` objects, applied as decorators where the views are defined."""
