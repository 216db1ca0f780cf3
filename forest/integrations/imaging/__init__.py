"""Pillow-only artwork for the forest: growth-stage illustrations and planting certificates.

Kept free of Django and the database so it can run in Celery workers, management commands and
benchmarks alike, and so that its cost can be measured in isolation.  Everything here is
deterministic: the same inputs give the same PNG bytes, which keeps caching and tests simple.
One module per concept: text (fonts), png (the encoder), stages (plant drawings), labels
(certificate wording), logos (sponsor logos) and certificate (the layout).
"""

from forest.integrations.imaging.certificate import CERTIFICATE_SIZE, render_certificate
from forest.integrations.imaging.labels import format_coordinates
from forest.integrations.imaging.stages import MAX_STAGE, render_stage_illustration

__all__ = [
    "CERTIFICATE_SIZE",
    "MAX_STAGE",
    "format_coordinates",
    "render_certificate",
    "render_stage_illustration",
]
