"""DRF serializers of the partners API, one module per topic."""
