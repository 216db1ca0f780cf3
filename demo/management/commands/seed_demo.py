"""The living demo for `make run` (docs/demo.md): an operator, two sponsors with their forests,
campaigns and a claim-code batch, and 22 consumers with six weeks of history (the veterans
over a year) lived through night by night with the real scoring and the game's services.

Then every installed app's hook module ``<app>/demo.py`` has run its part (accounts: Sanne's
sandbox bank feed; partners: the brand forests, their planting partner and budgets, her first
tree). All accounts share one fixed password, printed at the end, for local use only: the
command refuses unless ``CANOPY_DEMO_ENABLED`` (production settings refuse that setting).

Running it again changes nothing: the demo marker (``demo.DemoState``) says the history is in
place. ``--reset-passwords`` sets the demo accounts' passwords back to the published one.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import User
from demo.cast import CONSUMER_EMAIL, CONSUMERS, DEMO_PASSWORD
from demo.clock import demo_refuse_unless_enabled
from demo.models import DemoState
from demo.story import STAFF, demo_iter_credentials, demo_seed


class Command(BaseCommand):
    help = "Seed the living demo (local use only): sponsors, forests, consumers and their history."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="set every demo account's password back to the published demo password",
        )

    def handle(self, *args, reset_passwords: bool = False, **options) -> None:
        demo_refuse_unless_enabled()
        started = time.monotonic()
        state = DemoState.objects.first()
        if state is not None:
            self.stdout.write(
                f"The demo is in place (seeded {state.seeded_at:%Y-%m-%d %H:%M}, advanced "
                f"{state.days_advanced} day(s)); nothing to do. `manage.py demo_advance` moves "
                "it on."
            )
        elif User.objects.filter(email=CONSUMER_EMAIL).exists():
            self.stdout.write(
                self.style.WARNING(
                    "This database holds demo accounts from an older seed without the demo's "
                    "history; it is left alone. `make clean` (SQLite) or a fresh database gives "
                    "the living demo."
                )
            )
            return
        else:
            # The history's e-mails (team invitations and the like) stay in memory, not the
            # console: nobody reads last year's mail.
            in_memory = "django.core.mail.backends.locmem.EmailBackend"
            with override_settings(EMAIL_BACKEND=in_memory), transaction.atomic():
                demo_seed(self.stdout.write)
            self.stdout.write(f"Seeded the living demo in {time.monotonic() - started:.1f} s.")
        if reset_passwords:
            emails = [email for _r, email, _n, _o in STAFF] + [c.email for c in CONSUMERS]
            for user in User.objects.filter(email__in=emails):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            self.stdout.write("The demo accounts' passwords are the published one again.")
        self.stdout.write(self.style.SUCCESS("Demo accounts (local use only, docs/demo.md):"))
        for line in demo_iter_credentials():
            self.stdout.write(line)
