"""What the home screen shows about the user's tree."""

from __future__ import annotations


def current_tree_summary(user) -> dict | None:
    """None while the user grows no tree (trees arrive with the planting feature)."""
    return None
