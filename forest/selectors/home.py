"""What the home screen shows about the user's tree."""

from __future__ import annotations

from django.utils.translation import get_language

from forest.selectors.trees import tree_current, tree_summary


def current_tree_summary(user) -> dict | None:
    """The growing tree (or one matured and waiting for funding); None without one. One query."""
    tree = tree_current(user.id)
    if tree is None:
        return None
    return tree_summary(tree, locale=(get_language() or "en")[:2])
