"""A tree's moments, to its people: matured, planted (with the certificate), survived a year.

A personal tree's person is its owner; a team tree's are its active members. Each message is
dispatched (inbox and push, topic ``trees``) in the caller's transaction, in each person's
language, with a dedupe key naming the tree, the moment and the person: the planting report
retried by a partner, or a survival check submitted twice, tells nobody twice.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Notification, Profile
from accounts.services.notifications import notification_dispatch
from forest.models import Tree
from forest.models.trees import TeamMembership


def _people(tree: Tree) -> list[int]:
    if tree.team_id is None:
        return [tree.owner_id]
    return list(
        TeamMembership.objects.filter(
            team_id=tree.team_id, status=TeamMembership.Status.ACTIVE
        ).values_list("user_id", flat=True).order_by("user_id")
    )  # fmt: skip


def _tell(
    tree: Tree,
    moment: str,
    message: Callable[[str], tuple[str, str]],
    data: dict[str, str],
) -> int:
    """``message(locale)`` gives (title, body), called inside each person's language."""
    people = _people(tree)
    locales = dict(Profile.objects.filter(user_id__in=people).values_list("user_id", "locale"))
    told = 0
    for user_id in people:
        locale = locales.get(user_id, Profile.Locale.NL)
        with translation.override(locale):
            title, body = message(locale)
            told += notification_dispatch(
                user_id=user_id,
                topic="trees",
                kind=Notification.Kind.TREE,
                title=title,
                body=body,
                dedupe_key=f"tree:{tree.pk}:{moment}:{user_id}",
                data={"screen": "tree", "tree_id": str(tree.pk), **data},
            )
    return told


def tree_matured_notify(tree: Tree, *, funded: bool) -> int:
    def message(locale: str) -> tuple[str, str]:
        species = tree.species.name(locale)
        if funded:
            body = _("Your %(species)s is fully grown and will be planted.")
        else:
            body = _(
                "Your %(species)s is fully grown. Its forest cannot plant it yet; open the app "
                "to move it to another forest."
            )
        return _("Your tree is fully grown"), body % {"species": species}

    return _tell(tree, "matured", message, {})


def certificate_url(number: str) -> str:
    path = reverse("certificate-public", args=[number])
    return settings.SITE_URL.rstrip("/") + path


def tree_planted_notify(tree: Tree, *, certificate_number: str) -> int:
    url = certificate_url(certificate_number)

    def message(locale: str) -> tuple[str, str]:
        body = _("Your %(species)s was planted in %(forest)s. Your certificate: %(url)s") % {
            "species": tree.species.name(locale),
            "forest": tree.forest.name,
            "url": url,
        }
        return _("Your tree has been planted"), body

    return _tell(tree, "planted", message, {"url": url, "certificate": certificate_number})


def tree_survival_notify(*, tree_id: int, year: int) -> int:
    """A yearly check found the tree alive (a dead one is not a moment to push)."""
    tree = Tree.objects.select_related("species", "forest").filter(pk=tree_id).first()
    if tree is None:
        return 0

    def message(locale: str) -> tuple[str, str]:
        body = _("Your %(species)s in %(forest)s passed its year %(year)s survival check.") % {
            "species": tree.species.name(locale),
            "forest": tree.forest.name,
            "year": year,
        }
        return _("Your tree is growing well"), body

    return _tell(tree, f"survival:{year}", message, {})
