"""Demo data for `make run`: an operator, a consumer and a sponsor member, then each app's part.

The cast (accounts and the sponsor) is created here; then every installed app's hook module
``<app>/demo.py`` runs in ``INSTALLED_APPS`` order: its ``seed_demo(*, users, sponsor)`` yields
progress lines (accounts: the consumer's sandbox bank feed; partners: the brand forest, its
planting partner and budget). Hooks are idempotent. New accounts get random passwords, printed
once.

Running it again keeps existing accounts (and their passwords) and fills in whatever is missing.
"""

from __future__ import annotations

import secrets
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from accounts.models import Profile, User
from catalogue.models import Sponsor, SponsorMembership

DEMO_ACCOUNTS = [
    # (role, e-mail, display name, is operator)
    ("operator", "admin@canopy.local", "admin", True),
    ("consumer", "sanne@example.nl", "Sanne", False),
    ("sponsor", "brand@groenewinkel.example", "Groene Winkel", False),
]


class Command(BaseCommand):
    help = "Create demo accounts, a sponsor, and (once those apps have them) feeds and forests."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--password", help="use this password for new accounts instead of random ones"
        )

    @transaction.atomic
    def handle(self, *args, password: str | None = None, **options) -> None:
        created: list[tuple[str, str, str]] = []
        users: dict[str, User] = {}
        for role, email, display_name, is_operator in DEMO_ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                secret = password or secrets.token_urlsafe(9)
                # Demo addresses count as verified, so the demo consumer can invite a team.
                verified = {"email_verified_at": timezone.now()}
                if is_operator:
                    user = User.objects.create_superuser(email=email, password=secret, **verified)
                else:
                    user = User.objects.create_user(email=email, password=secret, **verified)
                created.append((role, email, secret))
            Profile.objects.get_or_create(user=user, defaults={"display_name": display_name})
            users[role] = user

        sponsor, _ = Sponsor.objects.get_or_create(
            slug="groene-winkel",
            defaults={"name": "Groene Winkel", "website": "https://groenewinkel.example"},
        )
        SponsorMembership.objects.get_or_create(sponsor=sponsor, user=users["sponsor"])
        Sponsor.objects.get_or_create(slug="andere-merk", defaults={"name": "Ander Merk"})

        for seed_demo in _hooks():
            for line in seed_demo(users=users, sponsor=sponsor):
                self.stdout.write(line)

        if created:
            self.stdout.write(self.style.SUCCESS("Demo accounts (passwords are shown only once):"))
            for role, email, secret in created:
                self.stdout.write(f"  {role:9} {email:30} {secret}")
        else:
            self.stdout.write("Demo accounts exist already; their passwords were not changed.")


def _hooks() -> list:
    """``seed_demo`` of every installed app's ``demo`` module, in ``INSTALLED_APPS`` order."""
    found = []
    for config in apps.get_app_configs():
        if config.name == "demo" or not module_has_submodule(config.module, "demo"):
            continue
        module = import_module(f"{config.name}.demo")
        if hasattr(module, "seed_demo"):
            found.append(module.seed_demo)
    return found
