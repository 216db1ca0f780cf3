"""DRF serializers of the game's API, one module per topic (as the view modules)."""
