"""Who sees a tree on their home screen: its owner, or every member of its team.

A tree's summary (growth, phase, planting order, survival, certificate, team and its
members' contributions) is on the home screen of each of them, so any change to these rows
drops their read documents (``core.readcache``). The team's members are looked up after the
commit, so the writer's own transaction makes no extra statement.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core import readcache
from forest.models import Tree
from forest.models.trees import Team, TeamMembership, TreeContribution


def tree_readers_changed(tree_ids: Iterable[int | None]) -> None:
    """The trees changed: their owners' and teams' members' documents drop after commit."""
    ids = sorted({t for t in tree_ids if t is not None})
    if not ids:
        return

    def forget() -> None:
        rows = list(Tree.objects.filter(pk__in=ids).values_list("owner_id", "team_id"))
        teams = {team for _owner, team in rows if team is not None}
        members = TeamMembership.objects.filter(team_id__in=teams).values_list("user_id", flat=True)
        readcache.users_changed([owner for owner, _team in rows] + list(members if teams else []))

    transaction.on_commit(forget, robust=True)


def team_readers_changed(team_ids: Iterable[int | None]) -> None:
    """A team changed (its name, its members): every member's documents drop after commit."""
    ids = sorted({t for t in team_ids if t is not None})
    if not ids:
        return

    def forget() -> None:
        members = TeamMembership.objects.filter(team_id__in=ids).values_list("user_id", flat=True)
        readcache.users_changed(members)

    transaction.on_commit(forget, robust=True)


def _tree_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if isinstance(instance, Tree):
        readcache.user_changed(instance.owner_id)  # at once, then the team after commit
        if instance.team_id is not None:
            tree_readers_changed([instance.pk])
    else:  # a certificate, a contribution, a planting order, a survival check
        tree_id = getattr(instance, "tree_id", None)
        if tree_id is None and getattr(instance, "order", None) is not None:
            tree_id = instance.order.tree_id
        tree_readers_changed([tree_id])


def _team_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    team_readers_changed([getattr(instance, "team_id", None) or instance.pk])


def connect_tree_readers(*models) -> None:
    """Connect the rows a tree's summary is built from (``models``: the apps above add theirs)."""
    from django.db.models.signals import post_delete, post_save

    from forest.models import Certificate

    for model in (Tree, Certificate, TreeContribution, *models):
        post_save.connect(_tree_saved, sender=model, dispatch_uid=f"tree_readers.{model.__name__}")
        post_delete.connect(
            _tree_saved, sender=model, dispatch_uid=f"tree_readers.del.{model.__name__}"
        )
    for model in (Team, TeamMembership):
        post_save.connect(_team_saved, sender=model, dispatch_uid=f"team_readers.{model.__name__}")
        post_delete.connect(
            _team_saved, sender=model, dispatch_uid=f"team_readers.del.{model.__name__}"
        )
